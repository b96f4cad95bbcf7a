import { lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { appendPrivateFile, createPrivateFileSync, writePrivateFile, writePrivateFileSync } from './private-file.js';

let dir: string;
let umask: number;
const mode = (f: string) => statSync(f).mode & 0o777;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'ums-private-'));
  umask = process.umask(0);
});
afterEach(() => {
  process.umask(umask);
  rmSync(dir, { recursive: true, force: true });
});

describe('private files', () => {
  test.each([
    ['async', writePrivateFile],
    ['sync', async (f: string, d: string, o?: { mode?: number }) => writePrivateFileSync(f, d, o)],
  ])('%s write: 0600 under umask 0, the mode asked for, replaces the old file, leaves no temporary file', async (_kind, write) => {
    const file = join(dir, 'report.html');
    writeFileSync(file, 'old', { mode: 0o666 });
    await write(file, 'new');
    expect(readFileSync(file, 'utf8')).toBe('new');
    expect(mode(file)).toBe(0o600);
    await write(join(dir, 'other'), 'x', { mode: 0o640 });
    expect(mode(join(dir, 'other'))).toBe(0o640);
    expect(readdirSync(dir).sort()).toEqual(['other', 'report.html']);
  });

  test('a symlink at the destination is replaced, never written through', async () => {
    const victim = join(dir, 'victim');
    writeFileSync(victim, 'keep');
    const file = join(dir, 'out.csv');
    symlinkSync(victim, file);
    symlinkSync(victim, `${file}.tmp`);
    await writePrivateFile(file, 'report');
    expect(lstatSync(file).isFile()).toBe(true);
    expect(readFileSync(file, 'utf8')).toBe('report');
    expect(readFileSync(victim, 'utf8')).toBe('keep');
  });

  test('a failed write removes its temporary file and says why', async () => {
    const file = join(dir, 'taken');
    mkdirSync(file); // rename(2) cannot replace a directory with a file
    await expect(writePrivateFile(file, 'x')).rejects.toThrow(/EISDIR|ENOTDIR|EEXIST/);
    expect(() => writePrivateFileSync(file, 'x')).toThrow(/EISDIR|ENOTDIR|EEXIST/);
    expect(readdirSync(dir)).toEqual(['taken']);
    await expect(writePrivateFile(join(dir, 'missing', 'x'), 'x')).rejects.toThrow(/ENOENT/);
  });

  test('createPrivateFileSync creates 0600 once, leaves an existing file or symlink alone', () => {
    const file = join(dir, 'state.sqlite');
    expect(createPrivateFileSync(file)).toBe(true);
    expect(mode(file)).toBe(0o600);
    writeFileSync(file, 'data');
    expect(createPrivateFileSync(file)).toBe(false);
    expect(readFileSync(file, 'utf8')).toBe('data');
    const link = join(dir, 'link');
    symlinkSync(join(dir, 'nowhere'), link);
    expect(createPrivateFileSync(link)).toBe(false);
    expect(readdirSync(dir).sort()).toEqual(['link', 'state.sqlite']);
  });

  test('appendPrivateFile creates 0600 and appends; an existing file keeps its mode', async () => {
    const file = join(dir, 'audit.jsonl');
    await appendPrivateFile(file, 'a\n');
    await appendPrivateFile(file, 'b\n');
    expect(readFileSync(file, 'utf8')).toBe('a\nb\n');
    expect(mode(file)).toBe(0o600);
    const shared = join(dir, 'shared.jsonl');
    writeFileSync(shared, '', { mode: 0o640 });
    await appendPrivateFile(shared, 'c\n');
    expect(mode(shared)).toBe(0o640);
  });

  test('appendPrivateFile never appends through a symlink planted at the file: an error naming it, the target untouched', async () => {
    const victim = join(dir, 'victim');
    writeFileSync(victim, 'keep\n', { mode: 0o644 });
    const file = join(dir, 'routing-audit.jsonl');
    symlinkSync(victim, file);
    await expect(appendPrivateFile(file, '{"audit":1}\n')).rejects.toThrow(`${file} is a symbolic link: not appended through it`);
    expect(readFileSync(victim, 'utf8')).toBe('keep\n');
    expect(lstatSync(file).isSymbolicLink()).toBe(true);
  });
});
