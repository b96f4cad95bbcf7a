/**
 * A source folder recreated with the same messages (new UIDVALIDITY, as after a server-side
 * rebuild) is re-verified against the UMS, not copied again: the run records what it finds there
 * and copies only what is really new.
 */
import { ImapFlow } from 'imapflow';
import { readFileSync } from 'node:fs';
import { generateCorpus, seedSource } from '../lab/corpus.js';
import { addSourceUser, addTargetUser, startLab, uniqueLogin } from '../lab/lab.js';
import { runCli } from '../support/cli.js';
import { writeLabConfig } from '../support/lab-config.js';
import { expectExactlyOnce } from '../support/mailbox-snapshot.js';

test('a recreated source folder (new UIDVALIDITY) is re-verified: nothing copied twice', async () => {
  const lab = await startLab();
  const password = 'pw-uidv-1';
  const source = uniqueLogin('uidv');
  const target = uniqueLogin('uidv');
  await addSourceUser(source, password);
  await addTargetUser(target, password);
  await seedSource(lab, source, password, generateCorpus({ messages: 80, maxSize: 32 * 1024, seed: 61 }));
  const { file } = writeLabConfig(lab, { source, target, password });
  expect((await runCli(['run', '-c', file])).code).toBe(0);

  const c = new ImapFlow({ host: lab.source.host, port: lab.source.tlsPort, secure: true, tls: { ca: readFileSync(lab.source.caFile, 'utf8') }, auth: { user: source, pass: password }, logger: false });
  await c.connect();
  const before = await c.status('Sent', { uidValidity: true, messages: true });
  await c.mailboxRename('Sent', 'Sent-old');
  await c.mailboxCreate('Sent');
  await c.mailboxOpen('Sent-old');
  await c.messageCopy('1:*', 'Sent');
  await c.mailboxClose();
  await c.mailboxDelete('Sent-old');
  await c.append('Sent', 'Message-ID: <after-rebuild@uidv.test>\r\nSubject: new\r\n\r\nnew\r\n', ['\\Seen'], new Date('2025-03-03T03:03:03Z'));
  const after = await c.status('Sent', { uidValidity: true, messages: true });
  await c.logout();
  if (!before || !after) throw new Error('STATUS refused');
  expect(after.uidValidity).not.toBe(before.uidValidity);
  expect(after.messages).toBe((before.messages ?? 0) + 1);

  const r = await runCli(['run', '-c', file, '--json']);
  expect({ code: r.code, stderr: r.stderr }).toEqual({ code: 0, stderr: '' });
  const report = JSON.parse(r.stdout) as { copied: number; failed: number };
  expect(report.failed).toBe(0);
  // Re-verified messages are recorded as done again (counted as copied) without being written.
  expect(report.copied).toBe(after.messages);
  await expectExactlyOnce(lab, source, target, password);
}, 300_000);

test('a fresh UMS INBOX reports the UIDVALIDITY it keeps (Courier makes one up from the clock until the first write)', async () => {
  const { UmsImapTarget } = await import('../../connectors/ums-imap/index.js');
  const pino = (await import('pino')).default;
  const lab = await startLab();
  const password = 'pw-uidv-2';
  const target = uniqueLogin('uidvt');
  await addTargetUser(target, password);
  const connector = new UmsImapTarget({
    host: lab.target.host, port: lab.target.tlsPort, tls: 'implicit', allowInsecure: false, tlsVerify: true,
    ca: readFileSync(lab.target.caFile, 'utf8'), maxConnections: 2, auth: { mode: 'user' }, autoEnable: true,
  }, pino({ level: 'silent' }), 2);
  const mb = await connector.openMailbox({ login: target, password });
  try {
    const first = await mb.ensure('INBOX');
    await new Promise((r) => setTimeout(r, 2100)); // the made-up value would have moved on by now
    const c = new ImapFlow({ host: lab.target.host, port: lab.target.tlsPort, secure: true, tls: { ca: readFileSync(lab.target.caFile, 'utf8') }, auth: { user: target, pass: password }, logger: false });
    await c.connect();
    const st = await c.status('INBOX', { uidValidity: true });
    await c.append('INBOX', 'Subject: first\r\n\r\nfirst\r\n');
    const after = await c.status('INBOX', { uidValidity: true });
    await c.logout();
    if (!st || !after) throw new Error('STATUS refused');
    expect(String(st.uidValidity)).toBe(first.epoch);
    expect(String(after.uidValidity)).toBe(first.epoch);
    expect((await mb.ensure('INBOX')).epoch).toBe(first.epoch);
  } finally {
    await mb.close();
    await connector.close();
  }
});
