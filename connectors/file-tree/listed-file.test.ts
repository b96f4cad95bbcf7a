/**
 * A file is read only if it is still the regular file that was listed: replaced by a link (to
 * another user's file), by another file, by a FIFO, or removed → refused with the reason. The FIFO
 * case runs in a child process: a read that blocks would hang jest itself, so a regression fails by
 * this test's jest timeout instead.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, renameSync, rmSync, symlinkSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readListedFile } from './listed-file.js';
import { walkTree, type ListedFile } from './tree-walk.js';

let dir: string;
let child: ChildProcess | undefined;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'ums-listed-'));
  writeFileSync(join(dir, 'a.eml'), 'Subject: a\r\n\r\nalice\r\n');
  writeFileSync(join(dir, 'other.eml'), 'Subject: other\r\n\r\nsomeone else\r\n');
});
afterEach(() => {
  if (child && child.exitCode === null) child.kill('SIGKILL');
  child = undefined;
  rmSync(dir, { recursive: true, force: true });
});

const listed = (): ListedFile => walkTree(dir)[0]!.files.find((f) => f.name === 'a.eml')!;

describe('readListedFile', () => {
  test('reads the file listed', () => {
    expect(readListedFile(listed()).toString()).toBe('Subject: a\r\n\r\nalice\r\n');
  });

  test('a file replaced by a link since the listing is not read', () => {
    const f = listed();
    unlinkSync(f.path);
    symlinkSync('/etc/passwd', f.path);
    expect(() => readListedFile(f)).toThrow(`${f.path}: now a symbolic link (a regular file when it was listed): not read`);
  });

  test('a file replaced by another file (another inode) is not read', () => {
    const f = listed();
    renameSync(join(dir, 'other.eml'), f.path);
    expect(() => readListedFile(f)).toThrow(/a\.eml: replaced by another file since it was listed \(device\/inode .*\): not read; it is read again on the next run/);
  });

  test('a file removed since the listing', () => {
    const f = listed();
    unlinkSync(f.path);
    expect(() => readListedFile(f)).toThrow(`${f.path}: removed since it was listed`);
  });

  test('a file replaced by a FIFO is refused without waiting for a writer', async () => {
    const script = `
      const { execFileSync } = await import('node:child_process');
      const { unlinkSync } = await import('node:fs');
      const { walkTree } = await import(${JSON.stringify(new URL('./tree-walk.ts', import.meta.url).href)});
      const { readListedFile } = await import(${JSON.stringify(new URL('./listed-file.ts', import.meta.url).href)});
      const f = walkTree(process.argv[1])[0].files.find((x) => x.name === 'a.eml');
      unlinkSync(f.path);
      execFileSync('mkfifo', [f.path]);
      try { readListedFile(f); process.stdout.write('read'); } catch (err) { process.stdout.write(err.message); }`;
    child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script, dir], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout!.on('data', (d: Buffer) => { out += d.toString(); });
    const code = await new Promise((resolve) => child!.on('close', resolve));
    expect([code, out]).toEqual([0, `${join(dir, 'a.eml')}: now a FIFO (named pipe) (a regular file when it was listed): not read`]);
  }, 30_000);
});
