/**
 * kopano-backup on a hostile user directory (generated backups, test-support.ts): a folder
 * directory linked to another user's backup, a folder whose `path` file is a link to /etc/passwd,
 * a loop in the legacy nested layout, a second link to a folder, a socket where `items` should be,
 * a stray file, a user directory that is itself a link, a login with glob characters, a `store`
 * file linked to another user's. Nothing outside alice's directory is read; every refused entry is
 * a folder listed as not migrated with a reason naming it. (FIFOs: test/e2e/file-trees.test.ts runs
 * them through the CLI, so a hang fails by the jest timeout instead of blocking jest.)
 */
import { existsSync, mkdirSync, symlinkSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import pino from 'pino';
import { simpleParser } from 'mailparser';
import { runJob } from '../../src/engine/job.js';
import { testJobOptions, useTempStateStore } from '../../test/support/engine-setup.js';
import { MemoryTarget } from '../../test/support/memory-connectors.js';
import { listenSocket } from '../file-tree/test-socket.js';
import { KopanoBackupSource, type KopanoBackupMailbox } from './index.js';
import { DB_LOAD, PYTHON, prerequisiteMissing, writeKopanoBackup, type GenFolder } from './test-support.js';

const log = pino({ level: 'silent' });
const mail = (n: number, subject = `mail ${n}`): GenFolder['mails'][number] => ({ sourcekey: `0102030405060708090A0B0C0D0E0F10${n.toString(16).padStart(2, '0').toUpperCase()}00000000`, subject, body: `body ${n}\r\n`, from: 'a@example.org' });

describe('kopano-backup on a hostile user directory', () => {
  if (!DB_LOAD || !existsSync(PYTHON)) {
    prerequisiteMissing('needs db5.3_load (db5.3-util) and /usr/bin/python3');
    return;
  }
  const t = useTempStateStore('ums-kopano-hostile');
  let root: string;
  let closeSock: () => Promise<void>;
  const alice = (...rel: string[]) => join(root, 'alice', ...rel);
  beforeEach(async () => {
    root = join(t.dir, 'backup');
    writeKopanoBackup(join(root, 'bob'), 'bob', [{ sourcekey: 'BB01', path: 'Inbox', containerClass: 'IPF.Note', mails: [mail(9, 'bobs secret')] }]);
    writeKopanoBackup(alice(), 'alice', [
      { sourcekey: 'AA01', path: 'Inbox', containerClass: 'IPF.Note', mails: [mail(1), mail(2)] },
      { sourcekey: 'AA02', path: 'Archive', containerClass: 'IPF.Note', mails: [mail(3)] },
      { sourcekey: 'AA03', path: 'Archive/2020', containerClass: 'IPF.Note', nestedUnder: 'AA02', mails: [mail(4)] },
      { sourcekey: 'AA04', path: 'Sockets', containerClass: 'IPF.Note', mails: [mail(5)] },
      { sourcekey: 'AA05', path: 'Passwd', containerClass: 'IPF.Note', mails: [mail(6)] },
    ]);
    symlinkSync('../../bob/folders/BB01', alice('folders', 'ZZSTEAL'));
    symlinkSync('AA01', alice('folders', '00FIRST')); // sorts before its target: the real directory keeps its SOURCEKEY
    symlinkSync('../../AA02', alice('folders', 'AA02', 'folders', 'LOOP'));
    unlinkSync(alice('folders', 'AA05', 'path'));
    symlinkSync('/etc/passwd', alice('folders', 'AA05', 'path'));
    writeFileSync(alice('folders', 'README'), 'not a folder');
    unlinkSync(alice('folders', 'AA04', 'items'));
    closeSock = await listenSocket(alice('folders', 'AA04', 'items'));
  });
  afterEach(() => closeSock());

  it('copies only alice\'s own folders; every refused entry is a folder not migrated, with a reason naming it', async () => {
    const src = new KopanoBackupSource(root, log);
    const mb = await src.openMailbox({ login: 'alice' }) as KopanoBackupMailbox;
    expect(mb.skippedContainers()).toEqual([
      { path: '00FIRST', reason: 'unreadable folder: folders/00FIRST: the same directory as folders/AA01 (a directory loop, or a second link or bind mount to it): not read twice' },
      { path: 'AA05', reason: expect.stringMatching(/^unreadable folder: folders\/AA05\/path: a symbolic link to \/etc\/passwd, outside the mailbox directory .*\/alice: not followed/) },
      { path: 'Archive/LOOP', reason: 'unreadable folder: folders/AA02/folders/LOOP: the same directory as folders/AA02 (a directory loop, or a second link or bind mount to it): not read twice' },
      { path: 'README', reason: 'unreadable folder: folders/README: a file where kopano-backup writes a directory: not read' },
      { path: 'Sockets', reason: 'unreadable folder: folders/AA04/items: a socket, not a regular file: not read (reading it could block the run or return device data)' },
      { path: 'ZZSTEAL', reason: expect.stringMatching(/^unreadable folder: folders\/ZZSTEAL: a symbolic link to \.\.\/\.\.\/bob\/folders\/BB01 \(.*\/bob\/folders\/BB01\), outside the mailbox directory .*\/alice: not followed/) },
    ]);
    const tgt = new MemoryTarget();
    const r = await runJob({ store: t.store, sources: src, targets: tgt, log }, [{ source: { login: 'alice' }, target: { login: 'alice' } }], testJobOptions());
    expect([r.copied, r.failed]).toEqual([4, 0]);
    const subjects = await Promise.all([...tgt.folders.values()].flatMap((f) => f.messages).map(async (m) => (await simpleParser(m.content)).subject));
    expect(subjects.sort()).toEqual(['mail 1', 'mail 2', 'mail 3', 'mail 4']);
    expect((await t.store.problems()).map((p) => p.itemId)).toEqual([]);
    const containers = (await mb.containers()).filter((c) => !c.skip).map((c) => [c.id, c.path.join('/')]);
    expect(containers).toEqual([['AA02', 'Archive'], ['AA03', 'Archive/2020'], ['AA01', 'Inbox']]);
  });

  it('a user directory that is a link (to another user\'s backup) is refused naming the link and its target', async () => {
    symlinkSync('bob', join(root, 'mallory'));
    await expect(new KopanoBackupSource(root, log).openMailbox({ login: 'mallory' }))
      .rejects.toThrow(/^kopano-backup: the directory of mallory, .*\/mallory, is a symbolic link to bob: not followed/);
    symlinkSync(join(t.dir, 'elsewhere'), join(root, 'eve'));
    mkdirSync(join(t.dir, 'elsewhere', 'folders'), { recursive: true });
    await expect(new KopanoBackupSource(root, log).openMailbox({ login: 'eve' })).rejects.toThrow(/the directory of eve, .*, is a symbolic link to .*\/elsewhere: not followed/);
  });

  it('a login is literal: "*" or ".." never names other users\' directories', async () => {
    const src = new KopanoBackupSource(root, log);
    await expect(src.openMailbox({ login: '*' })).rejects.toThrow(/no directory for \*/);
    await expect(src.openMailbox({ login: '..' })).rejects.toThrow('source login ".." cannot name a file or directory');
  });

  it('a store file linked to another user\'s is not read: the mailbox fails naming it', async () => {
    unlinkSync(alice('store'));
    symlinkSync('../bob/store', alice('store'));
    const mb = await new KopanoBackupSource(root, log).openMailbox({ login: 'alice' });
    await expect(mb.containers()).rejects.toThrow(/^store: a symbolic link to \.\.\/bob\/store \(.*\/bob\/store\), outside the mailbox directory .*\/alice: not followed/);
  });
});
