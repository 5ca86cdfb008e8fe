/**
 * CSV upload: the conversion of a parsed file to a dataset, with errors that name the column, the
 * line and the value so the user can fix the file. The file's bytes come from the file store.
 */
import type { CsvSource } from '../../shared/config';
import { DatasetError } from '../../shared/errors';
import { Rng } from '../../shared/rng';
import { checkValidationSplit, splitSamples, standardize, type Dataset } from '../../engine/data/dataset';
import type { SourceLoader } from '../worker-contract';
import { detectDelimiter, MIN_CSV_ROWS, MAX_CSV_CLASSES, parseCsv } from './parse';

/** A CSV source with its text, as the loader hands it over once read from the file store. */
export type CsvText = Omit<CsvSource, 'fileId'> & { text: string };

const NUMBER = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;
const DECIMAL_COMMA = /^[+-]?\d+,\d+$/;

/**
 * Parses a plain decimal number (also "1,5" when the file is semicolon-separated). NaN when it is
 * not one, and also when it does not fit a float32 (the model would only see Infinity).
 */
function parseNumber(raw: string, decimalComma: boolean): number {
  const s = raw.trim();
  let v = NaN;
  if (NUMBER.test(s)) v = Number(s);
  else if (decimalComma && DECIMAL_COMMA.test(s)) v = Number(s.replace(',', '.'));
  return Number.isFinite(Math.fround(v)) ? v : NaN;
}

function numberHint(raw: string): string {
  return NUMBER.test(raw.trim()) ? ' (too large for 32-bit floats)' : '';
}

/**
 * Turns an uploaded CSV into a dataset. Every column except the label must be numeric; features are
 * standardized with train-set statistics. Classification maps the distinct label strings (sorted;
 * numerically when all are numbers) to classes 0..k-1; regression needs a numeric label, kept as is.
 * @param split validation fraction, 0..0.5
 * @param seed seed of the train/validation split
 */
export function csvToDataset(src: CsvText, split: number, seed: number): Dataset {
  checkValidationSplit(split);
  const { columns, rows, lines } = parseCsv(src.text);
  const name = src.fileName ? `"${src.fileName}"` : 'The file';
  if (columns.length < 2) {
    throw new DatasetError(`${name} has only one column. A dataset needs at least one feature column and a label column; check that values are separated by "," or ";".`);
  }
  if (rows.length < MIN_CSV_ROWS) {
    const got = rows.length === 0 ? 'only a header row' : `only ${rows.length} data row${rows.length === 1 ? '' : 's'}`;
    throw new DatasetError(`${name} has ${got}. Add at least ${MIN_CSV_ROWS} rows of data.`);
  }
  const labelIndex = columns.indexOf(src.labelColumn.trim());
  if (labelIndex < 0) {
    throw new DatasetError(`Label column "${src.labelColumn}" is not in ${name}; its columns are ${columns.map((c) => `"${c}"`).join(', ')}. Pick one of them as the label.`);
  }
  const featureIdx = columns.map((_, i) => i).filter((i) => i !== labelIndex);
  const nf = featureIdx.length;
  const decimalComma = detectDelimiter(src.text.replace(/^\uFEFF/, '')) === ';';
  const x = new Float32Array(rows.length * nf);
  rows.forEach((row, r) => {
    featureIdx.forEach((c, j) => {
      const v = parseNumber(row[c], decimalComma);
      if (Number.isNaN(v)) {
        throw new DatasetError(`Column "${columns[c]}" line ${lines[r]}: "${row[c]}" is not a number${numberHint(row[c])}. Feature columns must be numeric; pick the text column as the label or remove it.`);
      }
      x[r * nf + j] = v;
    });
  });
  const labels = rows.map((row) => row[labelIndex].trim());
  const { y, classNames } = src.task === 'classification'
    ? classify(labels, columns[labelIndex], lines)
    : regressionTargets(labels, columns[labelIndex], lines, decimalComma);
  const ds = splitSamples(
    { x, y, rowSize: nf },
    {
      kind: src.task,
      inputShape: [nf],
      outputs: src.task === 'classification' ? classNames.length : 1,
      classNames,
      view: 'table',
      featureNames: featureIdx.map((i) => columns[i]),
      targetName: columns[labelIndex],
    },
    split,
    new Rng(seed),
  );
  return standardize(ds);
}

function classify(labels: string[], column: string, lines: number[]): { y: Float32Array; classNames: string[] } {
  const empty = labels.indexOf('');
  if (empty >= 0) throw new DatasetError(`Label column "${column}" line ${lines[empty]} is empty. Every row needs a label; fill it in or remove the row.`);
  const distinct = [...new Set(labels)];
  if (distinct.length < 2) {
    throw new DatasetError(`Label column "${column}" has only one value ("${distinct[0]}"), so there is nothing to classify. Pick another label column.`);
  }
  if (distinct.length > MAX_CSV_CLASSES) {
    throw new DatasetError(`Label column "${column}" has ${distinct.length} distinct values; classification allows at most ${MAX_CSV_CLASSES}. If it holds a quantity, choose regression.`);
  }
  const allNumeric = distinct.every((l) => NUMBER.test(l));
  distinct.sort(allNumeric ? (a, b) => Number(a) - Number(b) : (a, b) => (a < b ? -1 : a > b ? 1 : 0));
  const index = new Map(distinct.map((l, i) => [l, i]));
  return { y: Float32Array.from(labels, (l) => index.get(l)!), classNames: distinct };
}

function regressionTargets(labels: string[], column: string, lines: number[], decimalComma: boolean): { y: Float32Array; classNames: string[] } {
  const y = new Float32Array(labels.length);
  labels.forEach((l, r) => {
    const v = parseNumber(l, decimalComma);
    if (Number.isNaN(v)) {
      throw new DatasetError(`Label column "${column}" line ${lines[r]}: "${l}" is not a number${numberHint(l)}. Regression needs a numeric label; choose classification or another label column.`);
    }
    y[r] = v;
  });
  return { y, classNames: [column] };
}

/** Decodes an uploaded file as UTF-8 text, refusing bytes that are not (a spreadsheet, a zip). */
export function csvText(bytes: Uint8Array, fileName: string): string {
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    throw new DatasetError(`"${fileName}" is not UTF-8 text. Save it as CSV (UTF-8) from your spreadsheet and upload it again.`);
  }
}

export const loaders: Record<string, SourceLoader> = {
  async csv(cfg, { readFile }) {
    if (!cfg.csv) throw new DatasetError('No CSV file is selected. Upload a CSV file in the Data cell first.');
    const { fileId, ...rest } = cfg.csv;
    const text = csvText(await readFile(fileId), rest.fileName);
    return csvToDataset({ ...rest, text }, cfg.validationSplit, cfg.seed);
  },
};
