/**
 * The exactly-once proof: a real migration (Dovecot → Courier) is killed with SIGKILL at random
 * moments at least ten times and resumed each time. At the end every source message is in the
 * target exactly once, with equal flags and dates.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { asUser } from '../conformance/lab-fixtures.js';
import { generateCorpus, seedSource } from '../lab/corpus.js';
import { addSourceUser, addTargetUser, startLab, uniqueLogin } from '../lab/lab.js';
import { runCli, spawnCli } from '../support/cli.js';
import { writeLabConfig } from '../support/lab-config.js';
import { expectExactlyOnce } from '../support/mailbox-snapshot.js';


// Twice: APPEND into each folder, and through staging folders (target.stagingFrom: 0, every
// folder staged from its first message: killed between APPEND into the stage, COPY and removal).
for (const staged of [false, true]) test(`SIGKILL at random points at least 10 times, then resume: every message exactly once, flags and dates equal${staged ? ' (staged writes)' : ''}`, async () => {
  const lab = await startLab();
  const password = 'pw-crash-1';
  const source = uniqueLogin('crash');
  const target = uniqueLogin('crash');
  await addSourceUser(source, password);
  await addTargetUser(target, password);
  await seedSource(lab, source, password, generateCorpus({ messages: 500, maxSize: 200 * 1024, seed: 11 }));
  const { file } = writeLabConfig(lab, { source, target, password }, ['concurrency:', '  tasks: 3', '  batchSize: 15', '  writersPerTask: 3']);
  if (staged) writeFileSync(file, readFileSync(file, 'utf8').replace('  type: ums-imap\n', '  type: ums-imap\n  stagingFrom: 0\n  stagingAfter: 0\n'));

  let kills = 0;
  let finished = 0;
  for (let round = 1; kills < 10 && round <= 60; round++) {
    const { child, done } = spawnCli(['resume', '-c', file, '--json']);
    const timer = setTimeout(() => child.kill('SIGKILL'), 600 + Math.floor(Math.random() * 2400));
    const r = await done;
    clearTimeout(timer);
    if (r.signal === 'SIGKILL') {
      kills++;
      continue;
    }
    expect({ code: r.code, stderr: r.stderr, out: r.code === 0 ? '' : r.stdout }).toEqual({ code: 0, stderr: '', out: '' });
    finished++;
    // It got to the end before the kill: give it more to do and keep killing.
    await seedSource(lab, source, password, generateCorpus({ messages: 60, maxSize: 100 * 1024, seed: 100 + round }));
  }
  expect(kills).toBeGreaterThanOrEqual(10);
  const last = await runCli(['resume', '-c', file, '--json']);
  expect(last.code).toBe(0);
  expect((JSON.parse(last.stdout) as { failed: number }).failed).toBe(0);

  const messages = await expectExactlyOnce(lab, source, target, password);
  process.stdout.write(`crash test${staged ? ' (staged)' : ''}: ${kills} kills, ${finished} runs finished early, ${messages} messages\n`);
  if (staged) {
    expect(readFileSync(file.replace(/[^/]+$/, 'run.log'), 'utf8')).toContain('writing through staging folders');
    // The last run removed the staging folders, also those the killed runs left.
    const folders = await asUser(lab.target, target, password, async (c) => (await c.list()).map((f) => f.path));
    expect(folders.filter((f) => f.includes('ums-migrate-staging-'))).toEqual([]);
  }
}, 900_000);
