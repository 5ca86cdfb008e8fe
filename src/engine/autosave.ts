/**
 * Saving checkpoints while training, off the training path. Between two steps the trainer only
 * waits for the device→CPU readback of its state (snapshot); the IndexedDB write then runs while
 * training continues. At most one write is in flight. Snapshots due meanwhile wait in a queue where a
 * newer snapshot replaces the ones it supersedes: a periodic or manual one replaces queued periodic
 * and manual ones, a best one also replaces a queued older best. A queued best is never dropped for
 * a later non-best snapshot (it holds other weights), so the queue holds at most two snapshots.
 *
 * A periodic snapshot due while a write is in flight waits for it (the next step boundary after the
 * write settles takes it): otherwise it would only replace another queued one, and its readback
 * would compete with the write for the CPU and memory, so the stall would be several times the bare
 * readback (npm run bench, "Checkpoint cost"). Best, final and manual snapshots are taken at once.
 */
import type { CheckpointKind, CheckpointMeta, CheckpointRecord } from '../shared/checkpoint';
import { CHECKPOINT_FORMAT_VERSION } from '../shared/checkpoint';
import type { BackendName, CheckpointSettings } from '../shared/config';
import { saveCheckpoint } from '../checkpoint';
import { familyId } from '../families';
import { ioOf } from './data/dataset';
import type { Trainer } from './trainer';

export interface SaveOutcome {
  meta?: CheckpointMeta;
  timings?: { stallMs: number; writeMs: number; bytes: number };
  deleted?: string[];
  /** name + message of a failed write (StorageFullError, …); training goes on regardless. */
  error?: { name: string; message: string };
}

export class Autosaver {
  readonly runId: string;
  readonly settings: CheckpointSettings;
  #notes: string;
  #backend: BackendName;
  #onSaved: (o: SaveOutcome) => void;
  #writing: Promise<void> | null = null;
  #queued: { record: CheckpointRecord; stallMs: number }[] = [];
  #lastSave: { step: number; epoch: number; at: number };
  #requested: CheckpointKind | null = null;
  /** The newest snapshot's write failed (a full disk): Save now and Stop must try it again. */
  #newestFailed = false;
  /** A periodic snapshot came due while a write was in flight: take it once the write settles. */
  #deferred = false;

  #save: typeof saveCheckpoint;

  /** `save` writes one checkpoint (the IndexedDB store by default). */
  constructor(
    runId: string,
    settings: CheckpointSettings,
    notes: string,
    backend: BackendName,
    start: { step: number; epoch: number },
    onSaved: (o: SaveOutcome) => void,
    save: typeof saveCheckpoint = saveCheckpoint,
  ) {
    this.#save = save;
    this.runId = runId;
    this.settings = settings;
    this.#notes = notes;
    this.#backend = backend;
    this.#onSaved = onSaved;
    this.#lastSave = { ...start, at: performance.now() };
  }

  /** Asks for a save at the next step boundary ("Save now", the page becoming hidden). */
  request(kind: CheckpointKind = 'manual'): void {
    this.#requested = kind;
  }

  /**
   * Which kind of checkpoint is due now that `trainer` finished a step, or null. Epoch ends give
   * 'best' when validation loss improved, else 'periodic'; the last planned step gives 'final'.
   */
  due(trainer: Trainer): CheckpointKind | null {
    const s = trainer.state;
    if (this.#requested) return this.#requested;
    if (s.step === this.#lastSave.step) return null;
    if (s.epoch >= trainer.config.train.epochs && s.batchInEpoch === 0) return 'final';
    const epochEnded = s.batchInEpoch === 0 && s.epoch > this.#lastSave.epoch;
    if (epochEnded && s.best?.epoch === s.epoch) return 'best';
    if (!this.#deferred && !this.#periodicDue(s, epochEnded)) return null;
    this.#deferred = this.#writing !== null;
    return this.#deferred ? null : 'periodic';
  }

  #periodicDue(s: Trainer['state'], epochEnded: boolean): boolean {
    const set = this.settings;
    return (
      (epochEnded && set.saveEveryEpochs > 0 && s.epoch % set.saveEveryEpochs === 0) ||
      (set.saveEverySteps > 0 && s.step - this.#lastSave.step >= set.saveEverySteps) ||
      (set.saveEveryMinutes > 0 && performance.now() - this.#lastSave.at >= set.saveEveryMinutes * 60_000)
    );
  }

  /**
   * True when `trainer` took steps since the last snapshot, or when that snapshot's write failed.
   * A failed write leaves the periodic schedule alone (a full disk is not retried every step), but
   * Save now and Stop try again, so freeing space and saving loses nothing.
   */
  unsaved(trainer: Trainer): boolean {
    return trainer.state.step !== this.#lastSave.step || this.#newestFailed;
  }

  /** Takes a snapshot now (waits for the readback only) and queues its write. */
  async capture(trainer: Trainer, kind: CheckpointKind): Promise<void> {
    this.#requested = null;
    this.#deferred = false;
    // Finishing the queued steps is training time; the checkpoint's own stall is the readback.
    if (trainer.runState === 'training') await trainer.drain();
    const t0 = performance.now();
    const { trainer: snap, tensors } = await trainer.snapshot();
    const stallMs = performance.now() - t0;
    const s = trainer.state;
    this.#lastSave = { step: s.step, epoch: s.epoch, at: performance.now() };
    this.#newestFailed = false;
    const record = buildRecord(this.runId, kind, trainer, snap, tensors, this.#notes, this.#backend);
    this.#enqueue({ record, stallMs });
  }

  #enqueue(item: { record: CheckpointRecord; stallMs: number }): void {
    if (!this.#writing) {
      this.#writing = this.#write(item);
      return;
    }
    const kind = item.record.meta.kind;
    const supersedes = (k: CheckpointKind) => k === 'periodic' || k === 'manual' || (kind === 'best' && k === 'best');
    this.#queued = [...this.#queued.filter((q) => !supersedes(q.record.meta.kind)), item];
  }

  async #write({ record, stallMs }: { record: CheckpointRecord; stallMs: number }): Promise<void> {
    let outcome: SaveOutcome;
    try {
      const t0 = performance.now();
      const { meta, deleted } = await this.#save(record, { keepLast: this.settings.keepLast });
      if (meta.step === this.#lastSave.step) this.#newestFailed = false;
      outcome = { meta, deleted, timings: { stallMs, writeMs: performance.now() - t0, bytes: meta.sizeBytes } };
    } catch (e) {
      const err = e as Error;
      console.error(`Saving checkpoint ${record.meta.id} failed`, e);
      if (record.meta.step === this.#lastSave.step) this.#newestFailed = true;
      outcome = { error: { name: err.name, message: err.message } };
    }
    // A listener that throws (a closed BroadcastChannel after the run ended) must not turn a
    // committed save into a failed one.
    try {
      this.#onSaved(outcome);
    } catch (e) {
      console.error(`Reporting checkpoint ${record.meta.id} failed`, e);
    }
    const next = this.#queued.shift();
    this.#writing = next ? this.#write(next) : null;
  }

  /** Resolves when every queued write has settled. */
  /** True while a checkpoint write is in flight. */
  get writing(): boolean {
    return this.#writing !== null;
  }

  async flush(): Promise<void> {
    while (this.#writing) await this.#writing;
  }
}

/**
 * The checkpoint record of `trainer`'s state as `snapshot()` read it back: what a save commits and
 * what Download exports when nothing could be stored.
 */
export function buildRecord(
  runId: string,
  kind: CheckpointKind,
  trainer: Trainer,
  snap: CheckpointRecord['trainer'],
  tensors: CheckpointRecord['tensors'],
  notes: string,
  backend: BackendName,
): CheckpointRecord {
  const s = trainer.state;
  const last = s.history[s.history.length - 1];
  return {
    formatVersion: CHECKPOINT_FORMAT_VERSION,
    about: { family: familyId(trainer.config.model), io: ioOf(trainer.data), stepsPerEpoch: trainer.stepsPerEpoch },
    meta: {
      id: `e${pad(s.epoch, 6)}-s${pad(s.step, 9)}-${kind}`,
      runId,
      kind,
      epoch: s.epoch,
      step: s.step,
      valLoss: last?.valLoss ?? NaN,
      sizeBytes: tensors.reduce((n, t) => n + t.data.byteLength, 0) + snap.stepLosses.byteLength + (snap.order?.byteLength ?? 0),
      createdAt: Date.now(),
      backend,
    },
    config: trainer.config,
    notes,
    trainer: snap,
    tensors,
  };
}

function pad(n: number, width: number): string {
  return String(n).padStart(width, '0');
}
