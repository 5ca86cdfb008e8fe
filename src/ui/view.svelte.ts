/**
 * How the notebook is shown, not what it holds: presentation mode (large type, big charts, only
 * Train / Pause / Reset) for a projector. Remembered on this browser, and mirrored on the root
 * element as `data-presenting`, which src/ui/layout.css reads.
 */
const KEY = 'tab-trainer:presenting';

function readPresenting(): boolean {
  try {
    return localStorage.getItem(KEY) === 'on';
  } catch {
    return false;
  }
}

class View {
  #presenting = $state(readPresenting());

  constructor() {
    this.#mirror();
  }

  get presenting(): boolean {
    return this.#presenting;
  }

  set presenting(on: boolean) {
    this.#presenting = on;
    this.#mirror();
    try {
      if (on) localStorage.setItem(KEY, 'on');
      else localStorage.removeItem(KEY);
    } catch (e) {
      console.warn('Presentation mode cannot be remembered:', e);
    }
  }

  #mirror(): void {
    document.documentElement.toggleAttribute('data-presenting', this.#presenting);
  }
}

export const view = new View();
