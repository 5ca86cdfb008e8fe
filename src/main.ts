import { mount } from 'svelte';
import App from './ui/App.svelte';
import { isolateWithServiceWorker } from './ui/cross-origin-isolation';

void isolateWithServiceWorker();
mount(App, { target: document.getElementById('app')! });
