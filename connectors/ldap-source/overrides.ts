/**
 * The directory sync's CSV override file: corrections applied to source entries before they are
 * mapped, for data the source directory gets wrong and nobody may fix there during a migration.
 *
 *   login,mail,proxyAddresses,displayName,skip
 *   alice,,SMTP:alice@corp.example;smtp:a.smith@corp.example,,
 *   old-svc,,,,yes
 *
 * - The first column is `login` (sAMAccountName / uid, case-insensitive) or `key` (objectGUID /
 *   entryUUID); it selects the entry.
 * - Other columns: mail, proxyAddresses (values separated by ";"), legacyExchangeDN and the GAL
 *   fields (displayName, givenName, sn, title, department, company, telephoneNumber, mobile, l,
 *   st, street). An empty cell leaves the source value; "-" clears it.
 * - `skip`: yes/true/1 leaves the entry out of the sync.
 * Problems (unknown columns, a row naming no entry, duplicates) are reported with their line.
 *
 * Pure: parsing and applying; reading the file is the caller's.
 */
import { parseCsv } from '../../src/util/csv.js';
import { PERSON_FIELDS, type SourceEntry } from '../../mappings/directory/entry-mapping.js';

const FIELDS = ['mail', 'proxyAddresses', 'legacyExchangeDN', ...PERSON_FIELDS] as const;
type Field = (typeof FIELDS)[number];

export interface Override {
  line: number;
  skip: boolean;
  /** undefined: keep; null: clear. */
  values: Partial<Record<Field, string | string[] | null>>;
}

export interface Overrides {
  by: 'login' | 'key';
  rows: Map<string, Override>;
  problems: string[];
}

export function parseOverrides(text: string, name: string): Overrides {
  const { records, errors } = parseCsv(text);
  const problems = errors.map((e) => `${name}:${e.line}: ${e.message}`);
  const rows = new Map<string, Override>();
  const header = records[0];
  if (!header) return { by: 'login', rows, problems };
  const cols = header.fields.map((f) => f.trim());
  const by = cols[0]?.toLowerCase() === 'key' ? 'key' : 'login';
  if (cols[0]?.toLowerCase() !== 'key' && cols[0]?.toLowerCase() !== 'login') {
    problems.push(`${name}:${header.line}: the first column must be "login" or "key", got ${JSON.stringify(cols[0] ?? '')}`);
    return { by, rows, problems };
  }
  const known = new Map<string, Field | 'skip'>([...FIELDS, 'skip' as const].map((f) => [f.toLowerCase(), f]));
  const fields: (Field | 'skip' | undefined)[] = cols.slice(1).map((c) => {
    const f = known.get(c.toLowerCase());
    if (f === undefined) problems.push(`${name}:${header.line}: unknown column ${JSON.stringify(c)} (expected ${[...FIELDS, 'skip'].join(', ')})`);
    return f;
  });
  for (const rec of records.slice(1)) {
    const id = rec.fields[0]?.trim() ?? '';
    if (id === '') {
      problems.push(`${name}:${rec.line}: empty ${by}; row ignored`);
      continue;
    }
    const norm = by === 'login' ? id.toLowerCase() : id;
    if (rows.has(norm)) {
      problems.push(`${name}:${rec.line}: ${by} ${id} already has a row (line ${rows.get(norm)!.line}); row ignored`);
      continue;
    }
    const o: Override = { line: rec.line, skip: false, values: {} };
    fields.forEach((f, i) => {
      const cell = (rec.fields[i + 1] ?? '').trim();
      if (f === undefined || cell === '') return;
      if (f === 'skip') o.skip = /^(yes|true|1)$/i.test(cell);
      else if (cell === '-') o.values[f] = null;
      else o.values[f] = f === 'proxyAddresses' ? cell.split(';').map((s) => s.trim()).filter((s) => s !== '') : cell;
    });
    rows.set(norm, o);
  }
  return { by, rows, problems };
}

/** The entry with its override applied; undefined when the override says skip. */
export function applyOverride(entry: SourceEntry, overrides: Overrides): SourceEntry | undefined {
  const o = overrides.rows.get(overrides.by === 'login' ? entry.login.toLowerCase() : entry.key);
  if (!o) return entry;
  if (o.skip) return undefined;
  const out: SourceEntry = { ...entry, proxyAddresses: [...entry.proxyAddresses] };
  for (const [f, v] of Object.entries(o.values) as [Field, string | string[] | null][]) {
    if (f === 'proxyAddresses') out.proxyAddresses = v === null ? [] : (v as string[]);
    else if (v === null) delete out[f];
    else out[f] = v as string;
  }
  return out;
}
