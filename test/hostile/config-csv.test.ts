/**
 * Hostile configs and user-map CSVs through `validate` (the command itself, in-process, its
 * stdout/stderr captured): bytes that are not UTF-8, an alias bomb, nesting 10,000 deep, escapes
 * and bidi overrides in keys and values, UTF-16, tabs, duplicate keys, secret references that
 * point at /dev/zero, a FIFO or a directory, CSVs with NUL, formulas, 5,000 columns and broken
 * quotes. Each ends quickly (no hang, no crash) in "valid" or in errors naming the file and line,
 * with no raw control character and no secret in what is printed.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { validateCommand } from '../../src/commands/validate.js';
import { spawnCli } from '../support/cli.js';
import { expectCleanHuman, expectNoSecret, TERMINAL_ATTACKS } from './payloads.js';

const t = TERMINAL_ATTACKS;
const SECRET = 'Hostile-Config-Secret-9z';
let dir = '';
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'hostile-config-'));
  writeFileSync(join(dir, 'pw'), `${SECRET}\n`, { mode: 0o600 });
  mkdirSync(join(dir, 'a-directory'));
  execFileSync('mkfifo', [join(dir, 'fifo')]);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const base = (mailboxes: string[] = ['mailboxes:', '  - source: alice', '    sourcePassword: file:./pw', '    targetPassword: file:./pw']): string[] => [
  'version: 1', 'source:', '  type: imap', '  host: imap.old.example', 'target:', '  type: ums-imap', '  host: imap.ums.example', ...mailboxes,
];
const yaml = (lines: string[]): Buffer => Buffer.from(`${lines.join('\n')}\n`);
const withCsv = (csv: string | Buffer): { yaml: Buffer; csv: Buffer } => ({ yaml: yaml([...base([]), 'userMap: ./users.csv']), csv: Buffer.isBuffer(csv) ? csv : Buffer.from(csv) });
const header = 'source,target,sourcePassword,targetPassword\n';

/** `cli`: run the real CLI in a child process, killed after 20 s: a case that could hang the reader (a FIFO, /dev/zero) must fail, not block jest. */
interface Case { name: string; files: { yaml: Buffer; csv?: Buffer }; valid: boolean; mentions?: RegExp; cli?: boolean }

const CASES: Case[] = [
  { name: 'a well-formed config (control)', files: { yaml: yaml(base()) }, valid: true },
  { name: 'a byte that is not UTF-8 in a value', files: { yaml: Buffer.concat([yaml(base()).subarray(0, 40), Buffer.from([0xff, 0xfe]), yaml(base()).subarray(40)]) }, valid: false, mentions: /migration\.yaml:\d+:\d+/ },
  { name: 'a YAML alias bomb', files: { yaml: yaml([...base(), 'x0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]', ...Array.from({ length: 9 }, (_, i) => `x${i + 1}: &a${i + 1} [*a${i}, *a${i}, *a${i}, *a${i}, *a${i}, *a${i}, *a${i}, *a${i}, *a${i}]`)]) }, valid: false },
  { name: 'flow sequences nested 10,000 deep', files: { yaml: yaml([...base(), `deep: ${'['.repeat(10_000)}${']'.repeat(10_000)}`]) }, valid: false },
  { name: 'an unknown key made of terminal escapes', files: { yaml: yaml([...base(), `"${t.titleChange}${t.clearScreen}": 1`]) }, valid: false },
  { name: 'a host with an escape sequence and a bidi override', files: { yaml: yaml(base().map((l) => (l === '  host: imap.old.example' ? `  host: "imap\\e]0;pwned\\aold\\u202eexample"` : l))) }, valid: false },
  { name: 'a login with raw C1 and bidi characters', files: { yaml: yaml(base(['mailboxes:', `  - source: "al${t.c1Csi}ice${t.rtlOverride}"`, '    sourcePassword: file:./pw', '    targetPassword: file:./pw'])) }, valid: false, mentions: /migration\.yaml:9:\d+/ },
  { name: 'UTF-16 with a byte order mark', files: { yaml: Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(yaml(base()).toString('utf8'), 'utf16le')]) }, valid: false },
  { name: 'a UTF-8 byte order mark', files: { yaml: Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), yaml(base())]) }, valid: true },
  { name: 'tab indentation', files: { yaml: yaml(base().map((l) => l.replace(/^ {2}/, '\t'))) }, valid: false, mentions: /migration\.yaml:\d+/ },
  { name: 'a duplicate key', files: { yaml: yaml([...base(), 'version: 1']) }, valid: false, mentions: /migration\.yaml:\d+/ },
  { name: 'a NUL byte in a value', files: { yaml: yaml(base().map((l) => (l === '  host: imap.old.example' ? '  host: imap\0old.example' : l))) }, valid: false },
  { name: 'a 4 MB comment', files: { yaml: yaml([`# ${'c'.repeat(4 * 1024 * 1024)}`, ...base()]) }, valid: true },
  { name: 'a password written inline (the secret itself)', files: { yaml: yaml(base(['mailboxes:', '  - source: alice', `    sourcePassword: ${SECRET}`, '    targetPassword: file:./pw'])) }, valid: false },
  { name: 'a secret reference to /dev/zero', files: { yaml: yaml(base(['mailboxes:', '  - source: alice', '    sourcePassword: file:/dev/zero', '    targetPassword: file:./pw'])) }, valid: false, mentions: /\/dev\/zero/ , cli: true},
  { name: 'a secret reference to a FIFO (would block a reader)', files: { yaml: yaml(base(['mailboxes:', '  - source: alice', '    sourcePassword: file:./fifo', '    targetPassword: file:./pw'])) }, valid: false, mentions: /fifo/ , cli: true},
  { name: 'a secret reference to a directory', files: { yaml: yaml(base(['mailboxes:', '  - source: alice', '    sourcePassword: file:./a-directory', '    targetPassword: file:./pw'])) }, valid: false, mentions: /a-directory/ },
  { name: 'a caFile that is /dev/zero', files: { yaml: yaml(base().map((l) => (l === '  host: imap.old.example' ? '  host: imap.old.example\n  caFile: /dev/zero' : l))) }, valid: false, mentions: /\/dev\/zero/ , cli: true},
  { name: 'an env reference with shell characters', files: { yaml: yaml(base(['mailboxes:', '  - source: alice', '    sourcePassword: "env:X;rm -rf /"', '    targetPassword: file:./pw'])) }, valid: false },
  { name: 'CSV: a byte that is not UTF-8', files: withCsv(Buffer.concat([Buffer.from(`${header}al`), Buffer.from([0xc3, 0x28]), Buffer.from('ice,alice,file:./pw,file:./pw\n')])), valid: false, mentions: /users\.csv:2:\d+/ },
  { name: 'CSV: a NUL byte in a login', files: withCsv(`${header}al\0ice,alice,file:./pw,file:./pw\n`), valid: false, mentions: /users\.csv:2/ },
  { name: 'CSV: an unterminated quote', files: withCsv(`${header}"alice,alice,file:./pw,file:./pw\n`), valid: false, mentions: /users\.csv:2/ },
  { name: 'CSV: terminal escapes and a bidi override in a login', files: withCsv(`${header}"al${t.titleChange}ice${t.rtlOverride}",alice,file:./pw,file:./pw\n`), valid: false, mentions: /users\.csv:2/ },
  { name: 'CSV: spreadsheet formulas as logins', files: withCsv(`${header}"=HYPERLINK(""http://evil"")",alice,file:./pw,file:./pw\n+cmd,bob,file:./pw,file:./pw\n`), valid: true },
  { name: 'CSV: 5,000 columns', files: withCsv(`${header}${Array.from({ length: 5000 }, (_, i) => `c${i}`).join(',')}\n`), valid: false, mentions: /users\.csv:2/ },
  { name: 'CSV: CR-only line ends (Excel "CSV (Macintosh)")', files: withCsv(`${header}alice,alice,file:./pw,file:./pw\n`.replace(/\n/g, '\r')), valid: true },
  { name: 'CSV: CR-only line ends, the error on line 3 named as line 3', files: withCsv(`${header}alice,alice,file:./pw,file:./pw\nbob,bob,file:./missing,file:./pw\n`.replace(/\n/g, '\r')), valid: false, mentions: /users\.csv:3/ },
  { name: 'CSV: a password column holding the secret itself', files: withCsv(`${header}alice,alice,${SECRET},file:./pw\n`), valid: false, mentions: /users\.csv:2/ },
];

/** Runs `validate` in-process with stdout/stderr captured, or (`cli`) as a child process killed after 20 s. */
async function validate(files: Case['files'], cli = false): Promise<{ code: number | null; out: string; err: string }> {
  const sub = mkdtempSync(join(dir, 'case-'));
  writeFileSync(join(sub, 'pw'), `${SECRET}\n`, { mode: 0o600 });
  for (const link of ['fifo', 'a-directory']) execFileSync('ln', ['-s', join(dir, link), join(sub, link)]);
  writeFileSync(join(sub, 'migration.yaml'), files.yaml);
  if (files.csv) writeFileSync(join(sub, 'users.csv'), files.csv);
  if (cli) {
    const { child, done } = spawnCli(['validate', '-c', join(sub, 'migration.yaml')]);
    const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
    const r = await done.finally(() => clearTimeout(timer));
    return { code: r.code, out: r.stdout, err: r.stderr };
  }
  let out = '';
  let err = '';
  const [stdout, stderr] = [process.stdout.write, process.stderr.write];
  process.stdout.write = ((c: string | Uint8Array) => { out += String(c); return true; }) as typeof process.stdout.write;
  process.stderr.write = ((c: string | Uint8Array) => { err += String(c); return true; }) as typeof process.stderr.write;
  try {
    const code = await validateCommand({ config: join(sub, 'migration.yaml') });
    return { code, out, err };
  } finally {
    process.stdout.write = stdout;
    process.stderr.write = stderr;
  }
}

test.each(CASES.map((c) => [c.name, c] as const))('%s', async (_name, c) => {
  const r = await validate(c.files, c.cli);
  // (jest's own ExperimentalWarning about VM modules lands on the captured stderr: not the command's.)
  const err = r.err.split('\n').filter((l) => !/^\(node:\d+\) ExperimentalWarning|^\(Use `node --trace-warnings/.test(l)).join('\n');
  expect({ code: r.code, err: c.valid ? err : '' }).toEqual({ code: c.valid ? 0 : 2, err: '' });
  if (!c.valid) expect(r.err).toMatch(c.mentions ?? /migration\.yaml|users\.csv/);
  expectCleanHuman(r.out + r.err, 'validate output');
  expectNoSecret(r.out + r.err, [SECRET], 'validate output');
}, 30_000);
