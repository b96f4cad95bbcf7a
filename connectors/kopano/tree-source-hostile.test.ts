/**
 * kopano-tree on a hostile tree: links out of the user's directory (to another user's export, to
 * /etc/passwd, to /etc), a directory loop, a socket, TNEF files, unknown files, a second file for
 * one SOURCEKEY. Nothing outside alice's directory becomes a message; every entry seen ends
 * copied, failed or skipped with a reason naming it, and the counts add up. (FIFOs: test/e2e/file-trees.test.ts
 * runs them through the CLI, so a hang fails by the jest timeout instead of blocking jest.)
 */
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { eventToICalendar } from '../../mappings/groupware/icalendar.js';
import { openMailboxPair, runJob } from '../../src/engine/job.js';
import { windowAround } from '../../src/reconcile/groupware-expand.js';
import { reconcileCollection } from '../../src/reconcile/groupware-run.js';
import { SqliteStateStore } from '../../src/state/sqlite.js';
import { testJobOptions } from '../../test/support/engine-setup.js';
import { MemoryTarget } from '../../test/support/memory-connectors.js';
import { listenSocket } from '../file-tree/test-socket.js';
import { KopanoTreeSource } from './tree-source.js';

const log = pino({ level: 'silent' });
const eml = (n: string, extra = 'Date: Tue, 14 Jan 2020 09:14:55 +0100\r\n') => Buffer.from(`From: a@example.org\r\nSubject: ${n}\r\n${extra}Message-ID: <${n}@example.org>\r\n\r\nbody ${n}\r\n`);

let dir: string;
let root: string;
let store: SqliteStateStore;
let closeSock: () => Promise<void>;
beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'ums-tree-hostile-'));
  root = join(dir, 'export');
  const put = (rel: string, data: Buffer | string) => {
    mkdirSync(join(root, rel, '..'), { recursive: true });
    writeFileSync(join(root, rel), data);
    utimesSync(join(root, rel), new Date('2024-01-01T00:00:00Z'), new Date('2024-01-01T00:00:00Z'));
  };
  put('bob/Inbox/B1.eml', eml('bobs-secret'));
  put('alice/Inbox/A1.eml', eml('a1'));
  put('alice/Archive/A2.eml', eml('a2'));
  put('alice/Inbox/winmail.dat', 'TNEF');
  put('alice/Inbox/part.TNEF', 'TNEF');
  put('alice/Inbox/notes.txt', 'text');
  put('alice/Inbox/A1.ics', 'BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n');
  put('alice/Attachments/winmail.dat', 'TNEF');
  symlinkSync('../../bob/Inbox/B1.eml', join(root, 'alice/Inbox/steal.eml'));
  symlinkSync('/etc/passwd', join(root, 'alice/Inbox/passwd.eml'));
  symlinkSync('/etc', join(root, 'alice/Inbox/etc'));
  symlinkSync('..', join(root, 'alice/Inbox/loop'));
  symlinkSync('nowhere.eml', join(root, 'alice/Inbox/dangling.eml'));
  symlinkSync('../Archive/A2.eml', join(root, 'alice/Inbox/linked.eml')); // inside alice's tree: followed
  closeSock = await listenSocket(join(root, 'alice/Inbox/sock.eml'));
  store = new SqliteStateStore(join(dir, 'state.sqlite'));
  await store.migrate();
});
afterEach(async () => {
  await closeSock();
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('kopano-tree on a hostile tree', () => {
  it('copies only alice\'s own files; every other entry is skipped with a reason naming it; seen = copied + failed + skipped', async () => {
    const tgt = new MemoryTarget();
    const job = [{ source: { login: 'alice' }, target: { login: 'alice' } }];
    const r = await runJob({ store, sources: new KopanoTreeSource(root, log), targets: tgt, log }, job, testJobOptions());
    const copied = [...tgt.folders.values()].flatMap((f) => f.messages.map((m) => m.content.toString('utf8')));
    expect(copied.filter((c) => c.includes('bobs-secret') || c.includes('root:'))).toEqual([]);
    expect(copied.map((c) => /Subject: (\S+)/.exec(c)?.[1]).sort()).toEqual(['a1', 'a2', 'a2']);

    const byPath = (a: unknown[], b: unknown[]) => (`${String(a[0])}/${String(a[1])}` < `${String(b[0])}/${String(b[1])}` ? -1 : 1);
    const problems = (await store.problems()).map((p) => [p.path, p.itemId, p.status, p.reason]).sort(byPath);
    expect(problems).toEqual([
      ['Inbox', 'A1.ics', 'skipped', 'Inbox/A1.ics: a second file for item A1 (A1.eml is migrated): not migrated'],
      ['Inbox', 'dangling', 'skipped', expect.stringMatching(/^Inbox\/dangling\.eml: a symbolic link to nowhere\.eml that leads nowhere/)],
      ['Inbox', 'etc', 'skipped', expect.stringMatching(/^Inbox\/etc: a symbolic link to \/etc, outside the mailbox directory .*\/alice: not followed/)],
      ['Inbox', 'loop', 'skipped', 'Inbox/loop: the same directory as . (a directory loop, or a second link or bind mount to it): not read twice'],
      ['Inbox', 'notes.txt', 'skipped', 'Inbox/notes.txt: not an .eml, .ics or .vcf file: not an item of the export, not migrated'],
      ['Inbox', 'part.TNEF', 'skipped', expect.stringMatching(/^Inbox\/part\.TNEF: a TNEF file .*not migrated/)],
      ['Inbox', 'passwd', 'skipped', expect.stringMatching(/^Inbox\/passwd\.eml: a symbolic link to \/etc\/passwd, outside the mailbox directory .*: not followed .*copy the file into the directory/)],
      ['Inbox', 'sock', 'skipped', 'Inbox/sock.eml: a socket, not a regular file: not read (reading it could block the run or return device data)'],
      ['Inbox', 'steal', 'skipped', expect.stringMatching(/^Inbox\/steal\.eml: a symbolic link to \.\.\/\.\.\/bob\/Inbox\/B1\.eml \(.*\/bob\/Inbox\/B1\.eml\), outside the mailbox directory .*\/alice: not followed/)],
      ['Inbox', 'winmail.dat', 'skipped', expect.stringMatching(/^Inbox\/winmail\.dat: a TNEF file/)],
      ['Attachments', 'winmail.dat', 'skipped', expect.stringMatching(/^Attachments\/winmail\.dat: a TNEF file/)],
    ].sort(byPath));

    const [m] = await store.mailboxes();
    expect([r.copied, r.failed, r.skipped]).toEqual([3, 0, 11]);
    expect(m).toMatchObject({ totalItems: 14, doneItems: 3, failedItems: 0, skippedItems: 11 });
    expect(m!.totalItems).toBe(m!.doneItems + m!.failedItems + m!.skippedItems);

    // a second run: nothing new, the skipped entries stay recorded once
    const r2 = await runJob({ store, sources: new KopanoTreeSource(root, log), targets: tgt, log }, job, testJobOptions());
    expect([r2.copied, r2.failed, r2.skipped]).toEqual([0, 0, 0]);
    expect(await store.problems()).toHaveLength(11);
  });

  it('a user directory that is a link (to another user\'s export) is refused naming the link and its target', async () => {
    symlinkSync('bob', join(root, 'mallory'));
    await expect(new KopanoTreeSource(root, log).openMailbox({ login: 'mallory' }))
      .rejects.toThrow(/^kopano-tree: the directory of mallory, .*\/mallory, is a symbolic link to bob: not followed .*replace the link with the directory itself/);
  });

  it.each(['..', '.', '', 'bob/../alice', 'a\\b', 'x\0y'])('login %j cannot name a directory', async (login) => {
    await expect(new KopanoTreeSource(root, log).openMailbox({ login })).rejects.toThrow(`source login ${JSON.stringify(login)} cannot name a file or directory`);
  });

  it('a login with glob characters names only itself', async () => {
    mkdirSync(join(root, 'a*'));
    await expect(new KopanoTreeSource(root, log).openMailbox({ login: 'a*' })).resolves.toBeDefined();
    await expect(new KopanoTreeSource(root, log).openMailbox({ login: '*' })).rejects.toThrow(/no directory for \*: .*\/export\/\* does not exist/);
  });

  it('reconcile leaves entries that are not items out: a calendar folder with a README is equal after the run', async () => {
    const cal = join(root, 'alice', 'Calendar');
    mkdirSync(cal);
    writeFileSync(join(cal, 'E1.ics'), eventToICalendar({ uid: 'ev-1', summary: 'Meeting', start: { utc: new Date('2026-02-01T10:00:00Z') }, end: { utc: new Date('2026-02-01T11:00:00Z') } }));
    writeFileSync(join(cal, 'README.txt'), 'exported by kopano-backup');
    const tgt = new MemoryTarget();
    const job = { source: { login: 'alice' }, target: { login: 'alice' } };
    await runJob({ store, sources: new KopanoTreeSource(root, log), targets: tgt, log }, [job], testJobOptions());
    const pair = await openMailboxPair({ sources: new KopanoTreeSource(root, log), targets: tgt }, job, testJobOptions());
    const c = pair.containers.filter((x) => x.id === 'Calendar');
    const cmp = await reconcileCollection(pair.source, pair.target, 'calendar:Calendar', c, true, { window: windowAround(new Date('2026-02-01T00:00:00Z'), 1, 1) });
    expect([cmp.matched, cmp.diffs]).toEqual([1, []]);
    await pair.source.close();
  });
});
