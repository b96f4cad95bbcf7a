/**
 * A small RFC 4180 CSV reader: comma separated, fields optionally in double quotes, `""` inside
 * quotes is a literal quote, quoted fields may span lines, CRLF, LF or CR line ends. A leading UTF-8
 * BOM is ignored and blank lines are skipped. Each record carries the (1-based) line it starts on.
 *
 * Hand-written rather than csv-parse: about a hundred lines for the two small files it reads (the
 * user map, the address book), which are decoded as strict UTF-8 first (src/config/utf8.ts) and
 * whose every error names its line; a dependency would add more than it replaces.
 */

export interface CsvRecord {
  line: number;
  fields: string[];
}

export interface CsvError {
  line: number;
  message: string;
}

export interface CsvResult {
  records: CsvRecord[];
  errors: CsvError[];
}

export function parseCsv(input: string): CsvResult {
  const text = input.startsWith('\uFEFF') ? input.slice(1) : input;
  const records: CsvRecord[] = [];
  const errors: CsvError[] = [];
  let line = 1;
  let i = 0;
  const n = text.length;

  while (i < n) {
    const startLine = line;
    const fields: string[] = [];
    let bad = false;
    // One record.
    for (;;) {
      let field = '';
      if (text[i] === '"') {
        const quoteLine = line;
        i++;
        let closed = false;
        while (i < n) {
          const c = text[i]!;
          if (c === '"') {
            if (text[i + 1] === '"') {
              field += '"';
              i += 2;
              continue;
            }
            i++;
            closed = true;
            break;
          }
          if (c === '\n') line++;
          field += c;
          i++;
        }
        if (!closed) {
          errors.push({ line: quoteLine, message: 'unterminated quoted field' });
          return { records, errors };
        }
        if (i < n && text[i] !== ',' && text[i] !== '\n' && text[i] !== '\r') {
          if (!bad) errors.push({ line, message: 'unexpected character after closing quote' });
          bad = true;
          while (i < n && text[i] !== ',' && text[i] !== '\n') i++;
        }
      } else {
        while (i < n && text[i] !== ',' && text[i] !== '\n' && text[i] !== '\r') {
          if (text[i] === '"' && !bad) {
            errors.push({ line, message: 'quote inside an unquoted field (quote the whole field and double the quote)' });
            bad = true;
          }
          field += text[i];
          i++;
        }
      }
      fields.push(field);
      if (i < n && text[i] === ',') {
        i++;
        continue;
      }
      // End of record (CRLF, LF, a bare CR as old Mac exports write, or end of input).
      if (text[i] === '\r' || text[i] === '\n') {
        if (text[i] === '\r' && text[i + 1] === '\n') i++;
        i++;
        line++;
      }
      break;
    }
    const blank = fields.length === 1 && fields[0]!.trim() === '';
    if (!blank && !bad) records.push({ line: startLine, fields });
  }
  return { records, errors };
}

/**
 * For a header read as one field that holds known column names joined by ';' or a tab (what
 * Excel writes in many locales): the problem and what to do; undefined otherwise.
 */
export function otherSeparatorProblem(fields: readonly string[], isColumn: (name: string) => boolean): string | undefined {
  if (fields.length !== 1) return undefined;
  for (const sep of [';', '\t']) {
    const parts = fields[0]!.split(sep);
    if (parts.length >= 2 && parts.every((p) => isColumn(p))) {
      return `looks like ${sep === ';' ? '\';\'' : 'tab'}-separated (${JSON.stringify(fields[0]!.trim())}): `
        + 'use \',\' between the columns (in Excel: save as "CSV UTF-8 (comma delimited)")';
    }
  }
  return undefined;
}
