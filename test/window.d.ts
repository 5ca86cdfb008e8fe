/** What the app puts on window for tests (src/ui/engine-client.ts), as the tests' pages see it. */
import type * as Comlink from 'comlink';
import type { EngineApi } from '../src/shared/engine-api';

declare global {
  interface Window {
    __tabTrainer: { engine: Comlink.Remote<EngineApi>; proxy: typeof Comlink.proxy };
  }
}
