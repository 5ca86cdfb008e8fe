/**
 * What a model family is, for the code that does not know it: the pure part every thread uses.
 * A family lives in one folder (`src/families/<id>/`, see docs/architecture.md): `index.ts`
 * exports its Family (spec, presets, the one shape walker, the PyTorch names and code), `worker.ts`
 * its FamilyWorker (tfjs variables and forward pass), `Editor.svelte` its part of the Model cell.
 */
import type { ModelIO, ModelSpec, ScheduleConfig, TrainConfig } from '../shared/config';

export interface LayerSummary {
  /** 'dense', 'conv2d', …, or 'output' for the head. */
  label: string;
  outputShape: number[];
  params: number;
}

export interface ModelSummary {
  layers: LayerSummary[];
  totalParams: number;
  /** Set when the spec cannot be built on this input, e.g. a conv2d after a flatten. */
  error?: string;
}

/** One state-dict entry of the equivalent torch.nn model and how its values map to ours. */
export interface TorchTensor {
  /** PyTorch's key, e.g. '1.weight'. */
  torchName: string;
  torchShape: number[];
  /** Our name ('0.kernel'), or null for a torch-only counter such as num_batches_tracked. */
  ourName: string | null;
  ourShape: number[];
  /**
   * 'param': trained (has optimizer slots); 'buffer': e.g. BatchNorm running stats; 'counter': num_batches_tracked;
   * 'tied': the same tensor as the param `ourName` under a second key (a GPT's lm_head.weight), saved, required, loaded once.
   */
  role: 'param' | 'buffer' | 'counter' | 'tied';
  /** Our data -> PyTorch's layout (a new array). */
  toTorch(data: Float32Array): Float32Array;
  /** PyTorch's data -> our layout (a new array). */
  fromTorch(data: Float32Array): Float32Array;
}

/** The torch.nn model a spec is equivalent to: its state_dict and its Python. */
export interface TorchModel {
  /** In state_dict() order. */
  tensors: TorchTensor[];
  /** Parameters in model.parameters() order (= the worker's params order, = optimizer state indices). */
  params: TorchTensor[];
  /** PyTorch's per-sample input shape: [C, H, W] for images, [F] for tabular data. */
  torchInputShape: number[];
  /** 'long' when the model takes token ids; absent = float inputs. */
  torchInputDtype?: 'long';
  /** Python statements (no imports beyond `torch` and `from torch import nn`) that bind `model`. */
  python: string;
}

export interface Family {
  id: string;
  /** Shown in the Model cell. */
  label: string;
  /**
   * 'tokens' for language models: they train on text (a dataset with token streams) and read windows
   * of `contextLength(spec)` tokens. Absent: they take samples of the data's input shape.
   */
  input?: 'tokens';
  contextLength?(spec: ModelSpec): number;
  /** Training settings a preset comes with (applied when the notebook switches to this family). */
  presetTraining?(name: string): Partial<Omit<TrainConfig, 'schedule'>> & { schedule?: Partial<ScheduleConfig> };
  /** Preset names, in the order the Model cell lists them. */
  presets: readonly string[];
  /** A preset's spec for data of `io` (e.g. an MLP fed images starts with a flatten). */
  preset(name: string, io: ModelIO): ModelSpec;
  /**
   * Output shape and parameter count of every layer (head included) on `io`, without tfjs: the one
   * walk over the spec that the worker, the PyTorch mapping and the UI all follow.
   */
  summarize(spec: ModelSpec, io: ModelIO): ModelSummary;
  /** Why a stored or uploaded spec cannot be this family's, or null when it can. */
  specProblem(spec: unknown): string | null;
  /** One short line per layer ("dense 16 relu"), to compare two specs. */
  describe(spec: ModelSpec): string[];
  /**
   * The equivalent torch.nn model with every state-dict key and layout.
   * @throws BundleError when the spec does not fit `io` (summarize reports the same)
   */
  torch(spec: ModelSpec, io: ModelIO): TorchModel;
}
