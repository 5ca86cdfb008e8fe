/** Loads the text sources: the shipped Tiny Shakespeare and an uploaded .txt, character-level. */
import type { DataConfig } from '../../shared/config';
import { DatasetError } from '../../shared/errors';
import { checkValidationSplit, type Dataset } from '../../engine/data/dataset';
import type { SourceLoader } from '../worker-contract';
import { SHAKESPEARE_URL } from './index';
import { decodeText, encodeChars, splitIds } from './parse';

/** A text as a dataset: vocabulary, train and validation token streams. */
export function textDataset(text: string, validationSplit: number): Dataset {
  checkValidationSplit(validationSplit);
  const { vocab, ids } = encodeChars(text);
  const { train, val } = splitIds(ids, validationSplit);
  const empty = new Float32Array(0);
  return {
    kind: 'classification',
    inputShape: [1],
    outputs: vocab.length,
    classNames: [...vocab],
    trainSize: train.length,
    valSize: val.length,
    xTrain: empty,
    yTrain: empty,
    xVal: empty,
    yVal: empty,
    view: 'text',
    featureNames: [],
    targetName: 'next character',
    tokens: { train, val, vocab },
  };
}

async function loadShakespeare(cfg: DataConfig, fetchBytes: (url: string) => Promise<ArrayBuffer>): Promise<Dataset> {
  let buf: ArrayBuffer;
  try {
    buf = await fetchBytes(SHAKESPEARE_URL);
  } catch (cause) {
    const why = cause instanceof Error ? cause.message : String(cause);
    throw new DatasetError(`Could not load Tiny Shakespeare (${SHAKESPEARE_URL}): ${why}. Reload the page.`, { cause });
  }
  return textDataset(decodeText(new Uint8Array(buf), 'tinyshakespeare.txt'), cfg.validationSplit);
}

export const loaders: Record<string, SourceLoader> = {
  shakespeare: (cfg, { fetchBytes }) => loadShakespeare(cfg, fetchBytes),
  text: async (cfg, { readFile }) => textDataset(decodeText(await readFile(cfg.text!.fileId), cfg.text!.fileName), cfg.validationSplit),
};
