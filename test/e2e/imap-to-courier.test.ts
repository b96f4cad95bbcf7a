/**
 * End to end against real servers: Dovecot (source) → Courier-IMAP (UMS target), through the
 * real CLI. Every source message must arrive exactly once, byte-identical (as Courier stores it),
 * with its flags, keywords and INTERNALDATE.
 */
import { generateCorpus, seedSource } from '../lab/corpus.js';
import { addSourceUser, addTargetUser, startLab, uniqueLogin, type Lab } from '../lab/lab.js';
import { runCli } from '../support/cli.js';
import { writeLabConfig } from '../support/lab-config.js';
import { expectExactlyOnce, snapshotMailbox, total, type Snapshot } from '../support/mailbox-snapshot.js';


let lab: Lab;
const password = 'pw-e2e-1';
let source: string;
let target: string;
let config: { dir: string; file: string };
let sourceSnap: Snapshot;

beforeAll(async () => {
  lab = await startLab();
  source = uniqueLogin('e2e');
  target = uniqueLogin('e2e');
  await addSourceUser(source, password);
  await addTargetUser(target, password);
  await seedSource(lab, source, password, generateCorpus({ messages: 150, maxSize: 300 * 1024, seed: 7 }));
  config = writeLabConfig(lab, { source, target, password }, ['concurrency:', '  batchSize: 25', '  writersPerTask: 3']);
  sourceSnap = await snapshotMailbox({ ...lab.source, port: lab.source.tlsPort }, source, password);
}, 300_000);


test('validate accepts the generated config', async () => {
  const r = await runCli(['validate', '-c', config.file]);
  expect(r.stderr).toBe('');
  expect(r.code).toBe(0);
  expect(r.stdout).toContain('valid (1 mailboxes)');
});

test('plan verifies both sides and names every UMS folder without writing anything', async () => {
  const r = await runCli(['plan', '-c', config.file, '--json']);
  expect(r.code).toBe(0);
  const plan = JSON.parse(r.stdout) as { ok: boolean; warnings: string[]; folders: { source: string; target: string; messages: number; exists: boolean }[] }[];
  expect(plan[0]?.ok).toBe(true);
  expect(plan[0]?.warnings.some((w) => /^Trash → INBOX\.Trash: Courier purges its Trash by message age/.test(w))).toBe(true);
  const byName = new Map(plan[0]?.folders.map((f) => [f.source, f]));
  expect(byName.get('INBOX')?.target).toBe('INBOX');
  expect(byName.get('Sent')?.target).toBe('INBOX.Sent');
  const msgs = plan[0]?.folders.reduce((n, f) => n + f.messages, 0);
  expect(msgs).toBe(total(sourceSnap));
  const targetSnap = await snapshotMailbox({ ...lab.target, port: lab.target.tlsPort }, target, password);
  expect(total(targetSnap)).toBe(0);
  expect([...targetSnap.keys()]).toEqual(['INBOX']);
});

test('run copies every message exactly once with flags and dates; a second run copies nothing', async () => {
  const r1 = await runCli(['run', '-c', config.file, '--json']);
  expect(r1.code).toBe(0);
  const report = JSON.parse(r1.stdout) as { copied: number; failed: number; skipped: number };
  expect(report.failed).toBe(0);
  expect(report.copied).toBe(total(sourceSnap));
  await expectExactlyOnce(lab, source, target, password);

  const r2 = await runCli(['run', '-c', config.file, '--json']);
  expect(r2.code).toBe(0);
  const again = JSON.parse(r2.stdout) as { copied: number; unchangedContainers: number };
  expect(again.copied).toBe(0);
  expect(again.unchangedContainers).toBe(sourceSnap.size);
  expect(total(await snapshotMailbox({ ...lab.target, port: lab.target.tlsPort }, target, password))).toBe(total(sourceSnap));

  const st = await runCli(['status', '-c', config.file, '--json']);
  const status = JSON.parse(st.stdout) as { mailboxes: { doneItems: number; failedItems: number }[] };
  expect(status.mailboxes[0]).toMatchObject({ doneItems: total(sourceSnap), failedItems: 0 });
});
