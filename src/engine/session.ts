/**
 * One training session of a notebook's run: takes the run's lock (one writer per run across tabs),
 * restores a checkpoint when resuming, picks the backend, trains with autosave, broadcasts
 * progress to other tabs, and turns a lost GPU device into a typed error the UI recovers from.
 */
import type { CheckpointRecord, TensorEntry } from '../shared/checkpoint';
import type { RunConfig } from '../shared/config';
import type { BackendInfo, CheckpointEvent, ProgressEvent, RunOptions, RunSummary } from '../shared/engine-api';
import { CheckpointNotFoundError, RunLockedError } from '../shared/errors';
import { acquireRunLock, waitForRunLock, labelRun, loadCheckpoint, loadLatestValid, openProgressChannel, type RunLock } from '../checkpoint';
import { Autosaver, buildRecord } from './autosave';
import { chooseBackend } from './backends';
import { choiceKey } from './backend-memory';
import { lossBehindFailure, lostError, watchDevice } from './device-loss';
import { ioOf, type Dataset } from './data';
import { familyWorker } from '../families/worker-registry';
import { Trainer } from './trainer';

/** A step this long (ms) makes the run wait for a checkpoint write in flight rather than train on. */
const SLOW_STEP_MS = 200;

export interface SessionCallbacks {
  onProgress: (e: ProgressEvent) => void;
  onBackend: (b: BackendInfo) => void;
  onCheckpoint?: (e: CheckpointEvent) => void;
}

export class Session {
  trainer: Trainer | null = null;
  autosaver: Autosaver | null = null;
  backend: BackendInfo | null = null;
  readonly runId: string;
  #lock: RunLock | null = null;
  #notes = '';

  constructor(runId: string) {
    this.runId = runId;
  }

  /**
   * Runs to the end, a stop or a failure. `loadData` gives the dataset of a config; `uploaded`
   * holds the weights of the last uploaded state_dict (for weightsFrom 'uploaded').
   */
  async run(
    requested: RunConfig,
    options: RunOptions,
    cb: SessionCallbacks,
    loadData: (c: RunConfig) => Promise<Dataset>,
    uploaded: TensorEntry[] | null = null,
  ): Promise<RunSummary> {
    this.#lock = (await acquireRunLock(this.runId)) ?? (await waitForRunLock(this.runId, AbortSignal.timeout(LOCK_GRACE_MS)).catch(() => null));
    if (!this.#lock) {
      throw new RunLockedError('This notebook is training in another tab. Watch it there, or stop it there to take over here.');
    }
    this.#notes = options.notes;
    const channel = openProgressChannel(this.runId);
    let deviceLost: string | null = null;
    let markedPaused = false;
    try {
      const resume = options.resumeFrom ? await this.#loadResume(options) : null;
      const weights = options.weightsFrom ? await loadWeightsFrom(options.weightsFrom, uploaded) : null;
      const config = resume ? resumedConfig(resume.record.config, requested, options.extraEpochs) : requested;
      const data = await loadData(config);
      const io = ioOf(data);
      const situation = { shape: { family: config.model.family ?? 'stack', model: config.model, io }, batchSize: config.train.batchSize };
      const memoryKey = config.train.backend === 'auto' ? await choiceKey(situation) : undefined;
      const measure = async (fastestSoFar: number) => {
        const probe = new Trainer(config, data);
        try {
          return await probe.measure(fastestSoFar);
        } finally {
          probe.dispose();
        }
      };
      this.backend = await chooseBackend(config.train.backend, familyWorker(config.model).requiredKernels(config.model, io), measure, { memoryKey, onMeasuring: cb.onBackend });
      cb.onBackend(this.backend);
      const trainer = new Trainer(config, data);
      this.trainer = trainer;
      if (resume) {
        trainer.restore(resume.record);
        cb.onCheckpoint?.({ resumed: { meta: resume.record.meta, skipped: resume.skipped } });
        await markPaused(this.runId, false); // it may have been paused when its tab closed
      } else if (weights) {
        trainer.loadWeights(weights);
      }
      void watchDevice()?.then((reason) => {
        if (this.trainer !== trainer) return;
        deviceLost = reason;
        trainer.stop();
      });
      const saver = new Autosaver(this.runId, config.train.checkpoints, options.notes, this.backend.name, trainer.state, (o) => {
        if (o.meta) channel.publish({ type: 'checkpoint', meta: o.meta });
        cb.onCheckpoint?.(o.error ? { error: o.error } : { saved: o.meta, deleted: o.deleted, timings: o.timings });
      });
      this.autosaver = saver;
      let lastStepEnd = performance.now();
      const summary = await trainer.run({
        onProgress: (e) => {
          cb.onProgress(e);
          channel.publish({ type: 'progress', progress: e });
        },
        betweenSteps: async () => {
          const stepMs = performance.now() - lastStepEnd;
          const kind = saver.due(trainer);
          if (kind && !deviceLost) await saver.capture(trainer, kind);
          // A write moves on one event-loop turn per step; after a slow step (seconds for a GPT on
          // the CPU) it would take many steps to commit, so the run waits for it instead.
          if (stepMs > SLOW_STEP_MS && saver.writing) await saver.flush();
          lastStepEnd = performance.now();
        },
        // Pause saves, and the run stays paused after a reopen (RunLabel.pausedAt) until Resume.
        onPause: async (paused) => {
          markedPaused = true;
          if (paused && !deviceLost && saver.unsaved(trainer)) await saver.capture(trainer, 'manual');
          await markPaused(this.runId, paused);
        },
      });
      if (deviceLost) throw lostError(deviceLost);
      if (summary.state === 'stopped' && saver.unsaved(trainer)) await saver.capture(trainer, 'manual');
      await saver.flush();
      return summary;
    } catch (e) {
      // A destroyed device fails the pending readback (AbortError) before `device.lost` settles.
      const reason = deviceLost ?? (await lossBehindFailure());
      if (reason) throw lostError(reason);
      throw e;
    } finally {
      await this.autosaver?.flush();
      if (markedPaused && this.trainer?.runState !== 'paused') await markPaused(this.runId, false);
      channel.publish({ type: 'released' });
      channel.close();
      this.#lock.release();
      this.#lock = null;
    }
  }

  /** Saves at the next step boundary of a going run; now, if the run is paused or over. */
  async saveNow(): Promise<void> {
    const { trainer, autosaver } = this;
    if (!trainer || !autosaver || !autosaver.unsaved(trainer)) return;
    if (trainer.runState === 'training') return autosaver.request('manual');
    await autosaver.capture(trainer, 'manual');
    await autosaver.flush();
  }

  /**
   * The trained state as a checkpoint record that was not stored, for Download when no save could
   * be committed (a full disk). Only between runs or while paused: a going run changes under it.
   * @returns null when there is no trainer, or it is training
   */
  async liveRecord(): Promise<CheckpointRecord | null> {
    const { trainer, backend } = this;
    if (!trainer || !backend || trainer.runState === 'training') return null;
    const { trainer: snap, tensors } = await trainer.snapshot();
    return buildRecord(this.runId, 'manual', trainer, snap, tensors, this.#notes, backend.name);
  }

  async #loadResume(options: RunOptions): Promise<{ record: CheckpointRecord; skipped: { meta: CheckpointRecord['meta']; reason: string }[] }> {
    if (options.resumeFrom === 'latest') {
      const found = await loadLatestValid(this.runId);
      if (!found) throw new CheckpointNotFoundError('This notebook has no checkpoint to resume from. Press Train to start.');
      return found;
    }
    return { record: await loadCheckpoint(this.runId, options.resumeFrom!), skipped: [] };
  }
}

async function loadWeightsFrom(from: NonNullable<RunOptions['weightsFrom']>, uploaded: TensorEntry[] | null): Promise<TensorEntry[]> {
  if (from !== 'uploaded') return (await loadCheckpoint(from.runId, from.checkpointId)).tensors;
  if (!uploaded) throw new CheckpointNotFoundError('No uploaded weights to start from: upload a state_dict first.');
  return uploaded;
}

/**
 * A resumed run keeps what fixes its shape and its trajectory (data, model, hyperparameters) from
 * the checkpoint, as nanoGPT does; the user's backend and checkpoint settings apply. Extra epochs
 * extend the plan but not the LR schedule's (see TrainConfig.scheduleEpochs).
 */
export function resumedConfig(saved: RunConfig, requested: RunConfig, extraEpochs = 0): RunConfig {
  const train = { ...saved.train, backend: requested.train.backend, checkpoints: requested.train.checkpoints };
  if (extraEpochs > 0) {
    train.scheduleEpochs = saved.train.scheduleEpochs ?? saved.train.epochs;
    train.epochs = saved.train.epochs + extraEpochs;
  }
  return { ...saved, train };
}

/**
 * How long a run waits for its lock before saying another tab trains it: a worker the page just
 * terminated (crash recovery) releases its lock a moment later, not at once.
 */
const LOCK_GRACE_MS = 3000;

/** Marks the run paused (a reopen keeps it paused) or not; a failed write only loses that mark. */
async function markPaused(runId: string, paused: boolean): Promise<void> {
  try {
    await labelRun(runId, { pausedAt: paused ? Date.now() : undefined });
  } catch (e) {
    console.warn(`Could not mark run ${runId} as ${paused ? 'paused' : 'going on'}`, e);
  }
}
