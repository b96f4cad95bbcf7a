import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileIdentity, fileLabel, mailboxFiles } from './mailbox-files.js';
import { classifyFolder } from './container-class.js';

describe('mailboxFiles', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'ums-pstfiles-'));
    for (const f of ['alice.pst', 'alicex.pst', 'bob.pst', 'alice/2019.pst', 'alice/2020.PST', 'alice/notes.txt', 'alice/sub/deep.pst', 'archive-alice.pst', 'dir.pst/x']) {
      mkdirSync(join(dir, f, '..'), { recursive: true });
      writeFileSync(join(dir, f), f);
    }
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  test('{login} and * within one segment, sorted, files only', () => {
    expect(mailboxFiles(dir, '{login}.pst', 'alice').map((f) => fileLabel(dir, f))).toEqual(['alice.pst']);
    expect(mailboxFiles(dir, '{login}/*.pst', 'alice').map((f) => fileLabel(dir, f))).toEqual(['alice/2019.pst']);
    expect(mailboxFiles(dir, '{login}/*', 'alice').map((f) => fileLabel(dir, f))).toEqual(['alice/2019.pst', 'alice/2020.PST', 'alice/notes.txt']);
    expect(mailboxFiles(dir, '*-{login}.pst', 'alice').map((f) => fileLabel(dir, f))).toEqual(['archive-alice.pst']);
    expect(mailboxFiles(dir, '*/{login}.pst', 'x')).toEqual([]);
    expect(mailboxFiles(dir, 'dir.pst', 'x')).toEqual([]); // a directory is not a file
    expect(mailboxFiles(dir, '{login}.pst', 'carol')).toEqual([]);
  });

  test('a login that would leave the directory is refused', () => {
    expect(() => mailboxFiles(dir, '{login}.pst', '../etc/passwd')).toThrow('cannot name a file');
    expect(() => mailboxFiles(dir, '{login}/*.pst', '..')).toThrow('cannot name a file');
  });

  test('the identity follows the content, not the name or time', () => {
    const a = join(dir, 'alice.pst');
    const copy = join(dir, 'copy.pst');
    writeFileSync(copy, 'alice.pst');
    expect(fileIdentity(copy)).toBe(fileIdentity(a));
    writeFileSync(copy, 'alice.psT');
    expect(fileIdentity(copy)).not.toBe(fileIdentity(a));
    const big = join(dir, 'big.pst');
    const buf = Buffer.alloc(300 * 1024, 1);
    writeFileSync(big, buf);
    const before = fileIdentity(big);
    buf[buf.length - 1] = 2; // a change in the last 64 KiB
    writeFileSync(big, buf);
    expect(fileIdentity(big)).not.toBe(before);
    expect(before).toMatch(/^307200-[0-9a-f]{16}$/);
  });
});

describe('classifyFolder', () => {
  test.each([
    ['', 'mail', true], ['IPF.Note', 'mail', true], ['IPF.Note.OutlookHomepage', 'mail', true], ['IPF.Imap', 'mail', true], ['IPF.Post', 'mail', true],
    ['IPF.Appointment', 'event', false], ['IPF.Contact', 'contact', false], ['IPF.Task', 'task', false],
    ['IPF.StickyNote', 'mail', false], ['IPF.Journal', 'mail', false], ['IPF.Configuration', 'mail', false], ['IPF.Notebook', 'mail', false],
  ])('%j → %s, migrated: %s', (cls, kind, migrate) => {
    const v = classifyFolder(cls);
    expect(v.kind).toBe(kind);
    expect(v.migrate).toBe(migrate);
    if (!v.migrate) expect(v.reason).toContain(cls);
  });

  it('migrates calendar, contact and task folders only with groupware on, and says how to turn it on', () => {
    for (const [cls, kind] of [['IPF.Appointment', 'event'], ['IPF.Contact', 'contact'], ['IPF.Task', 'task']] as const) {
      expect(classifyFolder(cls, { groupware: true })).toEqual({ kind, migrate: true });
      const off = classifyFolder(cls);
      expect(off.migrate || off.reason).toMatch(/set "groupware: true" in the pst source config/);
    }
    expect(classifyFolder('IPF.StickyNote', { groupware: true }).migrate).toBe(false);
  });
});
