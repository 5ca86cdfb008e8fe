/**
 * The notebook as saved in IndexedDB, and the check that a stored value still has that shape.
 * Anything missing or of the wrong type makes the whole record unreadable: a half-restored
 * notebook would be more confusing than starting from the defaults.
 */
import { DATASET_IDS, DEFAULT_CHECKPOINTS, DEFAULT_DATA, DEFAULT_TRAIN, type DataConfig, type TrainConfig } from '../shared/config';
import type { LayerSpec, ModelSpec } from '../shared/model-spec';

export const RECORD_VERSION = 1;

export interface NotebookRecord {
  version: typeof RECORD_VERSION;
  /** The run whose checkpoints this notebook resumes; absent in records saved before checkpoints. */
  runId?: string;
  title?: string;
  /** Resume the run without a click when the page opens. */
  autoResume?: boolean;
  notes: string;
  data: DataConfig;
  model: ModelSpec;
  train: TrainConfig;
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const isNum = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);
const LAYER_FIELDS: Record<LayerSpec['type'], string[]> = {
  dense: ['units', 'activation'],
  conv2d: ['filters', 'kernelSize', 'activation'],
  maxpool2d: ['poolSize'],
  flatten: [],
  dropout: ['rate'],
  batchnorm: [],
};

function checkLayer(v: unknown): v is LayerSpec {
  if (!isObj(v) || typeof v.type !== 'string' || !(v.type in LAYER_FIELDS)) return false;
  return LAYER_FIELDS[v.type as LayerSpec['type']].every((f) => (f === 'activation' ? typeof v[f] === 'string' : isNum(v[f])));
}

/** Returns the record, or a reason it cannot be used. */
export function parseRecord(v: unknown): NotebookRecord | string {
  if (!isObj(v)) return 'not an object';
  if (v.version !== RECORD_VERSION) return `unknown version ${String(v.version)}`;
  const { notes, data, model, train, runId, title, autoResume } = v;
  if (typeof notes !== 'string') return 'notes missing';
  if (runId !== undefined && typeof runId !== 'string') return 'run id unreadable';
  if (!isObj(data) || !(DATASET_IDS as readonly unknown[]).includes(data.dataset)) return 'dataset missing';
  for (const k of ['samples', 'noise', 'validationSplit', 'seed'] as const) if (!isNum(data[k])) return `data.${k} missing`;
  if (data.csv !== undefined && !(isObj(data.csv) && typeof data.csv.text === 'string')) return 'CSV data unreadable';
  if (!isObj(model) || typeof model.name !== 'string' || !Array.isArray(model.layers)) return 'model missing';
  if (!model.layers.every(checkLayer)) return 'a model layer is unreadable';
  if (!isObj(train) || !isNum(train.epochs) || !isNum(train.batchSize) || !isNum(train.learningRate)) return 'train settings missing';
  return {
    version: RECORD_VERSION,
    runId: typeof runId === 'string' ? runId : undefined,
    title: typeof title === 'string' ? title : undefined,
    autoResume: autoResume === true,
    notes,
    data: { ...DEFAULT_DATA, ...(data as Partial<DataConfig>) },
    model: model as unknown as ModelSpec,
    train: {
      ...DEFAULT_TRAIN,
      ...(train as Partial<TrainConfig>),
      schedule: { ...DEFAULT_TRAIN.schedule, ...(isObj(train.schedule) ? train.schedule : {}) },
      checkpoints: { ...DEFAULT_CHECKPOINTS, ...(isObj(train.checkpoints) ? train.checkpoints : {}) },
    },
  };
}
