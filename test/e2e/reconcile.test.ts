/**
 * Reconciliation against real servers: after a migration the sides are equal (exit 0); then a
 * message is deleted in the UMS, one has its flags changed and one is added there: reconcile lists
 * exactly those three, explains them from the state store, keeps Message-IDs hashed by default,
 * and exits 6. Without the state store it still finds the same differences.
 */
import { ImapFlow } from 'imapflow';
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { generateCorpus, seedSource } from '../lab/corpus.js';
import { addSourceUser, addTargetUser, startLab, uniqueLogin } from '../lab/lab.js';
import { runCli } from '../support/cli.js';
import { writeLabConfig } from '../support/lab-config.js';

interface Diff { kind: string; folder: string; id: string; explanation?: string; messageId?: string; subject?: string }
interface Result { folders: { target: string; matched: number; diffs: Diff[] }[] }

test('reconcile finds a deleted, a re-flagged and an extra message in the UMS, and explains them', async () => {
  const lab = await startLab();
  const password = 'pw-rec-1';
  const source = uniqueLogin('rec');
  const target = uniqueLogin('rec');
  await addSourceUser(source, password);
  await addTargetUser(target, password);
  await seedSource(lab, source, password, generateCorpus({ messages: 60, maxSize: 64 * 1024, seed: 41 }));
  const { dir, file } = writeLabConfig(lab, { source, target, password });
  expect((await runCli(['run', '-c', file])).code).toBe(0);

  const equal = await runCli(['reconcile', '-c', file]);
  expect(equal.code).toBe(0);
  expect(equal.stdout).toContain('equal: every source message is in the UMS, flags equal');

  const c = new ImapFlow({ host: lab.target.host, port: lab.target.tlsPort, secure: true, tls: { ca: readFileSync(lab.target.caFile, 'utf8') }, auth: { user: target, pass: password }, logger: false });
  await c.connect();
  const step = async <T>(what: string, fn: () => Promise<T>): Promise<T> => {
    try {
      return await fn();
    } catch (err) {
      const e = err as Error & { responseText?: string; responseStatus?: string };
      throw new Error(`${what}: ${e.message} (${e.responseStatus ?? ''} ${e.responseText ?? ''})`);
    }
  };
  await step('select', () => c.mailboxOpen('INBOX.Sent'));
  const [first, second] = await step('fetch', () => c.fetchAll('1:2', { uid: true }));
  await step('delete', () => c.messageDelete(String(first?.uid), { uid: true }));
  await step('store', () => c.messageFlagsSet(String(second?.uid), ['$Reconciled'], { uid: true }));
  await step('append', () => c.append('INBOX.Sent', 'Message-ID: <extra@ums.test>\r\nSubject: only in the UMS\r\n\r\nx\r\n', [], new Date('2022-02-02T02:02:02Z')));
  await c.logout();

  const diff = await runCli(['reconcile', '-c', file, '--format', 'json']);
  expect(diff.code).toBe(6);
  const result = JSON.parse(diff.stdout) as Result[];
  const sent = result[0]?.folders.find((f) => f.target === 'INBOX.Sent');
  expect(sent?.diffs.map((d) => d.kind).sort()).toEqual(['extra', 'flags', 'missing']);
  const missing = sent?.diffs.find((d) => d.kind === 'missing');
  expect(missing?.explanation).toMatch(/^recorded as copied \(UMS UID \d+\) but no longer in the UMS folder/);
  expect(missing?.messageId).toMatch(/^mid:[0-9a-f]{12}$|^\(no Message-ID\)$/);
  expect(result[0]?.folders.filter((f) => f.target !== 'INBOX.Sent').every((f) => f.diffs.length === 0)).toBe(true);
  expect(diff.stdout).not.toContain('<extra@ums.test>');
  expect(diff.stdout).not.toContain('only in the UMS');
  const shown = await runCli(['reconcile', '-c', file, '--format', 'json', '--show-subjects']);
  expect(shown.stdout).toContain('<extra@ums.test>');
  const shownSent = (JSON.parse(shown.stdout) as Result[])[0]?.folders.find((f) => f.target === 'INBOX.Sent');
  expect(shownSent?.diffs.find((d) => d.kind === 'extra')?.subject).toBe('only in the UMS');
  expect(shownSent?.diffs.find((d) => d.kind === 'missing')?.subject).toEqual(expect.any(String));

  const csv = await runCli(['reconcile', '-c', file, '--format', 'csv', '--out', join(dir, 'diff.csv')]);
  expect(csv.code).toBe(6);
  const lines = readFileSync(join(dir, 'diff.csv'), 'utf8').split('\r\n');
  expect(lines[0]).toBe('\uFEFFmailbox,ums_folder,kind,folder,uid,ums_uid,internal_date,size,message_id,explanation');
  expect(lines.filter((l) => l.length > 0)).toHaveLength(4);

  // Without the state store: the same differences, explained generically.
  rmSync(join(dir, 'state.sqlite'));
  const bare = await runCli(['reconcile', '-c', file, '--format', 'json']);
  expect(bare.code).toBe(6);
  const bareSent = (JSON.parse(bare.stdout) as Result[])[0]?.folders.find((f) => f.target === 'INBOX.Sent');
  expect(bareSent?.diffs.map((d) => d.kind).sort()).toEqual(['extra', 'flags', 'missing']);
  expect(bareSent?.diffs.find((d) => d.kind === 'missing')?.explanation).toBe('not migrated yet (ums-migrate run copies it)');
}, 300_000);
