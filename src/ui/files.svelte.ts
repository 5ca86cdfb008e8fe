/**
 * Checkpoints as files on the page side: saving exported bytes as a download, reading an upload
 * without copying it, and the one flag the Train button reads after a state_dict was uploaded.
 * Decoding and validation happen in the worker (engine.importFile); nothing here parses files.
 */
import type { ExportFormat, ImportResult } from '../shared/engine-api';
import { formatInt } from './format';

export interface UploadedWeights {
  fileName: string;
  tensorCount: number;
  parameterCount: number;
}

/**
 * `weights` is set after a state_dict upload validated against the current model: the next Train
 * starts from those weights (options.weightsFrom = 'uploaded'); run.svelte.ts reads it with
 * takeUploadedWeights(). `reading` names the file being read meanwhile: Train waits for it, so a
 * press during the read never trains the old weights while the upload lands afterwards.
 */
export const uploads = $state<{ weights: UploadedWeights | null; reading: string | null }>({ weights: null, reading: null });

/** 'uploaded' once after a state_dict upload (then cleared), otherwise undefined. */
export function takeUploadedWeights(): 'uploaded' | undefined {
  if (!uploads.weights) return undefined;
  uploads.weights = null;
  return 'uploaded';
}

/** What the upload accepts: our bundle and PyTorch state_dicts (.pt/.pth/.bin) or safetensors. */
export const UPLOAD_ACCEPT = '.pt,.pth,.bin,.safetensors';

export const FORMAT_LABELS: Record<ExportFormat, string> = {
  bundle: 'Checkpoint (.pt)',
  'weights-pt': 'Weights (.pt)',
  'weights-safetensors': 'Weights (.safetensors)',
};

/** Saves bytes as a file through a temporary object URL and an <a download> click. */
export function saveBytes(fileName: string, bytes: Uint8Array): void {
  const blob = new Blob([bytes as Uint8Array<ArrayBuffer>], { type: 'application/octet-stream' });
  const url = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = url;
  a.download = fileName;
  a.style.display = 'none';
  document.body.append(a);
  a.click();
  a.remove();
  // Revoking at once can cancel the download in some browsers; a minute is plenty to start it.
  setTimeout(() => URL.revokeObjectURL(url), 60_000);
}

/** The file's bytes in a fresh ArrayBuffer the caller may transfer to the worker. */
export async function readFileBytes(file: File): Promise<Uint8Array<ArrayBuffer>> {
  return new Uint8Array(await file.arrayBuffer());
}

/** The confirmation shown after a successful upload. */
export function describeImport(result: ImportResult, fileName: string): string {
  if (result.kind === 'bundle') {
    const { epoch, step } = result.meta;
    return `Loaded ${fileName}: epoch ${epoch} · step ${formatInt(step)}. Press Resume training to continue, or Load weights only in the Checkpoints list.`;
  }
  return `Loaded weights from ${result.fileName} (${formatInt(result.tensorCount)} tensors, ${formatInt(result.parameterCount)} parameters) into the current model. Press Train to train on from them.`;
}

/** The first file of a drag, or null when the drag carries no file (text, links…). */
export function draggedFile(e: DragEvent): File | null {
  return e.dataTransfer?.files?.[0] ?? null;
}

/**
 * True while a drag over the page carries files for us. A drag onto a file input (the CSV one, or
 * the upload's own) is left to the input, which takes the file natively.
 */
export function dragHasFiles(e: DragEvent): boolean {
  if (e.target instanceof HTMLInputElement && e.target.type === 'file') return false;
  return e.dataTransfer?.types.includes('Files') ?? false;
}

/** Copies text to the clipboard; falls back to selecting `element`'s text for Ctrl+C. */
export async function copyText(text: string, element: HTMLElement | null): Promise<'copied' | 'selected'> {
  try {
    await navigator.clipboard.writeText(text);
    return 'copied';
  } catch (e) {
    console.warn('Clipboard write refused; selecting the code instead:', e);
    if (element) window.getSelection()?.selectAllChildren(element);
    return 'selected';
  }
}

/** The bundle's download name, as the engine makes it: `<notebook>-epoch<N>.pt`. */
export function bundleFileName(notebookName: string, epoch: number): string {
  const safe = notebookName.trim().replace(/[^\w.-]+/g, '-').replace(/^-+|-+$/g, '') || 'notebook';
  return `${safe}-epoch${epoch}.pt`;
}
