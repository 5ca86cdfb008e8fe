import { mount } from 'svelte';
import App from './ui/App.svelte';
import { reloadIsolatedWhenControlled } from './ui/cross-origin-isolation';

reloadIsolatedWhenControlled();
mount(App, { target: document.getElementById('app')! });
