/**
 * The GPT family: nanoGPT's `GPT` (model.py), a decoder-only transformer on token ids. Token and
 * learned position embeddings, `nLayer` blocks of LayerNorm (eps 1e-5) → causal self-attention
 * (fused q, k, v projection) → residual → LayerNorm → MLP 4× with exact (erf) GELU → residual, a
 * final LayerNorm and an LM head tied to the token embedding. Biases optional, dropout optional.
 *
 * Every tensor keeps nanoGPT's name and PyTorch's layout (Linear weights [out, in]), so the
 * state_dict maps one to one. `gptTensors` is the one walk over the spec that the worker's
 * variables, the summary and the PyTorch mapping all follow.
 */
import type { ModelIO, ModelSpec, ScheduleConfig, TrainConfig } from '../../shared/config';

export interface GptSpec extends ModelSpec, GptSettings {
  family: 'gpt';
}

export interface GptSettings {
  nLayer: number;
  nHead: number;
  nEmbd: number;
  /** Context length: the longest window the model reads (nanoGPT's block_size). */
  blockSize: number;
  /** Dropout after the embeddings, on the attention weights and after each residual branch. */
  dropout: number;
  /** Biases in the Linear and LayerNorm layers. */
  bias: boolean;
}

export const PRESET_NAMES = ['GPT nano', 'baby GPT'] as const;
export type PresetName = (typeof PRESET_NAMES)[number];

const PRESETS: Record<PresetName, GptSettings> = {
  // nanoGPT's CPU example in its README (val loss about 1.88 after 2,000 iterations).
  'GPT nano': { nLayer: 4, nHead: 4, nEmbd: 128, blockSize: 64, dropout: 0, bias: false },
  // nanoGPT's config/train_shakespeare_char.py.
  'baby GPT': { nLayer: 6, nHead: 6, nEmbd: 384, blockSize: 256, dropout: 0.2, bias: false },
};

/**
 * Training settings each preset comes with: nanoGPT's for the same model (AdamW, decay 0.1 on matrices
 * and embeddings, betas (0.9, 0.99), clipping at 1.0, warm-up then cosine to lr/10). An epoch
 * of GPT nano is 1,307 steps on Tiny Shakespeare (train tokens ÷ (12 × 64)).
 */
export function presetTraining(name: string): Partial<Omit<TrainConfig, 'schedule'>> & { schedule: Partial<ScheduleConfig> } {
  const nano = name !== 'baby GPT';
  return {
    batchSize: nano ? 12 : 64,
    learningRate: 1e-3,
    optimizer: 'adamw',
    weightDecay: 0.1,
    beta2: 0.99,
    gradClip: 1,
    epochs: nano ? 2 : 4,
    evalBatches: 20,
    schedule: { name: 'cosine', warmupSteps: 100, minLrFactor: 0.1 },
  };
}

export function presetSpec(name: PresetName): GptSpec {
  return { family: 'gpt', name, ...PRESETS[name] };
}

/** Limits the editor and specProblem enforce. */
export const LIMITS = { nLayer: [1, 48], nHead: [1, 64], nEmbd: [1, 4096], blockSize: [1, 4096] } as const;

/** Why `spec` is not a usable GPT spec, or null. */
export function gptSpecProblem(spec: unknown): string | null {
  if (typeof spec !== 'object' || spec === null) return 'the model is not an object';
  const s = spec as Record<string, unknown>;
  for (const key of ['nLayer', 'nHead', 'nEmbd', 'blockSize'] as const) {
    const [lo, hi] = LIMITS[key];
    const v = s[key];
    if (typeof v !== 'number' || !Number.isInteger(v) || v < lo || v > hi) return `${key} must be a whole number from ${lo} to ${hi}, got ${String(v).slice(0, 20)}`;
  }
  if ((s.nEmbd as number) % (s.nHead as number) !== 0) return `the width (${s.nEmbd}) must be a multiple of the number of heads (${s.nHead})`;
  if (typeof s.dropout !== 'number' || !(s.dropout >= 0 && s.dropout < 1)) return `dropout must be from 0 to below 1, got ${String(s.dropout).slice(0, 20)}`;
  if (typeof s.bias !== 'boolean') return 'bias must be true or false';
  return null;
}

export function asGpt(spec: ModelSpec): GptSpec {
  return spec as GptSpec;
}

/** One tensor of the model: nanoGPT's state_dict name, PyTorch's shape, how it starts. */
export interface GptTensor {
  name: string;
  shape: number[];
  init: 'normal' | 'proj' | 'ones' | 'zeros';
  /** 'embedding', 'linear' or 'layernorm': what the summary groups it as. */
  layer: string;
}

/**
 * Every trained tensor, in nanoGPT's named_parameters() order (= our params order). The LM head
 * is the token embedding (tied) and appears only in the state_dict, after ln_f.
 * init: 'normal' N(0, 0.02); 'proj' N(0, 0.02/√(2·nLayer)) for the residual projections; LayerNorm ones and zeros; biases zeros.
 */
export function gptTensors(spec: GptSpec, vocabSize: number): GptTensor[] {
  const { nLayer, nEmbd: c, blockSize, bias } = spec;
  const out: GptTensor[] = [
    { name: 'transformer.wte.weight', shape: [vocabSize, c], init: 'normal', layer: 'embedding' },
    { name: 'transformer.wpe.weight', shape: [blockSize, c], init: 'normal', layer: 'embedding' },
  ];
  const linear = (name: string, nIn: number, nOut: number, proj = false) => {
    out.push({ name: `${name}.weight`, shape: [nOut, nIn], init: proj ? 'proj' : 'normal', layer: 'linear' });
    if (bias) out.push({ name: `${name}.bias`, shape: [nOut], init: 'zeros', layer: 'linear' });
  };
  const norm = (name: string) => {
    out.push({ name: `${name}.weight`, shape: [c], init: 'ones', layer: 'layernorm' });
    if (bias) out.push({ name: `${name}.bias`, shape: [c], init: 'zeros', layer: 'layernorm' });
  };
  for (let i = 0; i < nLayer; i++) {
    const h = `transformer.h.${i}`;
    norm(`${h}.ln_1`);
    linear(`${h}.attn.c_attn`, c, 3 * c);
    linear(`${h}.attn.c_proj`, c, c, true);
    norm(`${h}.ln_2`);
    linear(`${h}.mlp.c_fc`, c, 4 * c);
    linear(`${h}.mlp.c_proj`, 4 * c, c, true);
  }
  norm('transformer.ln_f');
  return out;
}

/** The vocabulary a model of `io` predicts over. */
export function vocabOf(io: Pick<ModelIO, 'outputs'>): number {
  return io.outputs;
}
