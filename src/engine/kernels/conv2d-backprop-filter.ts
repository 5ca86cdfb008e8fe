/**
 * Conv2DBackpropFilter for tfjs's wasm backend, which (as of 4.22) has Conv2D, Conv2DBackpropInput
 * and MaxPoolGrad but not this one, so a CNN could not train on WASM at all.
 *
 * For a stride-1, 'valid', dilation-1 NHWC convolution with filter [kh, kw, cin, cout]:
 *
 *   dW[i, j, c, o] = Σ_{n, y, x} X[n, y + i, x + j, c] · dY[n, y, x, o]
 *
 * which is itself a stride-1 'valid' convolution once batch and channels trade places: X
 * transposed to [cin, h, w, n] (cin images of n channels) convolved with dY transposed to a filter
 * [oh, ow, n, cout] gives [cin, kh, kw, cout], one transpose away from dW. It is composed from the
 * wasm backend's own kernels (Transpose, and Conv2D, which is XNNPACK's), so the heavy work runs in
 * SIMD WASM on every thread the backend has. Measured in Node on CNN small's first layer at batch
 * 64: 8 ms, against 175 ms for an im2col built from Slice and Concat (wasm's strided Slice is slow).
 *
 * Other strides, paddings, dilations or NCHW are refused with a message naming the layer setting:
 * the model's conv2d layers never use them (src/families/stack/worker.ts).
 */
import { getKernel, registerKernel, type KernelConfig, type KernelFunc, type NamedAttrMap, type TensorInfo } from '@tensorflow/tfjs';
import { composeKernels, type WasmBackendLike } from './compose';

export class UnsupportedConvError extends Error {
  override name = 'UnsupportedConvError';
}

interface FilterGradAttrs {
  strides: number | [number, number];
  pad: 'valid' | 'same' | number | unknown;
  dataFormat: 'NHWC' | 'NCHW';
  filterShape: [number, number, number, number];
  dilations?: number | [number, number];
}

/** Why these attributes are not supported, or null when they are. */
export function unsupportedReason(attrs: FilterGradAttrs): string | null {
  const pair = (v: number | [number, number] | undefined) => (v === undefined ? [1, 1] : typeof v === 'number' ? [v, v] : v);
  const [sh, sw] = pair(attrs.strides);
  const [dh, dw] = pair(attrs.dilations);
  if (attrs.dataFormat !== 'NHWC') return `data format ${attrs.dataFormat} (only NHWC)`;
  if (sh !== 1 || sw !== 1) return `stride ${sh}×${sw} (only 1×1)`;
  if (dh !== 1 || dw !== 1) return `dilation ${dh}×${dw} (only 1×1)`;
  if (attrs.pad !== 'valid' && attrs.pad !== 0) return `padding ${JSON.stringify(attrs.pad)} (only 'valid')`;
  return null;
}

/**
 * The filter gradient of a stride-1 'valid' NHWC convolution, from kernels of `backendName`.
 * @param x input [n, h, w, cin]
 * @param dy gradient of the output [n, h-kh+1, w-kw+1, cout]
 * @returns dW [kh, kw, cin, cout] (a new tensor of the backend; intermediates are freed)
 */
export function conv2dFilterGrad(x: TensorInfo, dy: TensorInfo, attrs: FilterGradAttrs, backend: WasmBackendLike, backendName: string): TensorInfo {
  const why = unsupportedReason(attrs);
  if (why) {
    throw new UnsupportedConvError(
      `The ${backendName} backend's Conv2DBackpropFilter (Tab Trainer's own) does not support ${why}. Use stride 1, 'valid' padding and no dilation, or pick the webgl or cpu backend.`,
    );
  }
  const [kh, kw, cin, cout] = attrs.filterShape;
  const [, h, w] = x.shape;
  const [oh, ow] = [h - kh + 1, w - kw + 1];
  if (dy.shape[1] !== oh || dy.shape[2] !== ow || dy.shape[3] !== cout || x.shape[3] !== cin) {
    throw new UnsupportedConvError(`Conv2DBackpropFilter got x ${JSON.stringify(x.shape)} and dy ${JSON.stringify(dy.shape)}, which do not fit filter ${JSON.stringify(attrs.filterShape)}.`);
  }
  // Batch and channels swap roles: X as [cin, h, w, n] convolved with dY as a filter
  // [oh, ow, n, cout] sums over n, y, x and gives [cin, kh, kw, cout].
  return composeKernels(backend, backendName, (run) => {
    const xT = run('Transpose', { x }, { perm: [3, 1, 2, 0] });
    const dyF = run('Transpose', { x: dy }, { perm: [1, 2, 0, 3] });
    const g = run('Conv2D', { x: xT, filter: dyF }, { strides: [1, 1], pad: 'valid', dataFormat: 'NHWC', dilations: [1, 1] } as unknown as NamedAttrMap);
    return run('Transpose', { x: g }, { perm: [1, 2, 0, 3] });
  });
}

const filterGrad: KernelFunc = ({ inputs, backend, attrs }) =>
  conv2dFilterGrad(inputs.x as TensorInfo, inputs.dy as TensorInfo, attrs as unknown as FilterGradAttrs, backend as unknown as WasmBackendLike, 'wasm');

/** Registers the kernel for the wasm backend unless tfjs already has one (a later tfjs may). */
export function registerWasmConv2dBackpropFilter(): void {
  if (getKernel('Conv2DBackpropFilter', 'wasm')) return;
  const config: KernelConfig = { kernelName: 'Conv2DBackpropFilter', backendName: 'wasm', kernelFunc: filterGrad };
  registerKernel(config);
}
