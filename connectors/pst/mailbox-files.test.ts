import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { fileIdentity, fileLabel, mailboxEntries, mailboxFiles, openMailboxFile } from './mailbox-files.js';
import { classifyFolder } from './container-class.js';
import { PstSource } from './index.js';
import { openPst, PstFileError } from './pst-reader.js';
import { fixturesDir } from './readpst-oracle.js';

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

  test('glob characters in a login match only themselves: a login cannot widen the pattern to other users\' files', () => {
    for (const login of ['*', 'al*', '?lice', '[a-z]lice', '{alice,bob}', 'a.*']) {
      for (const pattern of ['{login}.pst', '*-{login}.pst', '{login}/*.pst', '{login}*.pst']) expect([login, pattern, mailboxFiles(dir, pattern, login)]).toEqual([login, pattern, []]);
    }
    writeFileSync(join(dir, '*.pst'), 'a user named "*"');
    try {
      expect(mailboxFiles(dir, '{login}.pst', '*').map((f) => fileLabel(dir, f))).toEqual(['*.pst']);
    } finally {
      rmSync(join(dir, '*.pst'));
    }
  });

  describe('links, FIFOs and the directory itself', () => {
    let d: string;
    beforeEach(() => {
      d = mkdtempSync(join(tmpdir(), 'ums-pstlinks-'));
      mkdirSync(join(d, 'pst', 'alice'), { recursive: true });
      for (const f of ['pst/bob.pst', 'pst/alice/2019.pst', 'pst/alice/2020.pst']) writeFileSync(join(d, f), f);
      symlinkSync('bob.pst', join(d, 'pst', 'mallory.pst'));
      symlinkSync('../bob.pst', join(d, 'pst', 'alice', 'bobs.pst'));
      symlinkSync('/etc/passwd', join(d, 'pst', 'alice', 'passwd.pst'));
      symlinkSync('2020.pst', join(d, 'pst', 'alice', 'current.pst'));
      symlinkSync('alice', join(d, 'pst', 'eve'));
      execFileSync('mkfifo', [join(d, 'pst', 'alice', 'fifo.pst')]);
    });
    afterEach(() => rmSync(d, { recursive: true, force: true }));

    test('a link to another user\'s file or out of the directory and a FIFO are refused with the reason; a link to the same user\'s file is read once, as its target', () => {
      const dir2 = join(d, 'pst');
      const r = mailboxEntries(dir2, '{login}/*.pst', 'alice');
      expect(r.files.map((f) => fileLabel(dir2, f))).toEqual(['alice/2019.pst', 'alice/2020.pst']);
      expect(r.refused.map((e) => e.reason)).toEqual([
        'alice/bobs.pst: a symbolic link to bob.pst, which is not a file of alice ({login}/*.pst): not followed',
        'alice/fifo.pst: a FIFO (named pipe), not a regular file: not read (reading it could block the run or return device data)',
        expect.stringMatching(/^alice\/passwd\.pst: a symbolic link to \/etc\/passwd, outside the mailbox directory .*\/pst: not followed/),
      ]);
      expect(mailboxEntries(dir2, '{login}.pst', 'mallory')).toEqual({ files: [], listed: [], refused: [expect.objectContaining({ reason: 'mallory.pst: a symbolic link to bob.pst, which is not a file of mallory ({login}.pst): not followed' })] });
      expect(mailboxEntries(dir2, '{login}/*.pst', 'eve')).toEqual({ files: [], listed: [], refused: [expect.objectContaining({ reason: 'eve: a symbolic link to alice, which is not a file of eve ({login}/*.pst): not followed' })] });
    });

    test('a configured directory that is itself a link keeps the labels below it', () => {
      symlinkSync(join(d, 'pst'), join(d, 'via-link'));
      expect(mailboxFiles(join(d, 'via-link'), '{login}/*.pst', 'alice').map((f) => fileLabel(join(d, 'via-link'), f))).toEqual(['alice/2019.pst', 'alice/2020.pst']);
    });

    test('the identity is never read through a link', () => {
      expect(() => fileIdentity(join(d, 'pst', 'mallory.pst'))).toThrow(/ELOOP/);
    });

    test('the PST source lists a refused entry as a folder failing with the reason, and never opens it', async () => {
      const mb = await new PstSource({ directory: join(d, 'pst'), files: '{login}.pst' }, pino({ level: 'silent' })).openMailbox({ login: 'mallory' });
      const cs = await mb.containers();
      expect(cs.map((c) => c.path)).toEqual([['mallory.pst']]);
      await expect(mb.stats(cs[0]!)).rejects.toThrow('mallory.pst: a symbolic link to bob.pst, which is not a file of mallory ({login}.pst): not followed');
      expect((await mb.verify()).ok).toBe(false);
      await mb.close();
    });
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

describe('opening a listed PST file', () => {
  const fixture = (name: string): string => join(fixturesDir(), 'pst', 'unicode', name);
  const openFds = (): number => readdirSync('/proc/self/fd').length;
  let d: string;
  beforeEach(() => {
    d = mkdtempSync(join(tmpdir(), 'ums-pstopen-'));
    copyFileSync(fixture('hiraoka-threeItems.pst'), join(d, 'alice.pst'));
    copyFileSync(fixture('pstsdk-sample1.pst'), join(d, 'bob.pst'));
  });
  afterEach(() => rmSync(d, { recursive: true, force: true }));

  /** alice's file as the walk listed it, then `swap` run on the directory, then the open. */
  async function openAfter(swap: () => void): Promise<unknown> {
    const [listed] = mailboxEntries(d, '{login}.pst', 'alice').listed;
    expect(listed).toMatchObject({ path: join(d, 'alice.pst'), dev: expect.any(Number), ino: expect.any(Number) });
    swap();
    const before = openFds();
    const err = await openMailboxFile(listed!).then((r) => r.reader.close(), (e: unknown) => e);
    expect(openFds()).toBe(before); // nothing left open
    return err;
  }

  test('the file listed opens, its epoch and reader from one descriptor', async () => {
    const [listed] = mailboxEntries(d, '{login}.pst', 'alice').listed;
    const before = openFds();
    const { reader, epoch } = await openMailboxFile(listed!);
    expect(epoch).toBe(fileIdentity(join(d, 'alice.pst')));
    expect(reader.storeName).not.toBe('');
    reader.close();
    expect(openFds()).toBe(before);
  });

  test('a symbolic link swapped in after the walk (to another user\'s PST) is refused naming the file, never followed', async () => {
    const err = await openAfter(() => {
      rmSync(join(d, 'alice.pst'));
      symlinkSync('bob.pst', join(d, 'alice.pst'));
    });
    expect(err).toBeInstanceOf(PstFileError);
    expect((err as Error).message).toBe(`${join(d, 'alice.pst')}: now a symbolic link (a regular file when it was listed): not read`);
  });

  test('another file renamed over it after the walk, or a FIFO, is refused the same way', async () => {
    const other = await openAfter(() => renameSync(join(d, 'bob.pst'), join(d, 'alice.pst')));
    expect((other as Error).message).toMatch(new RegExp(`^${join(d, 'alice.pst')}: replaced by another file since it was listed \\(device/inode .*\\): not read`));
    const fifo = await openAfter(() => {
      rmSync(join(d, 'alice.pst'));
      execFileSync('mkfifo', [join(d, 'alice.pst')]);
    });
    expect((fifo as Error).message).toBe(`${join(d, 'alice.pst')}: now a FIFO (named pipe) (a regular file when it was listed): not read`);
  });

  test('openPst by path does not follow a symbolic link or open a FIFO', async () => {
    symlinkSync('bob.pst', join(d, 'link.pst'));
    execFileSync('mkfifo', [join(d, 'fifo.pst')]);
    const before = openFds();
    await expect(openPst(join(d, 'link.pst'))).rejects.toThrow(`${join(d, 'link.pst')}: a symbolic link: not followed, not read`);
    await expect(openPst(join(d, 'fifo.pst'))).rejects.toThrow(`${join(d, 'fifo.pst')}: a FIFO (named pipe), not a regular file: not read`);
    expect(openFds()).toBe(before);
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
