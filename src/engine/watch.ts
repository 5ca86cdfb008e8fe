/**
 * Following a run that another tab trains. Its progress arrives on the run's BroadcastChannel; the
 * end of the run is known two ways that travel by separate routes: the writer's 'released'
 * message, and its Web Lock becoming free. Either may come first (the lock grant often wins), so
 * the follower never trusts the race: when the lock frees first it waits a moment for the message,
 * then takes the final state from the store, where the writer committed it before releasing.
 */
import * as store from '../checkpoint';
import type { CheckpointMeta, RunManifest } from '../shared/checkpoint';
import type { RemoteRunEvent } from '../shared/engine-api';

/** How long a freed lock waits for the writer's own 'released' message before reading the store. */
const RELEASE_GRACE_MS = 250;

/**
 * Forwards the run's events to `onEvent` until the writer is gone, and always ends with the final
 * state: the newest committed checkpoint (if the channel did not already carry it) and then
 * exactly one 'released'.
 * @returns when 'released' has been passed to `onEvent`
 */
export async function watchRun(runId: string, onEvent: (e: RemoteRunEvent) => void): Promise<void> {
  const channel = store.openProgressChannel(runId);
  const seen: { lastMeta: CheckpointMeta | null } = { lastMeta: null };
  let ended = false;
  let onReleased!: () => void;
  const released = new Promise<void>((resolve) => (onReleased = resolve));
  const unsubscribe = channel.subscribe((m) => {
    if (ended) return;
    if (m.type === 'checkpoint') seen.lastMeta = m.meta;
    if (m.type === 'released') ended = true;
    onEvent(m);
    if (ended) onReleased();
  });
  try {
    await Promise.race([released, lockFreed(runId)]);
    if (!ended) await Promise.race([released, sleep(RELEASE_GRACE_MS)]);
    if (ended) return;
    ended = true;
    // The writer flushes its last checkpoint before it publishes 'released' and frees the lock.
    const final = newest(await store.loadManifest(runId));
    if (final && final.id !== seen.lastMeta?.id) onEvent({ type: 'checkpoint', meta: final });
    onEvent({ type: 'released' });
  } finally {
    unsubscribe();
    channel.close();
  }
}

/** Resolves once no context holds the run's lock (it is taken and given back at once). */
function lockFreed(runId: string): Promise<void> {
  // Without Web Locks nothing can tell a closed tab apart: only 'released' ends the watch.
  if (!navigator.locks) return new Promise(() => {});
  return navigator.locks.request(store.runLockName(runId), async () => {}).then(() => undefined);
}

function newest(manifest: RunManifest | null): CheckpointMeta | null {
  if (!manifest || manifest.checkpoints.length === 0) return null;
  return manifest.checkpoints.find((m) => m.id === manifest.latest) ?? manifest.checkpoints[manifest.checkpoints.length - 1];
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
