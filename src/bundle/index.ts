/** The bundle codec's public surface: .pt and safetensors files, and checkpoints as PyTorch dicts. */
export { decodePt, encodePt } from './pt';
export { decodeSafetensors, encodeSafetensors } from './safetensors';
export { detectFormat } from './sniff';
export {
  BUNDLE_FORMAT,
  BUNDLE_FORMAT_VERSION,
  decodeCheckpointBundle,
  encodeCheckpointBundle,
  encodeStateDictPt,
  encodeStateDictSafetensors,
  type BundledFile,
  type DecodedBundle,
} from './checkpoint-bundle';
export { stateDictToTensors } from './state-dict';
export { pytorchCode } from './pytorch-code';
