/**
 * What a checkpoint holds: everything a run needs to continue as if it had never stopped. Plain
 * structured-cloneable data, stored in IndexedDB as one record and mapped to a .pt bundle by bundle/.
 */
import type { BackendName, ModelIO, RunConfig } from './config';

/**
 * Bumped when the record's shape changes; readers refuse versions they do not know.
 * 2: records describe themselves (`about`) and hold an uploaded file by reference
 *    (config.data.csv.fileId); format-1 records are read through checkpoint/migrate.ts.
 */
export const CHECKPOINT_FORMAT_VERSION = 2;

export interface EpochMetrics {
  epoch: number;
  trainLoss: number;
  valLoss: number;
  /** Absent for regression. */
  valAccuracy?: number;
  trainAccuracy?: number;
}

/**
 * What a record's model is, takes and gives, so that export, the PyTorch code and resume never
 * load the data to learn it.
 */
export interface RecordAbout {
  /** The model family (src/families/<id>); config.model.family says the same, 'stack' when absent. */
  family: string;
  io: ModelIO;
  /** Batches per epoch: the learning-rate schedule and "every N epochs" count in them. */
  stepsPerEpoch: number;
}

export type CheckpointKind = 'periodic' | 'best' | 'final' | 'manual';

/** The summary kept in the run's manifest and listed in the Checkpoints cell. */
export interface CheckpointMeta {
  /** Unique within the run, e.g. "e000025-s012000-periodic". */
  id: string;
  runId: string;
  kind: CheckpointKind;
  /** Completed epochs and global step at the moment of the snapshot. */
  epoch: number;
  step: number;
  /** Validation loss of the last completed epoch (NaN before the first). */
  valLoss: number;
  sizeBytes: number;
  /** ms since the epoch (Date.now()). */
  createdAt: number;
  backend: BackendName;
}

export interface TensorEntry {
  /** Our names: params/buffers `<layer>.<kind>`; optimizer slots `<layer>.<kind>.<slot>`. */
  name: string;
  shape: number[];
  dtype: 'float32';
  data: Float32Array;
}

/** The trainer's plain state between two steps (see engine/trainer.ts TrainerState). */
export interface TrainerSnapshot {
  epoch: number;
  step: number;
  batchInEpoch: number;
  /** The current epoch's shuffle order, null at an epoch boundary. */
  order: Int32Array | null;
  rng: number[];
  stepLosses: Float32Array;
  history: EpochMetrics[];
  best: { valLoss: number; epoch: number } | null;
  trainTimeMs: number;
  optimizerStep: number;
}

export interface CheckpointRecord {
  formatVersion: number;
  meta: CheckpointMeta;
  /** Written by every save from format 2 on; absent in records migrated from format 1 (engine/files.ts aboutOf works it out). */
  about?: RecordAbout;
  config: RunConfig;
  /** The notebook's notes, so a checkpoint restores the whole notebook. */
  notes: string;
  trainer: TrainerSnapshot;
  tensors: TensorEntry[];
}

/** One run's list of complete checkpoints; committed in the same transaction as each record. */
export interface RunManifest {
  runId: string;
  /** Oldest first. */
  checkpoints: CheckpointMeta[];
  /** id of the newest complete checkpoint. */
  latest: string | null;
  updatedAt: number;
  /** Ids of the stored files its checkpoints refer to (absent in format-1 manifests, which refer to none). */
  files?: string[];
  /**
   * What the newest committed record says, so the Runs cell lists a run without reading its
   * tensors. Absent in manifests written before the Runs cell: listRunListings reads the record.
   */
  summary?: RunManifestSummary;
}

export interface RunManifestSummary {
  config: RunConfig;
  best: { valLoss: number; epoch: number } | null;
  last: EpochMetrics | null;
}

/** A run's stored curves (its newest checkpoint's), which the Runs cell overlays. */
export interface RunCurves {
  runId: string;
  /** The checkpoint they were read from: a newer one means newer curves. */
  checkpointId: string;
  history: EpochMetrics[];
  /** Training loss of every step, step 1 first. */
  stepLosses: Float32Array;
  /** Batches per epoch, to place per-epoch values on the step axis; 0 when unknown. */
  stepsPerEpoch: number;
}

/** Where a run's starting point came from; absent for a run trained from scratch (and every run saved before runs had it). */
export type RunLineage =
  /** "Load weights only": a new run (fresh optimizer and schedule) from a stored checkpoint's weights. */
  | { kind: 'weights'; runId: string; checkpointId: string; epoch: number }
  /** An uploaded bundle (stored as its own run) or a PyTorch state_dict the run started from. */
  | { kind: 'upload'; fileName: string }
  /** "Resume from here" on an earlier checkpoint: a branch that continues `runId` from `epoch`, which had reached `fromEpoch`. */
  | { kind: 'rewind'; runId: string; epoch: number; fromEpoch: number };

/** What the user says about a run, stored beside its manifest (`label:<runId>`); every field optional. */
export interface RunLabel {
  name?: string;
  lineage?: RunLineage;
  /** Set while the run is paused: a reopened notebook keeps it paused (no auto-resume) until Resume. */
  pausedAt?: number;
  /** Set by Delete: the run is hidden, and removed for good once the undo window passes. */
  deletedAt?: number;
}

/** One row of the Runs cell: a run's manifest, its label and what its newest checkpoint says. */
export interface RunListing {
  runId: string;
  label: RunLabel;
  checkpoints: CheckpointMeta[];
  /** Sum of the checkpoints' sizes. */
  sizeBytes: number;
  /** The first and the newest checkpoint's time (ms since the epoch). */
  startedAt: number;
  updatedAt: number;
  /** The newest checkpoint's settings (the run's plan), null when it could not be read. */
  config: RunConfig | null;
  best: { valLoss: number; epoch: number } | null;
  last: EpochMetrics | null;
  /** Another tab or worker holds the run's lock (it trains there). */
  locked: boolean;
}
