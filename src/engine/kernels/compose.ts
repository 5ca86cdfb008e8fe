/**
 * Builds a kernel of a tfjs backend from that backend's own kernels, on TensorInfos (no Tensor
 * objects, no tape): every intermediate is freed, only the result is the caller's.
 */
import { getKernel, type NamedAttrMap, type TensorInfo } from '@tensorflow/tfjs';

/** What our kernels use of tfjs-backend-wasm's BackendWasm (public methods of that class). */
export interface WasmBackendLike {
  disposeData(dataId: object): void;
  makeOutput(shape: number[], dtype: 'float32'): TensorInfo;
  typedArrayFromHeap(t: TensorInfo): Float32Array | Int32Array | Uint8Array;
}

export type RunKernel = (name: string, inputs: Record<string, TensorInfo> | TensorInfo[], attrs?: NamedAttrMap) => TensorInfo;

/**
 * Calls `body` with `run`, which runs a kernel of `backendName`; returns what `body` returns and
 * disposes every other tensor `run` made, also when `body` throws.
 */
export function composeKernels(backend: WasmBackendLike, backendName: string, body: (run: RunKernel) => TensorInfo): TensorInfo {
  const temps: TensorInfo[] = [];
  const run: RunKernel = (name, inputs, attrs = {}) => {
    const kernel = getKernel(name, backendName);
    if (!kernel) throw new Error(`The ${backendName} backend lacks the ${name} kernel that Tab Trainer's kernels are built from.`);
    const out = kernel.kernelFunc({ inputs: inputs as never, backend: backend as never, attrs }) as TensorInfo;
    temps.push(out);
    return out;
  };
  let result: TensorInfo | undefined;
  try {
    result = body(run);
    return result;
  } finally {
    for (const t of temps) if (t !== result) backend.disposeData(t.dataId);
  }
}
