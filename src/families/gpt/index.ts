/** The 'gpt' family: nanoGPT's GPT on token ids (spec.ts), its pure definition. */
import type { Family, ModelSummary } from '../contract';
import { asGpt, gptSpecProblem, gptTensors, PRESET_NAMES, presetSpec, presetTraining, vocabOf, type PresetName } from './spec';
import { gptTorch } from './torch';

const count = (shape: number[]) => shape.reduce((a, b) => a * b, 1);

export const gpt: Family = {
  id: 'gpt',
  label: 'GPT (language model)',
  presets: PRESET_NAMES,
  input: 'tokens',
  contextLength: (spec) => asGpt(spec).blockSize,
  preset: (name) => presetSpec(name as PresetName),
  presetTraining,
  summarize(spec, io): ModelSummary {
    const problem = gptSpecProblem(spec);
    if (problem) return { layers: [], totalParams: 0, error: `The model is not usable: ${problem}. Fix it in the Model cell.` };
    const s = asGpt(spec);
    const tensors = gptTensors(s, vocabOf(io));
    const params = (prefix: string) => tensors.filter((t) => t.name.startsWith(prefix)).reduce((n, t) => n + count(t.shape), 0);
    const c = s.nEmbd;
    const layers = [
      { label: 'token embedding', outputShape: [s.blockSize, c], params: params('transformer.wte') },
      { label: 'position embedding', outputShape: [s.blockSize, c], params: params('transformer.wpe') },
      ...Array.from({ length: s.nLayer }, (_, i) => ({ label: `block ${i + 1} (${s.nHead} heads)`, outputShape: [s.blockSize, c], params: params(`transformer.h.${i}.`) })),
      { label: 'final layernorm', outputShape: [s.blockSize, c], params: params('transformer.ln_f') },
      { label: 'output (tied to the token embedding)', outputShape: [s.blockSize, vocabOf(io)], params: 0 },
    ];
    return { layers, totalParams: tensors.reduce((n, t) => n + count(t.shape), 0) };
  },
  specProblem: gptSpecProblem,
  describe(spec) {
    const s = asGpt(spec);
    return [`gpt ${s.nLayer} layers, ${s.nHead} heads, width ${s.nEmbd}`, `block ${s.blockSize}`, `dropout ${s.dropout}`, `bias ${s.bias}`];
  },
  torch: gptTorch,
};
