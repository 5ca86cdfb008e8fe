/*
 * Tells checkpoint file types apart by their first bytes (pt-format.md §1):
 *   50 4B 03 04                      zip (torch.save >= 1.6, also TorchScript)
 *   80 02 8A 0A 6C FC 9C 46 F9 20 6A A8 50 19   legacy torch.save pickle stream (pre-1.6)
 *   "ustar" at offset 257, "PYTORCH1"            older legacy formats
 *   u64 N then '{' at offset 8                   safetensors
 */
export type FileFormat = 'zip' | 'legacy-pt' | 'safetensors' | 'unknown';

const LEGACY_MAGIC = [0x80, 0x02, 0x8a, 0x0a, 0x6c, 0xfc, 0x9c, 0x46, 0xf9, 0x20, 0x6a, 0xa8, 0x50, 0x19];

const startsWith = (bytes: Uint8Array, prefix: readonly number[], at = 0) =>
  bytes.length >= at + prefix.length && prefix.every((b, i) => bytes[at + i] === b);

const ascii = (s: string) => [...s].map((c) => c.charCodeAt(0));

/** Guesses the format from the first bytes only; the decoders still validate everything. */
export function detectFormat(bytes: Uint8Array): FileFormat {
  if (startsWith(bytes, [0x50, 0x4b, 0x03, 0x04])) return 'zip';
  if (startsWith(bytes, LEGACY_MAGIC) || startsWith(bytes, ascii('PYTORCH1')) || startsWith(bytes, ascii('ustar'), 257)) {
    return 'legacy-pt';
  }
  if (bytes.length >= 9 && bytes[8] === 0x7b) return 'safetensors';
  return 'unknown';
}
