/**
 * Test support: compares what `openPst` extracts from a PST/OST with what readpst (Debian
 * `pst-utils`, LibPST) extracts from the same file. Used by ansi.test.ts and unicode.test.ts,
 * and by `npx tsx connectors/pst/readpst-oracle.ts FILE…`, which prints the comparison table.
 *
 * readpst is run as `readpst -D -j0 -e -o OUT FILE`: -D keeps "Deleted Items", -j0 runs one
 * process (stdout in walk order), -e writes every item as its own file in one directory per
 * folder: mail as N.eml, contacts as N.vcf, appointments and journal entries as N.ics. Its
 * top directory stands for the IPM subtree root ("Top of Personal Folders"), named after the store.
 *
 * Comparable classes — the rule, from LibPST's message-class test (case-insensitive prefixes):
 *   mail (.eml):      "IPM" exactly, IPM.Note*, REPORT.IPM.Note*, IPM.Schedule.Meeting*
 *   contact (.vcf):   IPM.Contact*
 *   calendar (.ics):  IPM.Appointment*, IPM.Activity* (journal)
 * Everything else readpst counts as "skipped" and writes nothing, so it is not compared:
 * IPM.StickyNote, IPM.Task, IPM.Post, IPM.DistList, IPM.Microsoft.ScheduleData.FreeBusy, ….
 * Folder-associated (FAI) items, which readpst also meets (as skipped), are not in our walk.
 * Folders: LibPST takes an object for a folder only if it has PR_CONTENT_COUNT, PR_CONTENT_UNREAD,
 * PR_SUBFOLDERS or PR_ASSOC_CONTENT_COUNT; it logs others as "Unknown item type" and goes neither
 * into them nor below them (go-pst-support.pst has 15 such empty folders). Their names and
 * items are not compared (they are counted under "not compared").
 *
 * What is compared, per file:
 *   - folder names: every folder of our walk (IPM subtree, root excluded) against readpst's
 *     `Processing Folder "NAME"` lines, as bytes: readpst prints 8-bit names raw, so an ANSI
 *     name must be our name encoded back in the store's code page; Unicode names are UTF-8;
 *   - for every folder holding comparable items (readpst makes a directory only for those),
 *     the directory path, the count of each kind, and the multiset of subjects (eml `Subject:`
 *     header, ics `SUMMARY`); contacts by count only (readpst writes no subject for them).
 *   readpst converts 8-bit strings it cannot label as ISO-8859-1 (directory names, SUMMARY) or
 *   passes them raw under a utf-8 label (Subject headers), so for those a value also matches
 *   when its bytes are our string encoded in the object's code page.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import iconv from 'iconv-lite';
import { openPst, type PstReader } from './pst-reader.js';
import { codepageToEncoding, encodeString8, objectCodepage, type PropertyMap } from '../../mappings/mapi/string8.js';

export type Kind = 'eml' | 'vcf' | 'ics';

/** The readpst output kind for a message class, or undefined when readpst skips the class. */
export function readpstKind(messageClass: string): Kind | undefined {
  const c = messageClass.toLowerCase();
  if (c === 'ipm' || c.startsWith('ipm.note') || c.startsWith('report.ipm.note') || c.startsWith('ipm.schedule.meeting')) return 'eml';
  if (c.startsWith('ipm.contact')) return 'vcf';
  if (c.startsWith('ipm.appointment') || c.startsWith('ipm.activity')) return 'ics';
  return undefined;
}

export interface OracleFolder { eml: Buffer[]; ics: Buffer[]; vcf: number }
export interface ReadpstResult {
  /** Raw bytes of each `Processing Folder "…"` line, in order. */
  folderNames: Buffer[];
  /** Folder directories holding items, keyed by path below the top directory joined with '/'. */
  folders: Map<string, OracleFolder>;
}

/** The shared test data: $UMS_FIXTURES_DIR, else <repo>/../shared/fixtures. */
export function fixturesDir(): string {
  return process.env.UMS_FIXTURES_DIR
    ? resolve(process.env.UMS_FIXTURES_DIR)
    : fileURLToPath(new URL('../../../shared/fixtures', import.meta.url));
}

/** UMS_SKIP_ORACLE=1: skip the tests that need readpst or the fixtures instead of failing them. */
export const oracleSkipped = (): boolean => process.env.UMS_SKIP_ORACLE === '1';

/** The PST/OST files of one fixtures subfolder (pst/ansi, pst/unicode, pst/ost), sorted. */
export function pstFixtures(sub: 'ansi' | 'unicode' | 'ost'): string[] {
  const dir = join(fixturesDir(), 'pst', sub);
  if (!existsSync(dir)) return [];
  return readdirSync(dir).filter((n) => /\.(pst|ost)$/i.test(n)).sort().map((n) => join(dir, n));
}

/** Why the fixture tests cannot run, or undefined when they can. */
export function fixturesUnavailable(): string | undefined {
  const dir = join(fixturesDir(), 'pst');
  if (!existsSync(dir)) {
    return `PST fixtures not found at ${dir}: put the shared test data (shared/fixtures, see its README) beside the repo, `
      + 'or point UMS_FIXTURES_DIR at it, or set UMS_SKIP_ORACLE=1 to skip these tests';
  }
  return undefined;
}

/** Why the oracle cannot run, or undefined when it can. */
export function oracleUnavailable(): string | undefined {
  const fixtures = fixturesUnavailable();
  if (fixtures) return fixtures;
  const r = spawnSync('readpst', ['-V'], { encoding: 'utf8' });
  if (r.error) {
    return 'readpst (the oracle) is not installed: install the Debian/Ubuntu package pst-utils '
      + '(apt-get install -y pst-utils), or set UMS_SKIP_ORACLE=1 to skip these tests';
  }
  return undefined;
}

function splitLines(buf: Buffer): Buffer[] {
  const out: Buffer[] = [];
  let start = 0;
  for (let i = 0; i < buf.length; i++) {
    if (buf[i] === 0x0a) {
      out.push(buf.subarray(start, i > start && buf[i - 1] === 0x0d ? i - 1 : i));
      start = i + 1;
    }
  }
  if (start < buf.length) out.push(buf.subarray(start));
  return out;
}

/** The unfolded value of the first `name:` header of a message's top header block, as raw bytes. */
export function headerValue(message: Buffer, name: string): Buffer | undefined {
  const lines = splitLines(message);
  const want = `${name.toLowerCase()}:`;
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    if (line.length === 0) break; // end of the header block
    if (line.subarray(0, want.length).toString('latin1').toLowerCase() !== want) continue;
    const parts = [line.subarray(want.length)];
    while (i + 1 < lines.length && (lines[i + 1]![0] === 0x20 || lines[i + 1]![0] === 0x09)) parts.push(lines[++i]!);
    return Buffer.concat(parts);
  }
  return undefined;
}

/** The unfolded, unescaped value of the first `NAME:` property of an iCalendar file, as raw bytes. */
export function icsValue(ics: Buffer, name: string): Buffer | undefined {
  const lines = splitLines(ics);
  const want = `${name.toUpperCase()}`;
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    const head = line.subarray(0, want.length + 1).toString('latin1').toUpperCase();
    if (head !== `${want}:` && head !== `${want};`) continue;
    const colon = line.indexOf(0x3a);
    const parts = [line.subarray(colon + 1)];
    while (i + 1 < lines.length && (lines[i + 1]![0] === 0x20 || lines[i + 1]![0] === 0x09)) parts.push(lines[++i]!.subarray(1));
    const raw = Buffer.concat(parts).toString('latin1');
    return Buffer.from(raw.replace(/\\([\\;,nN])/g, (_m, c: string) => (c === 'n' || c === 'N' ? '\n' : c)), 'latin1');
  }
  return undefined;
}

interface Segment { bytes: Buffer; charset?: string }

/** Splits an RFC 2047 header value into raw byte segments (encoded words decoded to their bytes). */
export function rfc2047Segments(value: Buffer): Segment[] {
  const text = value.toString('latin1');
  const re = /=\?([^?\s]+)\?([bBqQ])\?([^?\s]*)\?=/g;
  const out: Segment[] = [];
  let last = 0;
  let prevEncoded = false;
  for (let m = re.exec(text); m; m = re.exec(text)) {
    const between = text.slice(last, m.index);
    // whitespace between two encoded words is not part of the text (RFC 2047 §6.2)
    if (!(prevEncoded && /^\s*$/.test(between)) && between) out.push({ bytes: Buffer.from(between, 'latin1') });
    const charset = m[1]!.split('*')[0]!.toLowerCase();
    const data = m[2]!.toUpperCase() === 'B'
      ? Buffer.from(m[3]!, 'base64')
      : Buffer.from(m[3]!.replace(/_/g, ' ').replace(/=([0-9A-Fa-f]{2})/g, (_s, h: string) => String.fromCharCode(parseInt(h, 16))), 'latin1');
    out.push({ bytes: data, charset });
    last = m.index + m[0].length;
    prevEncoded = true;
  }
  if (last < text.length) out.push({ bytes: Buffer.from(text.slice(last), 'latin1') });
  return out;
}

/** Decodes segments with their labelled charsets (unlabelled bytes as UTF-8); undefined if a charset is unknown. */
function decodeSegments(segments: Segment[]): string | undefined {
  let s = '';
  for (const seg of segments) {
    const cs = seg.charset ?? 'utf8';
    if (!iconv.encodingExists(cs)) return undefined;
    s += iconv.decode(seg.bytes, cs);
  }
  return s;
}

export const normalizeText = (s: string): string => s.replace(/\s+/g, ' ').trim();

/**
 * Does a readpst value (raw bytes, possibly RFC 2047) carry `ours`? Yes when it decodes to the
 * same text, or when its bytes are `ours` in `codepage` (readpst passes unlabelled 8-bit strings
 * raw), or ISO-8859-1 misread of those bytes (readpst's default charset).
 */
export function sameText(ours: string, value: Buffer, codepage: number | undefined, rfc2047: boolean): boolean {
  const want = normalizeText(ours);
  const segments = rfc2047 ? rfc2047Segments(value) : [{ bytes: value }];
  const decoded = decodeSegments(segments);
  if (decoded !== undefined && normalizeText(decoded) === want) return true;
  if (codepage === undefined) return false;
  const raw = Buffer.concat(segments.map((s) => s.bytes));
  if (normalizeText(raw.toString('latin1')) === normalizeText(encodeString8(ours, codepage).toString('latin1'))) return true;
  const latin1Misread = Buffer.from(encodeString8(ours, codepage).toString('latin1'), 'utf8');
  return normalizeText(raw.toString('latin1')) === normalizeText(latin1Misread.toString('latin1'));
}

/** readpst's directory name for a folder name (LibPST's check_filename: / \ : become _). */
export function readpstDirName(name: string): string {
  return name.replace(/[/\\:]/g, '_');
}

/** Runs readpst on a file and reads back what it wrote. */
export function runReadpst(file: string): ReadpstResult {
  const out = mkdtempSync(join(tmpdir(), 'readpst-'));
  try {
    const r = spawnSync('readpst', ['-D', '-j0', '-e', '-o', out, file], { maxBuffer: 64 << 20 });
    if (r.error) throw r.error;
    if (r.status !== 0) throw new Error(`readpst exited ${r.status} on ${file}: ${r.stderr.toString('utf8').slice(0, 500)}`);
    const folderNames: Buffer[] = [];
    const prefix = Buffer.from('Processing Folder "', 'latin1');
    for (const line of splitLines(r.stdout)) {
      if (line.subarray(0, prefix.length).equals(prefix) && line[line.length - 1] === 0x22) folderNames.push(line.subarray(prefix.length, line.length - 1));
    }
    const folders = new Map<string, OracleFolder>();
    const tops = readdirSync(out);
    const walk = (dir: string, rel: string[]): void => {
      const entry: OracleFolder = { eml: [], ics: [], vcf: 0 };
      let items = 0;
      for (const name of readdirSync(dir)) {
        const full = join(dir, name);
        if (statSync(full).isDirectory()) { walk(full, [...rel, name]); continue; }
        const kind = /^\d+\.(eml|vcf|ics)$/.exec(name)?.[1] as Kind | undefined;
        if (!kind) continue;
        items++;
        const body = readFileSync(full);
        if (kind === 'eml') entry.eml.push(headerValue(body, 'Subject') ?? Buffer.alloc(0));
        else if (kind === 'ics') entry.ics.push(icsValue(body, 'SUMMARY') ?? Buffer.alloc(0));
        else entry.vcf++;
      }
      if (items) folders.set(rel.join('/'), entry);
    };
    if (tops.length > 1) throw new Error(`readpst wrote ${tops.length} top directories for ${file}: ${tops.join(', ')}`);
    if (tops.length === 1) walk(join(out, tops[0]!), []);
    return { folderNames, folders };
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
}

/** PR_CONTENT_COUNT, PR_CONTENT_UNREAD, PR_SUBFOLDERS, PR_ASSOC_CONTENT_COUNT: what makes LibPST see a folder. */
const READPST_FOLDER_PROPS = [0x3602, 0x3603, 0x360a, 0x3617];

export interface OurMessage { messageClass: string; subject: string; codepage?: number }
export interface OurFolder { path: string[]; messages: OurMessage[]; readpstSees: boolean }
export interface OurResult { format: string; codepage: number; folders: OurFolder[] }

/** Everything `openPst` yields for a file (IPM subtree), with each message's own code page. */
export async function readOurs(file: string): Promise<OurResult> {
  const pst: PstReader = await openPst(file);
  try {
    const folders: OurFolder[] = [];
    const unseen: string[][] = [];
    for await (const folder of pst.folders()) {
      const props = (folder.raw as unknown as { pstTableItems: PropertyMap | null }).pstTableItems;
      const isUnder = (p: string[]): boolean => p.length <= folder.path.length && p.every((n, i) => folder.path[i] === n);
      const readpstSees = !unseen.some(isUnder) && READPST_FOLDER_PROPS.some((id) => props?.has(id));
      if (!readpstSees && folder.path.length > 0) unseen.push(folder.path);
      const messages: OurMessage[] = [];
      for await (const m of pst.messages(folder)) {
        const props = (m.raw as unknown as { pstTableItems: PropertyMap | null }).pstTableItems;
        messages.push({ messageClass: m.messageClass, subject: m.subject, codepage: objectCodepage(props) ?? pst.codepage });
      }
      folders.push({ path: folder.path, messages, readpstSees: readpstSees || folder.path.length === 0 });
    }
    return { format: pst.format, codepage: pst.codepage, folders };
  } finally {
    pst.close();
  }
}

export interface Comparison {
  file: string;
  format: string;
  codepage: number;
  oursFolders: number;
  readpstFolders: number;
  /** Our folders that readpst does not take for folders (see the rule above). */
  unseenFolders: number;
  /** Comparable items (mail + contacts + calendar) we read / readpst wrote. */
  oursItems: number;
  readpstItems: number;
  /** Items readpst skips by class (see the rule above), by class. */
  notCompared: Record<string, number>;
  subjectsCompared: number;
  problems: string[];
}

/** Compares our extraction with readpst's; `problems` is empty when they agree. */
export async function compareWithReadpst(file: string): Promise<Comparison> {
  const ours = await readOurs(file);
  const oracle = runReadpst(file);
  const problems: string[] = [];
  const isAnsi = ours.format === 'ansi';
  const nameBytes = (name: string): Buffer => (isAnsi ? encodeString8(name, ours.codepage) : Buffer.from(name, 'utf8'));
  const dirName = (name: string): string => readpstDirName(isAnsi ? encodeString8(name, ours.codepage).toString('latin1') : name);

  // folder names, as bytes, as multisets
  const theirNames = oracle.folderNames.map((b) => b.toString('hex')).sort();
  const ourNames = ours.folders.filter((f) => f.path.length > 0 && f.readpstSees).map((f) => nameBytes(f.path.at(-1)!).toString('hex')).sort();
  if (theirNames.join() !== ourNames.join()) {
    const show = (hex: string[]): string => hex.map((h) => JSON.stringify(Buffer.from(h, 'hex').toString(isAnsi ? 'latin1' : 'utf8'))).join(', ');
    problems.push(`folder names differ: ours [${show(ourNames)}], readpst [${show(theirNames)}]`);
  }

  const notCompared: Record<string, number> = {};
  let oursItems = 0;
  let subjectsCompared = 0;
  let unseenFolders = 0;
  const seen = new Set<string>();
  for (const folder of ours.folders) {
    const byKind: Record<Kind, OurMessage[]> = { eml: [], vcf: [], ics: [] };
    if (!folder.readpstSees) {
      notCompared['(in folders readpst does not see)'] = (notCompared['(in folders readpst does not see)'] ?? 0) + folder.messages.length;
      unseenFolders++;
      continue;
    }
    for (const m of folder.messages) {
      const kind = readpstKind(m.messageClass);
      if (kind) byKind[kind].push(m);
      else notCompared[m.messageClass] = (notCompared[m.messageClass] ?? 0) + 1;
    }
    const comparable = byKind.eml.length + byKind.vcf.length + byKind.ics.length;
    oursItems += comparable;
    const key = folder.path.map(dirName).join('/');
    const label = `/${folder.path.join('/')}`;
    const theirs = oracle.folders.get(key);
    if (!theirs) {
      if (comparable) problems.push(`${label}: we read ${comparable} comparable items, readpst wrote no directory "${key}"`);
      continue;
    }
    seen.add(key);
    if (theirs.eml.length !== byKind.eml.length) problems.push(`${label}: ${byKind.eml.length} mail items, readpst ${theirs.eml.length}`);
    if (theirs.ics.length !== byKind.ics.length) problems.push(`${label}: ${byKind.ics.length} calendar items, readpst ${theirs.ics.length}`);
    if (theirs.vcf !== byKind.vcf.length) problems.push(`${label}: ${byKind.vcf.length} contacts, readpst ${theirs.vcf}`);
    for (const [kind, values, rfc2047] of [['eml', theirs.eml, true], ['ics', theirs.ics, false]] as const) {
      const left = [...values];
      for (const m of byKind[kind]) {
        const cp = isAnsi || m.codepage !== undefined ? m.codepage ?? ours.codepage : undefined;
        const i = left.findIndex((v) => sameText(m.subject, v, cp && codepageToEncoding(cp) ? cp : undefined, rfc2047));
        if (i < 0) problems.push(`${label}: subject ${JSON.stringify(m.subject)} (${m.messageClass}) not in readpst's ${kind} files`);
        else { left.splice(i, 1); subjectsCompared++; }
      }
      for (const v of left) problems.push(`${label}: readpst ${kind} subject ${JSON.stringify(v.toString('utf8'))} not among ours`);
    }
  }
  for (const key of oracle.folders.keys()) {
    if (!seen.has(key)) problems.push(`readpst directory "${key}" matches none of our folders`);
  }
  let readpstItems = 0;
  for (const f of oracle.folders.values()) readpstItems += f.eml.length + f.ics.length + f.vcf;
  return {
    file, format: ours.format, codepage: ours.codepage,
    oursFolders: ours.folders.length - 1, readpstFolders: oracle.folderNames.length, unseenFolders,
    oursItems, readpstItems, notCompared, subjectsCompared, problems,
  };
}

/** A Markdown table of comparisons. */
export function comparisonTable(rows: Comparison[]): string {
  const lines = [
    '| file | format | cp | folders ours/readpst | items ours/readpst | subjects matched | not compared (readpst skips) | result |',
    '| --- | --- | --- | --- | --- | --- | --- | --- |',
  ];
  for (const r of rows) {
    const skipped = [
      ...Object.entries(r.notCompared).filter(([, n]) => n > 0).map(([c, n]) => `${n} ${c}`),
      ...(r.unseenFolders ? [`${r.unseenFolders} folders readpst does not see`] : []),
    ].join(', ') || '–';
    lines.push(`| ${basename(r.file)} | ${r.format} | ${r.codepage} | ${r.oursFolders}/${r.readpstFolders} | ${r.oursItems}/${r.readpstItems} | ${r.subjectsCompared} | ${skipped} | ${r.problems.length ? `${r.problems.length} problem(s)` : 'same'} |`);
  }
  return lines.join('\n');
}

// `npx tsx connectors/pst/readpst-oracle.ts FILE…` prints the table and the problems.
async function main(files: string[]): Promise<void> {
  const rows: Comparison[] = [];
  for (const f of files) rows.push(await compareWithReadpst(f));
  console.log(comparisonTable(rows));
  for (const r of rows) for (const p of r.problems) console.log(`${basename(r.file)}: ${p}`);
}
if (process.argv[1] && /readpst-oracle\.[tj]s$/.test(process.argv[1])) void main(process.argv.slice(2));
