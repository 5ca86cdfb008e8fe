/** The 'stack' family (dense, conv2d, pooling, dropout, batchnorm layers): its pure definition. */
import type { Family } from '../contract';
import { asStack, describeLayer, PRESET_NAMES, presetModel, stackSpecProblem, summarizeModel, type PresetName } from './spec';
import { stackTorch } from './torch';

export const stack: Family = {
  id: 'stack',
  label: 'Layer stack (MLP, CNN)',
  presets: PRESET_NAMES,
  preset: (name, io) => presetModel(name as PresetName, io.inputShape),
  summarize: (spec, io) => summarizeModel(asStack(spec), io.inputShape, io.outputs),
  specProblem: stackSpecProblem,
  describe: (spec) => asStack(spec).layers.map(describeLayer),
  torch: stackTorch,
};
