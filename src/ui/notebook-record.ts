/**
 * The notebook as saved in IndexedDB, and the check that a stored value still has that shape.
 * Anything missing or of the wrong type makes the whole record unreadable: a half-restored
 * notebook would be more confusing than starting from the defaults.
 */
import { DEFAULT_CHECKPOINTS, DEFAULT_DATA, DEFAULT_TRAIN, type DataConfig, type ModelSpec, type TrainConfig } from '../shared/config';
import { FAMILIES, familyId } from '../families';
import { sourceOf } from '../sources';

/** 2: an uploaded CSV is referenced by id (data.csv.fileId); version 1 kept its text (data.csv.text). */
export const RECORD_VERSION = 2;

/** A version-1 notebook's CSV, whose text the notebook moves to the file store when it opens. */
export interface LegacyCsv {
  fileName: string;
  text: string;
  labelColumn: string;
  task: 'classification' | 'regression';
}

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
/** Returns the record, or a reason it cannot be used. */
export function parseRecord(v: unknown): (NotebookRecord & { legacyCsv?: LegacyCsv }) | string {
  if (!isObj(v)) return 'not an object';
  if (v.version !== 1 && v.version !== RECORD_VERSION) return `unknown version ${String(v.version)}`;
  const { notes, data, model, train, runId, title, autoResume } = v;
  if (typeof notes !== 'string') return 'notes missing';
  if (runId !== undefined && typeof runId !== 'string') return 'run id unreadable';
  if (!isObj(data) || typeof data.dataset !== 'string' || !sourceOf(data.dataset)) return 'dataset missing';
  for (const k of ['samples', 'noise', 'validationSplit', 'seed'] as const) if (!isNum(data[k])) return `data.${k} missing`;
  const csv = data.csv;
  const legacy = v.version === 1 && isObj(csv) && typeof csv.text === 'string';
  if (csv !== undefined && !legacy && !(isObj(csv) && typeof csv.fileId === 'string')) return 'CSV data unreadable';
  if (!isObj(model)) return 'model missing';
  const family = FAMILIES.find((f) => f.id === familyId(model as ModelSpec));
  if (!family) return `unknown model family ${String(model.family)}`;
  const problem = family.specProblem(model);
  if (problem) return problem;
  if (!isObj(train) || !isNum(train.epochs) || !isNum(train.batchSize) || !isNum(train.learningRate)) return 'train settings missing';
  const rest: Partial<DataConfig> & { csv?: unknown } = { ...data };
  delete rest.csv;
  return {
    version: RECORD_VERSION,
    legacyCsv: legacy ? (csv as unknown as LegacyCsv) : undefined,
    runId: typeof runId === 'string' ? runId : undefined,
    title: typeof title === 'string' ? title : undefined,
    autoResume: autoResume === true,
    notes,
    data: { ...DEFAULT_DATA, ...rest, ...(legacy || csv === undefined ? {} : { csv: csv as unknown as DataConfig['csv'] }) },
    model: model as unknown as ModelSpec,
    train: {
      ...DEFAULT_TRAIN,
      ...(train as Partial<TrainConfig>),
      schedule: { ...DEFAULT_TRAIN.schedule, ...(isObj(train.schedule) ? train.schedule : {}) },
      checkpoints: { ...DEFAULT_CHECKPOINTS, ...(isObj(train.checkpoints) ? train.checkpoints : {}) },
    },
  };
}
