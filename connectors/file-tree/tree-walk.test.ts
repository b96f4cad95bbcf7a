import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { walkTree } from './tree-walk.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'ums-walk-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const put = (rel: string) => {
  mkdirSync(join(dir, rel, '..'), { recursive: true });
  writeFileSync(join(dir, rel), rel);
};
const summary = () => walkTree(dir).map((d) => [d.rel.join('/') || '.', d.files.map((f) => f.name), d.refused.map((r) => r.reason)]);

describe('walkTree', () => {
  test('every directory with files, sorted, names sorted; directories without files left out', () => {
    put('b/2.eml');
    put('b/1.eml');
    put('a/x/3.eml');
    put('top.eml');
    mkdirSync(join(dir, 'empty'));
    expect(summary()).toEqual([['.', ['top.eml'], []], ['a/x', ['3.eml'], []], ['b', ['1.eml', '2.eml'], []]]);
  });

  test('a link to a directory inside the tree is refused as a second way in (every directory below the root is read by its real name)', () => {
    put('Zeta/1.eml');
    put('Real/2.eml');
    symlinkSync('Zeta', join(dir, 'Alpha')); // sorts before its target: the real name still wins
    symlinkSync('Zeta/../Real', join(dir, 'ViaDots'));
    symlinkSync('Gone', join(dir, 'Dangling'));
    expect(summary()).toEqual([
      ['.', [], [
        'Alpha: the same directory as Zeta (a directory loop, or a second link or bind mount to it): not read twice',
        expect.stringMatching(/^Dangling: a symbolic link to Gone that leads nowhere \(ENOENT/),
        'ViaDots: the same directory as Real (a directory loop, or a second link or bind mount to it): not read twice',
      ]],
      ['Real', ['2.eml'], []],
      ['Zeta', ['1.eml'], []],
    ]);
  });

  test('loops back to an ancestor, to the root, and mutual links are refused, never walked forever', () => {
    put('a/b/1.eml');
    symlinkSync('..', join(dir, 'a', 'b', 'up'));
    symlinkSync(dir, join(dir, 'a', 'root'));
    symlinkSync('../y', join(dir, 'a', 'x'));
    symlinkSync('a/x', join(dir, 'y'));
    const s = summary();
    expect(s).toEqual([
      ['.', [], [expect.stringMatching(/^y: a symbolic link to a\/x that leads nowhere \(ELOOP/)]],
      ['a', [], [
        'a/root: the same directory as . (a directory loop, or a second link or bind mount to it): not read twice',
        expect.stringMatching(/^a\/x: a symbolic link to \.\.\/y that leads nowhere \(ELOOP/),
      ]],
      ['a/b', ['1.eml'], ['a/b/up: the same directory as a (a directory loop, or a second link or bind mount to it): not read twice']],
    ]);
  });

  test('a FIFO and a character device (the tests run as root, as the lab) are refused naming what they are; the walk opens neither', () => {
    put('a/1.eml');
    execFileSync('mkfifo', [join(dir, 'a', '2.eml')]);
    execFileSync('mknod', [join(dir, 'a', '3.eml'), 'c', '1', '3']); // what /dev/null is
    symlinkSync('3.eml', join(dir, 'a', '4.eml'));
    expect(summary()).toEqual([['a', ['1.eml'], [
      'a/2.eml: a FIFO (named pipe), not a regular file: not read (reading it could block the run or return device data)',
      'a/3.eml: a character device, not a regular file: not read (reading it could block the run or return device data)',
      'a/4.eml: a symbolic link to 3.eml, a character device, not a regular file: not read',
    ]]]);
  });

  test('a link to a file inside the tree is listed with the path it is read from', () => {
    put('Archive/1.eml');
    symlinkSync('Archive/1.eml', join(dir, 'top.eml'));
    const top = walkTree(dir).find((d) => d.rel.length === 0)!.files[0]!;
    expect([top.name, top.path, top.link]).toEqual(['top.eml', join(dir, 'Archive', '1.eml'), join(dir, 'top.eml')]);
  });
});
