/**
 * CSV upload: a small RFC 4180 parser (comma or semicolon, quoted fields with "" escapes, CRLF,
 * BOM, blank lines skipped) and the conversion to a dataset, with errors that name the column,
 * the line and the value so the user can fix the file.
 */
import type { CsvSource } from '../../shared/config';
import { DatasetError } from '../../shared/errors';
import { Rng } from '../rng';
import { checkValidationSplit, splitSamples, standardize, type Dataset } from './dataset';

/** Limits that keep a browser tab alive; a bigger table needs a different tool anyway. */
export const MAX_CSV_CHARS = 100_000_000;
export const MAX_CSV_COLUMNS = 10_000;
export const MAX_CSV_CELLS = 1_000_000;
export const MIN_CSV_ROWS = 4;
export const MAX_CSV_CLASSES = 1000;

export interface ParsedCsv {
  /** Header names, trimmed; an empty header becomes "column N". */
  columns: string[];
  /** Data rows, each with exactly columns.length fields (not trimmed). */
  rows: string[][];
  /** 1-based line in the file where each row starts (the header is line 1 unless blank lines precede it). */
  lines: number[];
}

/**
 * Parses CSV text with a header row. The delimiter is whichever of ',' and ';' occurs more often
 * (outside quotes) in the header line. Throws DatasetError for an empty file, an unterminated
 * quote, ragged rows, duplicate column names or sizes beyond the limits above.
 */
export function parseCsv(text: string): ParsedCsv {
  if (text.length > MAX_CSV_CHARS) {
    throw new DatasetError(`The file has ${text.length.toLocaleString('en-US')} characters; the limit is ${MAX_CSV_CHARS.toLocaleString('en-US')}. Use a smaller sample of the data.`);
  }
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  if (text.trim() === '') throw new DatasetError('The CSV file is empty. Choose a file with a header row and data rows.');
  const delimiter = detectDelimiter(text);
  const records = readRecords(text, delimiter);
  if (records.length === 0) throw new DatasetError('The CSV file has no header row. Choose a file whose first line names the columns.');
  const [header, ...data] = records;
  if (header.fields.length > MAX_CSV_COLUMNS) {
    throw new DatasetError(`The file has ${header.fields.length} columns; the limit is ${MAX_CSV_COLUMNS}. Remove columns you do not need.`);
  }
  const columns = header.fields.map((name, i) => name.trim() || `column ${i + 1}`);
  const seen = new Set<string>();
  for (const c of columns) {
    if (seen.has(c)) throw new DatasetError(`Column name "${c}" appears twice in the header. Rename one of them.`);
    seen.add(c);
  }
  for (const r of data) {
    if (r.fields.length !== columns.length) {
      throw new DatasetError(`Line ${r.line} has ${r.fields.length} fields but the header has ${columns.length}. Every row needs one value per column (check for a stray "${delimiter}" or quote).`);
    }
  }
  return { columns, rows: data.map((r) => r.fields), lines: data.map((r) => r.line) };
}

function detectDelimiter(text: string): ',' | ';' {
  let commas = 0;
  let semicolons = 0;
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (ch === '"') quoted = !quoted;
    else if (!quoted && (ch === '\n' || ch === '\r')) break;
    else if (!quoted && ch === ',') commas++;
    else if (!quoted && ch === ';') semicolons++;
  }
  return semicolons > commas ? ';' : ',';
}

interface CsvRecord {
  fields: string[];
  line: number;
}

/** Splits text into records; blank lines are skipped, a trailing newline adds nothing. */
function readRecords(text: string, delimiter: string): CsvRecord[] {
  const records: CsvRecord[] = [];
  let fields: string[] = [];
  let field = '';
  let line = 1;
  let recordLine = 1;
  let cells = 0;
  let i = 0;
  const endRecord = () => {
    fields.push(field);
    const blank = fields.length === 1 && fields[0].trim() === '';
    if (!blank) {
      records.push({ fields, line: recordLine });
      cells += fields.length;
      if (cells > MAX_CSV_CELLS) {
        throw new DatasetError(`The file has more than ${MAX_CSV_CELLS.toLocaleString('en-US')} cells. Use fewer rows or columns.`);
      }
    }
    fields = [];
    field = '';
  };
  while (i < text.length) {
    const ch = text[i];
    if (ch === '"' && field.trim() === '') {
      const start = line;
      field = '';
      i++;
      for (;;) {
        if (i >= text.length) throw new DatasetError(`Line ${start} opens a quoted field that never closes. Add the missing " or remove the stray one.`);
        const q = text[i];
        if (q === '"') {
          if (text[i + 1] === '"') {
            field += '"';
            i += 2;
            continue;
          }
          i++;
          break;
        }
        if (q === '\n') line++;
        field += q;
        i++;
      }
      continue; // anything after the closing quote up to the delimiter is appended as is
    }
    if (ch === delimiter) {
      fields.push(field);
      field = '';
      i++;
    } else if (ch === '\r' || ch === '\n') {
      endRecord();
      i += ch === '\r' && text[i + 1] === '\n' ? 2 : 1;
      line++;
      recordLine = line;
    } else {
      field += ch;
      i++;
    }
  }
  if (field !== '' || fields.length > 0) endRecord();
  return records;
}

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
export function csvToDataset(src: CsvSource, split: number, seed: number): Dataset {
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
