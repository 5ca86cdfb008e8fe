/**
 * Faster training kernels for tfjs's wasm backend, for the layers our models use. tfjs-backend-wasm
 * 4.22 runs Conv2DBackpropInput and MaxPoolGrad as plain C loops on one thread and lacks
 * Conv2DBackpropFilter; measured in Node on CNN small at batch 64 they were 18, 19 and (our first,
 * im2col) 150 ms of a step whose forward pass takes 5. Here:
 *
 * - Conv2DBackpropInput (stride 1, 'valid', NHWC): dX is the 'full' convolution of dY with the filter
 *   turned by 180° and its in/out channels swapped, i.e. dY padded by k-1 on each side convolved
 *   with that filter: XNNPACK's Conv2D, on every thread.
 * - MaxPoolGrad ('valid', no dilation): each window's gradient goes to its first maximum in row-major
 *   order, the position tfjs's cpu backend and PyTorch pick; one pass in JS over the wasm heap.
 *
 * Anything else goes to tfjs's own kernel, saved before ours replaces it.
 */
import { getKernel, registerKernel, unregisterKernel, type KernelFunc, type NamedAttrMap, type TensorInfo } from '@tensorflow/tfjs';
import { composeKernels, type WasmBackendLike } from './compose';

interface ConvInputAttrs {
  strides: number | [number, number];
  pad: unknown;
  dataFormat: string;
  inputShape: [number, number, number, number];
  dilations?: number | [number, number];
}

interface PoolGradAttrs {
  filterSize: number | [number, number];
  strides: number | [number, number];
  pad: unknown;
}

const pair = (v: number | [number, number] | undefined): [number, number] => (v === undefined ? [1, 1] : typeof v === 'number' ? [v, v] : v);

function convInputFast(inputs: Record<string, TensorInfo>, attrs: ConvInputAttrs, backend: WasmBackendLike): TensorInfo | null {
  const [sh, sw] = pair(attrs.strides);
  const [dh, dw] = pair(attrs.dilations);
  if (attrs.dataFormat !== 'NHWC' || sh !== 1 || sw !== 1 || dh !== 1 || dw !== 1 || (attrs.pad !== 'valid' && attrs.pad !== 0)) return null;
  const { dy, filter } = inputs;
  const [kh, kw] = filter.shape;
  return composeKernels(backend, 'wasm', (run) => {
    const padded = run('PadV2', { x: dy }, { paddings: [[0, 0], [kh - 1, kh - 1], [kw - 1, kw - 1], [0, 0]], constantValue: 0 });
    const turned = run('Reverse', { x: filter }, { dims: [0, 1] });
    const swapped = run('Transpose', { x: turned }, { perm: [0, 1, 3, 2] });
    return run('Conv2D', { x: padded, filter: swapped }, { strides: [1, 1], pad: 'valid', dataFormat: 'NHWC', dilations: [1, 1] } as unknown as NamedAttrMap);
  });
}

function maxPoolGradFast(inputs: Record<string, TensorInfo>, attrs: PoolGradAttrs, backend: WasmBackendLike): TensorInfo | null {
  if (attrs.pad !== 'valid' && attrs.pad !== 0) return null;
  const { dy, input } = inputs;
  if (input.dtype !== 'float32' || dy.dtype !== 'float32') return null;
  const [fh, fw] = pair(attrs.filterSize);
  const [sh, sw] = pair(attrs.strides);
  const [n, h, w, c] = input.shape;
  const [, oh, ow] = dy.shape;
  const out = backend.makeOutput(input.shape, 'float32');
  // Views after makeOutput: allocating may grow the heap and detach older views.
  const x = backend.typedArrayFromHeap(input) as Float32Array;
  const g = backend.typedArrayFromHeap(dy) as Float32Array;
  const dx = backend.typedArrayFromHeap(out) as Float32Array;
  dx.fill(0);
  const rowStride = w * c;
  for (let b = 0; b < n; b++) {
    const xBase = b * h * rowStride;
    for (let oy = 0; oy < oh; oy++)
      for (let ox = 0; ox < ow; ox++) {
        const gBase = ((b * oh + oy) * ow + ox) * c;
        const corner = xBase + oy * sh * rowStride + ox * sw * c;
        for (let ch = 0; ch < c; ch++) {
          let best = corner + ch;
          let bestValue = x[best];
          for (let i = 0; i < fh; i++)
            for (let j = 0; j < fw; j++) {
              const at = corner + i * rowStride + j * c + ch;
              if (x[at] > bestValue) {
                bestValue = x[at];
                best = at;
              }
            }
          dx[best] += g[gBase + ch];
        }
      }
  }
  return out;
}

/** Replaces tfjs's wasm kernel `name` with `fast`, which may decline (null) and leave it to tfjs's. */
function override<A>(name: string, fast: (inputs: Record<string, TensorInfo>, attrs: A, backend: WasmBackendLike) => TensorInfo | null): void {
  const original = getKernel(name, 'wasm');
  if (!original) throw new Error(`tfjs-backend-wasm has no ${name} kernel to speed up; is the wasm backend imported?`);
  if ((original.kernelFunc as { ours?: boolean }).ours) return;
  const kernelFunc: KernelFunc = (args) =>
    fast(args.inputs as Record<string, TensorInfo>, args.attrs as unknown as A, args.backend as unknown as WasmBackendLike) ?? (original.kernelFunc(args) as TensorInfo);
  Object.assign(kernelFunc, { ours: true });
  unregisterKernel(name, 'wasm');
  registerKernel({ ...original, kernelFunc });
}

/** Installs the faster Conv2DBackpropInput and MaxPoolGrad for wasm (idempotent). */
export function registerWasmTrainingKernels(): void {
  override<ConvInputAttrs>('Conv2DBackpropInput', convInputFast);
  override<PoolGradAttrs>('MaxPoolGrad', maxPoolGradFast);
}
