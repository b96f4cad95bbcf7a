/**
 * Faults on a real server: Courier-IMAP (the UMS) is restarted in the middle of a migration.
 * The run must retry with backoff and finish with every message exactly once.
 */
import { generateCorpus, seedSource } from '../lab/corpus.js';
import { addSourceUser, addTargetUser, restartTarget, startLab, uniqueLogin } from '../lab/lab.js';
import { spawnCli } from '../support/cli.js';
import { writeLabConfig } from '../support/lab-config.js';
import { expectExactlyOnce } from '../support/mailbox-snapshot.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

test('a Courier restart mid-run is retried with backoff: nothing lost, nothing duplicated', async () => {
  const lab = await startLab();
  const password = 'pw-restart-1';
  const source = uniqueLogin('rst');
  const target = uniqueLogin('rst');
  await addSourceUser(source, password);
  await addTargetUser(target, password);
  await seedSource(lab, source, password, generateCorpus({ messages: 400, maxSize: 200 * 1024, seed: 23 }));
  const { file } = writeLabConfig(lab, { source, target, password }, [
    'concurrency:', '  tasks: 3', '  batchSize: 20', '  writersPerTask: 3',
    'retry:', '  attempts: 8', '  baseDelayMs: 300', '  maxDelayMs: 3000',
  ]);
  const { done } = spawnCli(['run', '-c', file, '--json']);
  await sleep(2500);
  await restartTarget();
  const r = await done;
  expect({ code: r.code, stderr: r.stderr }).toEqual({ code: 0, stderr: '' });
  const report = JSON.parse(r.stdout) as { failed: number; copied: number };
  expect(report.failed).toBe(0);

  await expectExactlyOnce(lab, source, target, password);
}, 300_000);
