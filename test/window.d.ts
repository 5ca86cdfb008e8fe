/** What the test build puts on window for tests (src/ui/engine-client.ts), as the tests' pages see it. */
import type * as Comlink from 'comlink';
import type { TestEngineApi } from '../src/engine/worker';

declare global {
  interface Window {
    __tabTrainer: { engine: Comlink.Remote<TestEngineApi>; proxy: typeof Comlink.proxy };
  }
}
