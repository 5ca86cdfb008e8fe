/**
 * Live progress of a run for other tabs: the tab that holds the run lock publishes, any other
 * tab subscribes and shows "Training in another tab" read-only. Messages are structured clones;
 * a tab never receives its own.
 */
import type { RemoteRunEvent } from '../shared/engine-api';

export type RunBroadcast = RemoteRunEvent;

export interface ProgressChannel {
  publish(message: RunBroadcast): void;
  /** @returns a function that unsubscribes */
  subscribe(listener: (message: RunBroadcast) => void): () => void;
  close(): void;
}

/** BroadcastChannel name of a run. */
export const progressChannelName = (runId: string) => `tab-trainer-progress:${runId}`;

/** Opens the run's channel; a no-op channel where BroadcastChannel is missing. */
export function openProgressChannel(runId: string): ProgressChannel {
  if (typeof BroadcastChannel === 'undefined') {
    return { publish() {}, subscribe: () => () => {}, close() {} };
  }
  const channel = new BroadcastChannel(progressChannelName(runId));
  return {
    publish: (message) => channel.postMessage(message),
    subscribe(listener) {
      const onMessage = (e: MessageEvent<RunBroadcast>) => listener(e.data);
      channel.addEventListener('message', onMessage);
      return () => channel.removeEventListener('message', onMessage);
    },
    close: () => channel.close(),
  };
}
