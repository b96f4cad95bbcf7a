/**
 * The .msg source on a hostile tree: links out of the mailbox's directory (another user's file,
 * /etc/passwd), a directory loop, a socket, TNEF and other files that are not .msg. Nothing outside
 * alice's directory becomes a message; every entry seen ends copied, failed or skipped with a
 * reason naming it, and the counts add up. (FIFOs: test/e2e/file-trees.test.ts, through the CLI.)
 */
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { runJob } from '../../src/engine/job.js';
import { SqliteStateStore } from '../../src/state/sqlite.js';
import { testJobOptions } from '../../test/support/engine-setup.js';
import { MemoryTarget } from '../../test/support/memory-connectors.js';
import { listenSocket } from '../file-tree/test-socket.js';
import { fixturesDir } from '../pst/readpst-oracle.js';
import { MsgSource } from './index.js';

const log = pino({ level: 'silent' });
const fixtures = join(fixturesDir(), 'pst', 'msg');

describe('.msg source on a hostile tree', () => {
  if (!existsSync(fixtures)) {
    test('prerequisites', () => { throw new Error(`.msg fixtures not found at ${fixtures} (set UMS_FIXTURES_DIR)`); });
    return;
  }
  let dir: string;
  let store: SqliteStateStore;
  let closeSock: () => Promise<void>;
  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'ums-msg-hostile-'));
    const a = (rel: string) => join(dir, 'alice', rel);
    mkdirSync(a('Sub'), { recursive: true });
    mkdirSync(a('Only'), { recursive: true });
    mkdirSync(join(dir, 'bob'), { recursive: true });
    copyFileSync(join(fixtures, 'voteItems.msg'), join(dir, 'bob', 'secret.msg'));
    copyFileSync(join(fixtures, 'msgInMsgInMsg.msg'), a('m1.msg'));
    copyFileSync(join(fixtures, 'nonUnicodeCP932.msg'), a('Sub/m2.msg'));
    for (const n of ['winmail.dat', 'part.tnef', 'Thumbs.db', 'Only/desktop.ini']) writeFileSync(a(n), 'x');
    symlinkSync('../bob/secret.msg', a('steal.msg'));
    symlinkSync('/etc/passwd', a('passwd.msg'));
    symlinkSync('..', a('Sub/loop'));
    symlinkSync('Sub/m2.msg', a('inside.msg')); // inside alice's tree: followed
    closeSock = await listenSocket(a('sock.msg'));
    store = new SqliteStateStore(join(dir, 'state.sqlite'));
    await store.migrate();
  });
  afterEach(async () => {
    await closeSock();
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  test('copies only alice\'s own files; every other entry is skipped with a reason naming it; seen = copied + failed + skipped', async () => {
    const tgt = new MemoryTarget();
    const job = [{ source: { login: 'alice' }, target: { login: 'alice' } }];
    const r = await runJob({ store, sources: new MsgSource({ directory: dir, folders: '{login}' }, log), targets: tgt, log }, job, testJobOptions());
    const copied = [...tgt.folders.values()].flatMap((f) => f.messages.map((m) => m.content.toString('latin1')));
    expect(copied).toHaveLength(3); // m1, Sub/m2 and the link to it inside the tree
    expect(copied.some((c) => /vote/i.test(c) || c.includes('root:'))).toBe(false);
    const problems = (await store.problems()).map((p) => `${p.path}|${p.itemId}|${p.status}|${p.reason}`).sort();
    expect(problems).toEqual([
      'INBOX|Thumbs.db|skipped|Thumbs.db: not a .msg file: not migrated',
      expect.stringMatching(/^INBOX\|part\.tnef\|skipped\|part\.tnef: a TNEF file/),
      expect.stringMatching(/^INBOX\|passwd\.msg\|skipped\|passwd\.msg: a symbolic link to \/etc\/passwd, outside the mailbox directory .*\/alice: not followed/),
      'INBOX|sock.msg|skipped|sock.msg: a socket, not a regular file: not read (reading it could block the run or return device data)',
      expect.stringMatching(/^INBOX\|steal\.msg\|skipped\|steal\.msg: a symbolic link to \.\.\/bob\/secret\.msg \(.*\/bob\/secret\.msg\), outside the mailbox directory .*\/alice: not followed/),
      expect.stringMatching(/^INBOX\|winmail\.dat\|skipped\|winmail\.dat: a TNEF file/),
      'Only|desktop.ini|skipped|Only/desktop.ini: not a .msg file: not migrated',
      'Sub|loop|skipped|Sub/loop: the same directory as . (a directory loop, or a second link or bind mount to it): not read twice',
    ]);
    const mb = await new MsgSource({ directory: dir, folders: '{login}' }, log).openMailbox({ login: 'alice' });
    const only = (await mb.containers()).find((c) => c.id === 'Only')!;
    expect(await mb.stats(only)).toMatchObject({ count: 1, notMigrated: [{ id: 'desktop.ini', reason: 'Only/desktop.ini: not a .msg file: not migrated' }] });
    const [m] = await store.mailboxes();
    expect([r.copied, r.failed, r.skipped]).toEqual([3, 0, 8]);
    expect(m).toMatchObject({ totalItems: 11, doneItems: 3, failedItems: 0, skippedItems: 8 });
    expect(m!.totalItems).toBe(m!.doneItems + m!.failedItems + m!.skippedItems);
  });

  test('a mailbox directory that is a link to another user\'s is refused naming the link and its target', async () => {
    symlinkSync('bob', join(dir, 'mallory'));
    await expect(new MsgSource({ directory: dir, folders: '{login}' }, log).openMailbox({ login: 'mallory' }))
      .rejects.toThrow(/^msg: the directory of mallory, .*\/mallory, is a symbolic link to bob: not followed/);
  });

  test('a login is literal: "*" or ".." never names other users\' directories', async () => {
    const src = new MsgSource({ directory: dir, folders: '{login}' }, log);
    await expect(src.openMailbox({ login: '*' })).rejects.toThrow(/no directory for \*/);
    await expect(src.openMailbox({ login: '..' })).rejects.toThrow('source login ".." cannot name a file or directory');
  });
});
