/**
 * Issue 17 end to end against the lab (Dovecot → Courier): `plan` records the inventory of every
 * mailbox, so `status` measures against totals that include mailboxes not started yet; a run
 * stopped with SIGINT says "interrupted" for each unfinished mailbox with the exact command that
 * continues it; `status` never shows done above total; the resumed run finishes at 100 %; a pass
 * with nothing new says so instead of listing zeros.
 */
import Database from 'better-sqlite3';
import { join } from 'node:path';
import { generateCorpus, seedSource } from '../lab/corpus.js';
import { addSourceUser, addTargetUser, startLab, uniqueLogin } from '../lab/lab.js';
import { runCli, spawnCli } from '../support/cli.js';
import { writeLabConfig } from '../support/lab-config.js';
import { expectExactlyOnce } from '../support/mailbox-snapshot.js';

interface KindTotals { kind: string; totalItems: number; doneItems: number; failedItems: number; skippedItems: number }
interface Inventory { source: string; inventoriedAt: string | null; kinds: KindTotals[] }

const sum = (m: Inventory | undefined, k: 'totalItems' | 'doneItems') => (m?.kinds ?? []).reduce((n, x) => n + x[k], 0);

test('plan inventories every mailbox; an interrupted run says so with the resume command; status and the resumed run hold to the totals', async () => {
  const lab = await startLab();
  const password = 'pw-progress-1';
  const [a, b] = [uniqueLogin('prog'), uniqueLogin('prog')];
  for (const login of [a, b]) {
    await addSourceUser(login, password);
    await addTargetUser(login, password);
  }
  await seedSource(lab, a, password, generateCorpus({ messages: 600, maxSize: 60 * 1024, seed: 17 }));
  await seedSource(lab, b, password, generateCorpus({ messages: 40, maxSize: 20 * 1024, seed: 18 }));
  const { dir, file } = writeLabConfig(lab, { source: a, target: a, password }, [
    `  - source: ${b}`, `    target: ${b}`, '    sourcePassword: file:./pw', '    targetPassword: file:./pw',
    'concurrency:', '  mailboxes: 1', '  tasks: 1', '  batchSize: 10', '  writersPerTask: 1',
  ]);

  const plan = await runCli(['plan', '-c', file]);
  expect(plan.code).toBe(0);
  expect(plan.stdout).toMatch(/total to migrate: \d+ folders: 600 messages \(/);
  const planned = JSON.parse((await runCli(['status', '-c', file, '--json'])).stdout) as { inventory: Inventory[] };
  expect(planned.inventory.map((m) => [m.source, sum(m, 'totalItems'), sum(m, 'doneItems')]).sort()).toEqual([[a, 600, 0], [b, 40, 0]].sort());
  const before = await runCli(['status', '-c', file]);
  expect(before.stdout).toMatch(/Overall: 0 of 640 items copied \(0% processed\)/);

  // Stop the run with SIGINT once it has copied something (the first mailbox is far from done then).
  const { child, done } = spawnCli(['run', '-c', file]);
  const db = join(dir, 'state.sqlite');
  for (let i = 0; i < 600; i++) {
    await new Promise((r) => setTimeout(r, 50));
    const conn = new Database(db, { readonly: true, fileMustExist: true });
    try {
      const row = conn.prepare('SELECT COALESCE(SUM(done_items), 0) AS n FROM containers').get() as { n: number };
      if (row.n > 0) break;
    } finally {
      conn.close();
    }
  }
  child.kill('SIGINT');
  const stopped = await done;
  expect(stopped.code).toBe(130);
  expect(stopped.stderr).toContain('Interrupted (Ctrl-C): finishing the current batches and checkpointing; press Ctrl-C again to stop at once');
  const rowOf = (login: string) => stopped.stdout.split('\n').find((l) => l.startsWith(`${login} `)) ?? '';
  expect(rowOf(a)).toMatch(/ interrupted /);
  expect(rowOf(b)).toMatch(/ interrupted /);
  expect(stopped.stdout).toContain(`Interrupted: 2 mailboxes not finished (${a}, ${b}). Continue with:\n  ums-migrate resume -c ${file}\n`);
  expect(stopped.stdout).not.toMatch(/ ok /);

  const mid = JSON.parse((await runCli(['status', '-c', file, '--json'])).stdout) as { inventory: Inventory[] };
  const midA = mid.inventory.find((m) => m.source === a);
  expect(sum(midA, 'doneItems')).toBeGreaterThan(0);
  expect(sum(midA, 'doneItems')).toBeLessThan(600);
  for (const m of mid.inventory) for (const k of m.kinds) expect(k.doneItems + k.failedItems + k.skippedItems).toBeLessThanOrEqual(k.totalItems);

  const resumed = await runCli(['resume', '-c', file]);
  expect(resumed.code).toBe(0);
  expect(resumed.stdout).not.toContain('Interrupted');
  const after = await runCli(['status', '-c', file]);
  expect(after.stdout).toMatch(/Overall: 640 of 640 items copied \(100% processed\)/);
  await expectExactlyOnce(lab, a, a, password);
  await expectExactlyOnce(lab, b, b, password);

  const again = await runCli(['sync', '-c', file]);
  expect(again.code).toBe(0);
  expect(again.stdout).toMatch(/Nothing new: \d+ folders checked in/);
  expect(again.stdout).not.toMatch(/0 flag changes|0 folders unchanged|0 recovered/);
}, 300_000);
