/**
 * One writer per run, across tabs and workers, with the Web Locks API (window and worker alike).
 * The lock is held for as long as the returned handle is not released; closing the tab or
 * terminating the worker releases it too, which is what waitForRunLock waits for.
 */

/** A held run lock. */
export interface RunLock {
  /** Lets the next waiter (another tab) take the run over. Idempotent. */
  release(): void;
}

export interface RunLockOptions {
  /** Called if the lock is taken away while held (another context requested it with `steal`). */
  onLost?: (error: unknown) => void;
}

/** Web Lock name of a run; one name per run, shared by every tab and worker of the origin. */
export const runLockName = (runId: string) => `tab-trainer-run:${runId}`;

/**
 * Takes the run's lock if no other tab or worker holds it.
 * @returns the held lock, or null when another context holds it (show "Training in another tab")
 */
export async function acquireRunLock(runId: string, options: RunLockOptions = {}): Promise<RunLock | null> {
  return requestLock(runId, { ifAvailable: true }, options);
}

/**
 * Waits until the run's lock is free (the other tab stopped or closed), then holds it.
 * @param signal aborting it stops waiting; the promise then rejects with an AbortError (not a failure)
 */
export async function waitForRunLock(runId: string, signal?: AbortSignal, options: RunLockOptions = {}): Promise<RunLock> {
  const lock = await requestLock(runId, signal ? { signal } : {}, options);
  if (!lock) throw new Error(`Lock ${runLockName(runId)} was not granted`); // only ifAvailable yields null
  return lock;
}

function requestLock(runId: string, request: LockOptions, options: RunLockOptions): Promise<RunLock | null> {
  const locks = globalThis.navigator?.locks;
  if (!locks) {
    // Web Locks exist in every browser we support; without them two tabs could both write.
    console.warn(`Web Locks are unavailable: run ${runId} is not protected against a second writer`);
    return Promise.resolve({ release() {} });
  }
  return new Promise((resolve, reject) => {
    let granted = false;
    let released = false;
    let unhold!: () => void;
    const held = new Promise<void>((r) => (unhold = r));
    locks
      .request(runLockName(runId), request, (lock) => {
        if (!lock) return resolve(null);
        granted = true;
        resolve({
          release() {
            released = true;
            unhold();
          },
        });
        return held;
      })
      .catch((e: unknown) => {
        if (!granted) reject(e);
        else if (!released) options.onLost?.(e);
      });
  });
}
