/**
 * Staged writes into the lab's Courier (a real server): what a folder receives through its staging
 * folder is what an APPEND would have written (flags, keywords, INTERNALDATE, bytes), the staging
 * folders never show in `list` and are gone after the pass (`finishPass`, which the engine calls
 * before `close`; a read-only session's close leaves a running pass's stage alone), and one an
 * interrupted run left behind (with messages in it) is emptied before use, never copied from.
 */
import { ItemError } from '../../src/util/errors.js';
import { asUser, labImapEndpoint } from '../../test/conformance/lab-fixtures.js';
import { silentLog } from '../../test/conformance/file-fixtures.js';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { addTargetUser, startLab, targetMaildir, uniqueLogin, type Lab } from '../../test/lab/lab.js';
import type { ItemContent, TargetMailbox } from '../../src/model/types.js';
import { UmsImapTarget } from './index.js';

const password = 'pw-staging-1';
let lab: Lab;

beforeAll(async () => {
  lab = await startLab();
}, 180_000);

function item(n: number, flags: string[] = [], date = new Date(Date.UTC(2019, 4, 6, 7, 8, n % 60))): ItemContent {
  const content = Buffer.from(`From: a@example.org\r\nSubject: staged ${n}\r\nMessage-ID: <staged-${n}@example.org>\r\n\r\nbody ${n} ${'x'.repeat(n * 37)}\r\n`);
  return { meta: { id: String(n), size: content.length, flags, internalDate: date, messageId: `<staged-${n}@example.org>` }, content };
}

/** The folders Courier keeps as subscribed (also ones deleted since: LSUB lists those too). */
function subscribed(login: string): string[] {
  const file = join(targetMaildir(login), 'courierimapsubscribed');
  return existsSync(file) ? readFileSync(file, 'utf8').split('\n').filter(Boolean) : [];
}

async function stagingFolders(login: string): Promise<string[]> {
  return asUser(lab.target, login, password, async (c) => (await c.list()).map((f) => f.path).filter((p) => p.includes('ums-migrate-staging-')));
}

async function open(login: string, stagingFrom: number | false): Promise<{ target: UmsImapTarget; mb: TargetMailbox }> {
  const target = new UmsImapTarget(labImapEndpoint(lab.target), silentLog, 4, undefined, { stagingFrom, stagingAfter: 0 });
  return { target, mb: await target.openMailbox({ login, password }) };
}

describe('ums-imap target: staged writes (lab Courier)', () => {
  it('writes through the staging folder what an APPEND writes, one COPY for writes made together, and removes the stage at the end of the pass', async () => {
    const login = uniqueLogin('stg');
    await addTargetUser(login, password);
    const { mb } = await open(login, 0);
    const st = await mb.ensure('INBOX.Big');
    expect(mb.capabilities('INBOX.Big').writesInFlight).toBeGreaterThan(1);
    const items = Array.from({ length: 30 }, (_, i) => item(i + 1, i % 3 === 0 ? ['\\Seen', '\\Flagged', '$Label1', 'Projekt'] : i % 3 === 1 ? ['\\Answered'] : []));
    const puts = await Promise.all(items.map((it) => mb.put('INBOX.Big', it)));
    const uids = puts.map((p) => Number(p.id));
    expect(uids.every((u) => Number.isInteger(u) && u > 0)).toBe(true);
    expect(new Set(uids).size).toBe(30);
    // Written in the order put: UIDs ascending.
    expect([...uids].sort((a, b) => a - b)).toEqual(uids);
    expect(uids[0]).toBe(Number((st.watermark as string).split(':')[1]));
    expect(await mb.list()).not.toEqual(expect.arrayContaining([expect.stringContaining('ums-migrate-staging-')]));
    expect(await stagingFolders(login)).toHaveLength(1);

    const inFolder = await asUser(lab.target, login, password, async (c) => {
      await c.mailboxOpen('INBOX.Big', { readOnly: true });
      const out = new Map<number, { flags: string[]; date: Date; source: string }>();
      for await (const m of c.fetch('1:*', { uid: true, flags: true, internalDate: true, source: true })) {
        out.set(m.uid, { flags: [...(m.flags ?? [])].sort(), date: new Date(m.internalDate as Date), source: (m.source as Buffer).toString() });
      }
      return out;
    });
    expect(inFolder.size).toBe(30);
    for (const [n, it] of items.entries()) {
      const got = inFolder.get(uids[n] as number);
      expect(got?.source).toBe(it.content.toString());
      expect(got?.flags).toEqual([...it.meta.flags].sort());
      expect(got?.date.toISOString()).toBe(it.meta.internalDate?.toISOString());
    }
    // The staging folder holds nothing once the messages are in.
    const [stage] = await stagingFolders(login);
    const left = await asUser(lab.target, login, password, async (c) => { const s = await c.status(stage as string, { messages: true }); return s ? s.messages : undefined; });
    expect(left).toBe(0);

    // A reconcile (or plan) of the mailbox during the pass: its close leaves the pass's stage alone.
    const reader = await open(login, 0);
    expect(await reader.mb.list()).toContain('INBOX.Big');
    await reader.mb.close();
    expect(await stagingFolders(login)).toHaveLength(1);
    await mb.put('INBOX.Big', item(31));

    await mb.finishPass?.();
    await mb.close();
    expect(await stagingFolders(login)).toEqual([]);
  }, 120_000);

  it('writes a large batch through three staging folders at once: each message once, UIDs in the order put, every stage removed at the end', async () => {
    const login = uniqueLogin('stl');
    await addTargetUser(login, password);
    const { target, mb } = await open(login, 0);
    await mb.ensure('INBOX.Lanes');
    // 600 small messages: blocks of 250, 250 and 100 on lanes 0, 1 and 2.
    const items = Array.from({ length: 600 }, (_, i) => item(i + 1));
    let sent = 0;
    const puts = await Promise.all(items.map((it) => mb.put('INBOX.Lanes', { ...it, content: Buffer.from(`Subject: lane ${it.meta.id}\r\n\r\nbody\r\n`) }, { sent: () => { sent++; } })));
    // Each staged message was said to be stored before its COPY (well within the target's 24 MiB).
    expect(sent).toBe(600);
    const uids = puts.map((p) => Number(p.id));
    expect(new Set(uids).size).toBe(600);
    expect([...uids].sort((a, b) => a - b)).toEqual(uids);
    expect(await stagingFolders(login)).toHaveLength(3);
    const subjects = await asUser(lab.target, login, password, async (c) => {
      await c.mailboxOpen('INBOX.Lanes', { readOnly: true });
      const out: [number, string][] = [];
      for await (const m of c.fetch('1:*', { uid: true, envelope: true })) out.push([m.uid, m.envelope?.subject ?? '']);
      return out.sort((a, b) => a[0] - b[0]).map(([, subject]) => subject);
    });
    expect(subjects).toEqual(items.map((it) => `lane ${it.meta.id}`));
    // Never subscribed (imapflow's CREATE subscribes), so none left subscribed after the DELETE.
    expect(subscribed(login).filter((p) => p.includes('ums-migrate-staging-'))).toEqual([]);
    expect(subscribed(login)).toContain('INBOX.Lanes');
    await mb.finishPass?.();
    expect(await stagingFolders(login)).toEqual([]);
    expect(subscribed(login).filter((p) => p.includes('ums-migrate-staging-'))).toEqual([]);
    await mb.close();
    await target.close();
  }, 120_000);

  it('subscribes every folder it creates, parents included, and one someone else made meanwhile unsubscribed', async () => {
    const login = uniqueLogin('sub');
    await addTargetUser(login, password);
    const { target, mb } = await open(login, false);
    await mb.list();
    await asUser(lab.target, login, password, async (c) => {
      await c.mailboxCreate('INBOX.Made');
      await c.mailboxUnsubscribe('INBOX.Made');
    });
    expect(subscribed(login)).not.toContain('INBOX.Made');
    await mb.ensure('INBOX.Made');
    await mb.ensure('INBOX.Deep.Er');
    expect(subscribed(login)).toEqual(expect.arrayContaining(['INBOX.Made', 'INBOX.Deep', 'INBOX.Deep.Er']));
    await mb.close();
    await target.close();
  }, 60_000);

  it('empties a staging folder an interrupted run left (never copies from it), and removes it at the end of the pass', async () => {
    const login = uniqueLogin('stg');
    await addTargetUser(login, password);
    // A first target writes one message, then "dies" with a message still staged: its stage is
    // made by hand here as the interrupted run would have left it.
    const first = await open(login, 0);
    await first.mb.ensure('INBOX');
    await first.mb.put('INBOX', item(1));
    const [stage] = await stagingFolders(login);
    expect(stage).toBeDefined();
    await asUser(lab.target, login, password, (c) => c.append(stage as string, item(99).content, ['\\Seen']));

    const second = await open(login, 0);
    expect(await second.mb.list()).not.toContain(stage);
    await second.mb.ensure('INBOX');
    await second.mb.put('INBOX', item(2));
    const subjects = await asUser(lab.target, login, password, async (c) => {
      await c.mailboxOpen('INBOX', { readOnly: true });
      const out: string[] = [];
      for await (const m of c.fetch('1:*', { envelope: true })) out.push(m.envelope?.subject ?? '');
      return out;
    });
    expect(subjects).toEqual(['staged 1', 'staged 2']);
    await second.mb.finishPass?.();
    await second.mb.close();
    expect(await stagingFolders(login)).toEqual([]);
    await first.mb.close();
  }, 120_000);

  it('removes a staging folder left behind at the end of any pass, even one that writes nothing; a user folder of such a name deeper down is left alone', async () => {
    const login = uniqueLogin('stg');
    await addTargetUser(login, password);
    const leftover = 'INBOX.ums-migrate-staging-0123456789';
    const usersOwn = 'INBOX.Archive.ums-migrate-staging-0123456789';
    await asUser(lab.target, login, password, async (c) => {
      await c.mailboxCreate(leftover);
      await c.append(leftover, item(7).content, ['\\Seen']);
      await c.mailboxCreate(usersOwn);
    });
    const { mb } = await open(login, 0);
    expect(await mb.list()).toContain(usersOwn);
    expect(await mb.list()).not.toContain(leftover);
    await mb.finishPass?.();
    await mb.close();
    const left = await asUser(lab.target, login, password, async (c) => (await c.list()).map((f) => f.path));
    expect(left).not.toContain(leftover);
    expect(left).toContain(usersOwn);
    // Made (and so subscribed) by imapflow's CREATE, as an earlier version made its stages: no
    // subscription is left behind for it; the user's own folder keeps its own.
    expect(subscribed(login)).not.toContain(leftover);
    expect(subscribed(login)).toContain(usersOwn);
  }, 60_000);

  it('reuses the STATUS of a staged folder: the watermark follows its own writes, and stays at or below the real UIDNEXT when mail arrives meanwhile', async () => {
    const login = uniqueLogin('stg');
    await addTargetUser(login, password);
    const { mb } = await open(login, 0);
    const first = await mb.ensure('INBOX');
    const [epoch] = (first.watermark as string).split(':');
    const ids = (await Promise.all([1, 2, 3].map((n) => mb.put('INBOX', item(n))))).map((p) => Number(p.id));
    // Another client delivers a message meanwhile.
    await asUser(lab.target, login, password, (c) => c.append('INBOX', item(50).content, []));
    const again = await mb.ensure('INBOX');
    expect(again.watermark).toBe(`${epoch}:${Math.max(...ids) + 1}`);
    const real = await asUser(lab.target, login, password, async (c) => { const st = await c.status('INBOX', { uidNext: true }); return st ? st.uidNext : undefined; });
    expect(Number((again.watermark as string).split(':')[1])).toBeLessThan(real as number);
    await mb.close();
  }, 60_000);

  it('writes directly into a folder below the threshold, and switches to staging once it holds that many', async () => {
    const login = uniqueLogin('stg');
    await addTargetUser(login, password);
    const { mb } = await open(login, 3);
    await mb.ensure('INBOX.Grows');
    expect(mb.capabilities('INBOX.Grows').writesInFlight).toBeUndefined();
    for (const n of [1, 2, 3]) await mb.put('INBOX.Grows', item(n));
    expect(await stagingFolders(login)).toEqual([]);
    await mb.ensure('INBOX.Grows');
    expect(mb.capabilities('INBOX.Grows').writesInFlight).toBeGreaterThan(1);
    await mb.put('INBOX.Grows', item(4));
    expect(await stagingFolders(login)).toHaveLength(1);
    await mb.finishPass?.();
    await mb.close();
    expect(await stagingFolders(login)).toEqual([]);
  }, 120_000);

  it('never stages with stagingFrom: false', async () => {
    const login = uniqueLogin('stg');
    await addTargetUser(login, password);
    const { mb } = await open(login, false);
    await mb.ensure('INBOX');
    expect(mb.capabilities('INBOX').writesInFlight).toBeUndefined();
    await mb.put('INBOX', item(1));
    expect(await stagingFolders(login)).toEqual([]);
    await mb.close();
  }, 60_000);

  it('fails a message Courier refuses (over quota) alone, with the server reason', async () => {
    const login = uniqueLogin('stg');
    await addTargetUser(login, password);
    const { execFileSync } = await import('node:child_process');
    const { targetMaildir } = await import('../../test/lab/lab.js');
    execFileSync('runuser', ['-u', 'umslab', '--', 'maildirmake', '-q', `${256 * 1024}S`, targetMaildir(login)]);
    const { mb } = await open(login, 0);
    await mb.ensure('INBOX');
    const big = item(3);
    const huge: ItemContent = { ...big, content: Buffer.concat([big.content, Buffer.from(`${'y'.repeat(76)}\r\n`.repeat(6000))]) };
    const r = await Promise.allSettled([mb.put('INBOX', item(1)), mb.put('INBOX', huge), mb.put('INBOX', item(2))]);
    expect(r.map((x) => x.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    const reason = (r[1] as PromiseRejectedResult).reason as Error;
    expect(reason).toBeInstanceOf(ItemError);
    expect(reason.message).toMatch(/quota/i);
    await mb.finishPass?.();
    await mb.close();
    expect(await stagingFolders(login)).toEqual([]);
  }, 120_000);
});
