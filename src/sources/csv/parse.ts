/**
 * CSV text, read the same way by the Data cell (its Label picker) and the worker (the dataset):
 * a small RFC 4180 parser (comma or semicolon, quoted fields with "" escapes, CRLF, BOM, blank
 * lines skipped) whose errors name the line so the user can fix the file.
 */
import { DatasetError } from '../../shared/errors';

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

export function detectDelimiter(text: string): ',' | ';' {
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

/**
 * The column names of a CSV file as the dataset will see them, for the Label picker: the header of
 * parseCsv (so a ';'-separated file lists its columns, not one "a;b"). [] when the file has no
 * usable header; the Data cell then shows the parser's error from the worker.
 */
export function csvColumns(text: string): string[] {
  try {
    return parseCsv(text).columns;
  } catch {
    return [];
  }
}
