/**
 * A source server that drops the connection every time it sends one particular message (Dovecot
 * does so for a Maildir file whose S= size is wrong: "Cached message size smaller than
 * expected"). That one message fails with a reason that says so; the messages after it in the
 * same page are copied, not failed with it.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { addSourceUser, addTargetUser, sourceMaildir, startLab, targetMaildir, uniqueLogin, type Lab } from '../lab/lab.js';
import { runCli } from '../support/cli.js';
import { writeLabConfig } from '../support/lab-config.js';

/** The lab's mail user, owner of every Maildir. */
const LAB_USER = 'umslab';
let lab: Lab;
beforeAll(async () => { lab = await startLab(); });

const message = (i: number) => Buffer.from([
  `Message-ID: <drop-${i}@example.org>`, `Subject: message ${i}`, 'From: a@example.org', 'Date: Mon, 1 Jan 2024 10:00:00 +0000', '',
  `body ${i} ${'x'.repeat(2000)}`, '',
].join('\r\n'));

test('one message the source cannot send: it alone fails, with the reason; the rest of its page is copied', async () => {
  const password = 'pw-drop-1';
  const source = uniqueLogin('drop');
  const target = uniqueLogin('drop');
  await addSourceUser(source, password);
  await addTargetUser(target, password);
  const maildir = sourceMaildir(source);
  for (const d of ['cur', 'new', 'tmp']) mkdirSync(join(maildir, d), { recursive: true });
  for (let i = 1; i <= 6; i++) {
    const raw = message(i);
    // Message 3's file name claims a size it does not have.
    const size = i === 3 ? raw.length + 500 : raw.length;
    writeFileSync(join(maildir, 'cur', `${1_700_000_000 + i}.M${i}P1.drop,S=${size},W=${size}:2,S`), raw);
  }
  execFileSync('chown', ['-R', `${LAB_USER}:${LAB_USER}`, maildir]);
  const { file } = writeLabConfig(lab, { source, target, password }, ['retry:', '  attempts: 3', '  baseDelayMs: 50', '  maxDelayMs: 200']);

  const r = await runCli(['run', '-c', file, '--json']);
  const report = JSON.parse(r.stdout) as { copied: number; failed: number };
  expect({ code: r.code, copied: report.copied, failed: report.failed }).toEqual({ code: 3, copied: 5, failed: 1 });
  const problems = () => runCli(['status', '-c', file, '--problems', '--json']).then((x) => (JSON.parse(x.stdout) as { problems: { itemId: string; status: string; reason: string }[] }).problems);
  const [only, ...more] = await problems();
  expect(more).toEqual([]);
  expect(only?.itemId).toBe('3');
  expect(only?.status).toBe('failed');
  expect(only?.reason).toMatch(/^the source broke off every read of this item, also when read on its own \(3 tries\); the others were read on\. The source server's log should say why\. Last error: source drop\S+: reading INBOX: Connection not available$/);
  // (Dovecot's log says: "Cached message size larger than expected (2624 > 2124, box=INBOX, UID=3)".)
  const copied = () => ['cur', 'new'].flatMap((d) => readdirSync(join(targetMaildir(target), d)).map((f) => readFileSync(join(targetMaildir(target), d, f), 'utf8')));
  expect(copied().map((m) => /Subject: (.*)/.exec(m)?.[1]).sort()).toEqual(['message 1', 'message 2', 'message 4', 'message 5', 'message 6']);

  // The next run tries that one again (still unreadable), and copies nothing twice.
  const again = await runCli(['run', '-c', file, '--json']);
  const second = JSON.parse(again.stdout) as { copied: number; failed: number };
  expect({ code: again.code, copied: second.copied, failed: second.failed }).toEqual({ code: 3, copied: 0, failed: 1 });
  expect(copied()).toHaveLength(5);
  expect((await problems()).map((p) => p.itemId)).toEqual(['3']);
}, 120_000);
