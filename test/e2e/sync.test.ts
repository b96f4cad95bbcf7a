/**
 * The nightly delta against real servers: after a migration, flags change and a message is
 * deleted in the source (Dovecot, CONDSTORE), and a new one arrives. `sync` copies the new one,
 * writes the flag changes to the UMS copies, leaves the deleted one (deletions: ignore), and with
 * deletions: mirror removes it; a second `sync` with nothing new does nothing.
 */
import { ImapFlow } from 'imapflow';
import { readFileSync } from 'node:fs';
import { generateCorpus, seedSource } from '../lab/corpus.js';
import { addSourceUser, addTargetUser, startLab, uniqueLogin } from '../lab/lab.js';
import { runCli } from '../support/cli.js';
import { writeLabConfig } from '../support/lab-config.js';
import { expectExactlyOnce } from '../support/mailbox-snapshot.js';

interface Report { copied: number; flagsUpdated: number; deleted: number; failed: number; unchangedContainers: number }

test('sync carries over new messages, flag changes and (mirror) deletions', async () => {
  const lab = await startLab();
  const password = 'pw-sync-1';
  const source = uniqueLogin('sync');
  const target = uniqueLogin('sync');
  await addSourceUser(source, password);
  await addTargetUser(target, password);
  await seedSource(lab, source, password, generateCorpus({ messages: 50, maxSize: 32 * 1024, seed: 51 }));
  const { file } = writeLabConfig(lab, { source, target, password });
  expect((await runCli(['run', '-c', file])).code).toBe(0);

  const c = new ImapFlow({ host: lab.source.host, port: lab.source.tlsPort, secure: true, tls: { ca: readFileSync(lab.source.caFile, 'utf8') }, auth: { user: source, pass: password }, logger: false });
  await c.connect();
  await c.mailboxOpen('INBOX');
  await c.messageFlagsSet('1:3', ['\\Seen', '$Synced'], { uid: true });
  await c.append('INBOX', 'Message-ID: <new@sync.test>\r\nSubject: new\r\n\r\nnew\r\n', ['\\Flagged'], new Date('2025-01-01T00:00:00Z'));
  await c.mailboxOpen('Sent');
  const [gone] = await c.fetchAll('1', { uid: true });
  await c.messageDelete(String(gone?.uid), { uid: true });
  await c.logout();

  const s1 = await runCli(['sync', '-c', file, '--json']);
  expect({ code: s1.code, stderr: s1.stderr }).toEqual({ code: 0, stderr: '' });
  // The whole report (per folder) in the diff when it fails: flagsUpdated 0 was seen once in a CI dry run.
  const r1 = JSON.parse(s1.stdout) as Report & { mailboxes: unknown };
  expect({ ...r1, mailboxes: r1.flagsUpdated === 3 ? undefined : r1.mailboxes }).toMatchObject({ copied: 1, flagsUpdated: 3, deleted: 0, failed: 0, mailboxes: undefined });
  // With deletions ignored, the UMS keeps the deleted message: reconcile shows exactly that one extra.
  const rec = await runCli(['reconcile', '-c', file, '--format', 'json']);
  const diffs = (JSON.parse(rec.stdout) as { folders: { target: string; diffs: { kind: string }[] }[] }[])[0]?.folders.flatMap((f) => f.diffs.map((d) => `${f.target}:${d.kind}`));
  expect(diffs).toEqual(['INBOX.Sent:extra']);

  const mirrored = writeLabConfig(lab, { source, target, password }, ['sync:', '  deletions: mirror']);
  // Same state store: point the mirror config at the first run's state.
  const cfg = readFileSync(mirrored.file, 'utf8').replace('path: ./state.sqlite', `path: ${file.replace(/migration\.yaml$/, 'state.sqlite')}`);
  const { writeFileSync } = await import('node:fs');
  writeFileSync(mirrored.file, cfg);
  const s2 = await runCli(['sync', '-c', mirrored.file, '--json']);
  expect(JSON.parse(s2.stdout) as Report).toMatchObject({ copied: 0, deleted: 1, failed: 0 });
  await expectExactlyOnce(lab, source, target, password);

  const s3 = await runCli(['sync', '-c', mirrored.file, '--json']);
  const quiet = JSON.parse(s3.stdout) as Report;
  expect(quiet).toMatchObject({ copied: 0, flagsUpdated: 0, deleted: 0 });
  expect(quiet.unchangedContainers).toBeGreaterThan(5);
}, 300_000);
