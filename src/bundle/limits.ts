/*
 * Bounds every decode by the size of the file it reads (pt-format.md §6.3): how deep containers
 * may nest, and how much work and output (elements, characters, tensor bytes) one file may cost.
 * A hostile file can share one object along many paths (pickle memo), so any walk that follows
 * paths rather than objects spends from the same budget and stops once the file "expands" too far.
 */
import { BundleError, NOTHING_LOADED } from './bundle-error';

/**
 * Deepest container nesting a reader accepts. Python's pickler recurses once per level and stops at
 * its default recursion limit of 1000, so torch.save cannot write deeper; every walk in bundle/ is
 * iterative, so the limit is ours to choose, not the call stack's.
 */
export const MAX_NESTING_DEPTH = 1000;
/** Most dimensions a tensor may have (torch's CUDA kernels stop at 25; no checkpoint comes near). */
export const MAX_RANK = 64;
/** Units (elements, characters, records) a decode may produce per byte of file, plus a constant. */
const UNITS_PER_BYTE = 16;
const BASE_UNITS = 1 << 20;
/** Tensor bytes a decode may materialize per byte of file (views of one storage are copied). */
const TENSOR_BYTES_PER_BYTE = 8;
const BASE_TENSOR_BYTES = 1 << 20;

/** What one decode may still spend; created from the file size by `budgetFor`. */
export interface DecodeBudget {
  /** Tensor bytes that may still be materialized. */
  remainingBytes: number;
  /** Elements, characters and records that walks over the decoded value may still produce. */
  remainingUnits: number;
}

/** The budget of one file of `fileBytes` bytes. */
export function budgetFor(fileBytes: number, maxTensorBytes?: number): DecodeBudget {
  return {
    remainingBytes: maxTensorBytes ?? TENSOR_BYTES_PER_BYTE * fileBytes + BASE_TENSOR_BYTES,
    remainingUnits: UNITS_PER_BYTE * fileBytes + BASE_UNITS,
  };
}

/**
 * The budget for converting plain data (config, notes) to JS: without sharing, every value and
 * character costs at least one byte of pickle, so twice the file size (plus a little) is ample,
 * and a file that shares one list along many paths is refused after a few thousand copies.
 */
export function plainDataBudgetFor(fileBytes: number): DecodeBudget {
  return { remainingBytes: 0, remainingUnits: 2 * fileBytes + 4096 };
}

/** A budget with no limit, for values we built ourselves (never for file contents). */
export const unlimitedBudget = (): DecodeBudget => ({ remainingBytes: Infinity, remainingUnits: Infinity });

export function expandsTooMuch(what: string, entry?: string): BundleError {
  return new BundleError(
    `the file expands too much when read (${what}): it reuses the same data along very many paths, ` +
      `far more than a checkpoint of its size holds. The file is corrupt or hostile: export the checkpoint again, or choose another file. ${NOTHING_LOADED}`,
    { entry },
  );
}

export function nestedTooDeeply(entry?: string): BundleError {
  return new BundleError(
    `containers in the file are nested more than ${MAX_NESTING_DEPTH} levels deep, deeper than torch.save can write. ` +
      `The file is corrupt or hostile: export the checkpoint again, or choose another file. ${NOTHING_LOADED}`,
    { entry },
  );
}

/** Spends `units` from the budget, or refuses the file. */
export function spend(budget: DecodeBudget, units: number, what: string, entry?: string): void {
  budget.remainingUnits -= units;
  if (budget.remainingUnits < 0) throw expandsTooMuch(what, entry);
}
