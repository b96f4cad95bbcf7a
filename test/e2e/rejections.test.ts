/**
 * What a migration engineer meets on real servers: wrong credentials (plan says so, exit 5), a
 * UMS mailbox over quota (each rejected message recorded with Courier's words, the run goes on,
 * exit 3), and after the quota is raised the next run copies exactly what failed. Secrets never
 * reach the log or the state store.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { generateCorpus, seedSource } from '../lab/corpus.js';
import { addSourceUser, addTargetUser, startLab, targetMaildir, uniqueLogin, type Lab } from '../lab/lab.js';
import { runCli } from '../support/cli.js';
import { writeLabConfig } from '../support/lab-config.js';
import { expectExactlyOnce } from '../support/mailbox-snapshot.js';

let lab: Lab;
beforeAll(async () => { lab = await startLab(); });

function setQuota(login: string, bytes: number): void {
  execFileSync('runuser', ['-u', 'umslab', '--', 'maildirmake', '-q', `${bytes}S`, targetMaildir(login)]);
}

test('plan reports a refused login with the server reason and exits 5, naming the mailbox', async () => {
  const source = uniqueLogin('badpw');
  await addSourceUser(source, 'right-password');
  await addTargetUser(source, 'right-password');
  const { file } = writeLabConfig(lab, { source, target: source, password: 'wrong-password' });
  const r = await runCli(['plan', '-c', file, '--json']);
  expect(r.code).toBe(5);
  const plan = JSON.parse(r.stdout) as { source: string; ok: boolean; error?: string }[];
  expect(plan[0]?.source).toBe(source);
  expect(plan[0]?.ok).toBe(false);
  expect(plan[0]?.error).toMatch(new RegExp(`source login as ${source} at 127\\.0\\.0\\.1:${lab.source.tlsPort}: authentication failed`));
}, 60_000);

test('over quota: every rejected message is recorded with the reason, the next run copies exactly those', async () => {
  const password = 'pw-quota-1';
  const source = uniqueLogin('quota');
  const target = uniqueLogin('quota');
  await addSourceUser(source, password);
  await addTargetUser(target, password);
  await seedSource(lab, source, password, generateCorpus({ messages: 40, maxSize: 64 * 1024, seed: 31 }));
  setQuota(target, 150 * 1024);
  const { dir, file } = writeLabConfig(lab, { source, target, password });

  const first = await runCli(['run', '-c', file, '--json']);
  expect(first.code).toBe(3);
  const report = JSON.parse(first.stdout) as { copied: number; failed: number };
  expect(report.failed).toBeGreaterThan(0);
  expect(report.copied).toBeGreaterThan(0);
  const st = await runCli(['status', '-c', file, '--problems', '--json']);
  const problems = (JSON.parse(st.stdout) as { problems: { status: string; reason: string; itemId: string }[] }).problems;
  expect(problems).toHaveLength(report.failed);
  for (const p of problems) {
    expect(p.status).toBe('failed');
    expect(p.reason).toContain('You exceeded your mail quota.');
  }

  setQuota(target, 1024 * 1024 * 1024);
  const second = await runCli(['run', '-c', file, '--json']);
  expect({ code: second.code, stderr: second.stderr }).toEqual({ code: 0, stderr: '' });
  expect((JSON.parse(second.stdout) as { copied: number }).copied).toBe(report.failed);
  await expectExactlyOnce(lab, source, target, password);

  // The password is in neither the JSON log nor the state store.
  for (const f of ['run.log', 'state.sqlite']) expect(readFileSync(join(dir, f)).includes(password)).toBe(false);
}, 300_000);
