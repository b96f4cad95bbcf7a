/**
 * `mail.decodeTnef` end to end: Dovecot → Courier-IMAP through the real CLI. An Outlook message
 * with winmail.dat arrives as ordinary MIME (HTML body, the real attachments, every header
 * kept), a damaged one and a message without TNEF arrive byte-identical, `status --problems`
 * says what was converted and what not, a second run copies nothing and reconcile finds the
 * two sides equal. The same from a file source (a kopano-tree export) with keep-original: the
 * message converted with winmail.dat attached unchanged, a winmail.dat *file* beside it skipped
 * with its reason, never taken for a message.
 */
import { ImapFlow } from 'imapflow';
import { simpleParser } from 'mailparser';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { htmlInRtf, lzfu, outlookMessage, TAGS, writeTnef } from '../../mappings/tnef/test-support.js';
import { addSourceUser, addTargetUser, startLab, uniqueLogin, type Lab } from '../lab/lab.js';
import { runCli } from '../support/cli.js';
import { writeLabConfig } from '../support/lab-config.js';

const password = 'pw-tnef-1';
const tnef = writeTnef({
  props: [{ tag: TAGS.RTF_COMPRESSED, value: lzfu(htmlInRtf('<html><body><p>Grüße aus Outlook, отчёт anbei</p></body></html>')) }],
  attachments: [
    { title: 'GRSSE~1.PDF', data: Buffer.from('%PDF-1.4 Grüße\n'), props: [{ tag: TAGS.ATTACH_LONG_FILENAME, value: 'Grüße.pdf' }, { tag: TAGS.ATTACH_MIME_TAG, value: 'application/pdf' }] },
    { title: 'OTCHET.DOC', data: Buffer.from('docx bytes'), props: [{ tag: TAGS.ATTACH_LONG_FILENAME, value: 'отчёт.docx' }] },
  ],
});
const rich = outlookMessage(tnef);
const damaged = outlookMessage(Buffer.concat([tnef.subarray(0, 100), Buffer.from('garbled'), tnef.subarray(107)]), {
  headers: 'From: a@example.de\r\nSubject: damaged\r\nDate: Wed, 03 Mar 2021 10:00:00 +0100\r\nMessage-ID: <tnef-damaged@example.de>\r\n',
});
const plain = Buffer.from('From: a@example.de\r\nSubject: plain\r\nDate: Thu, 04 Mar 2021 10:00:00 +0100\r\nMessage-ID: <plain@example.de>\r\n\r\nno TNEF here\r\n');

function client(ep: Lab['source'], user: string): ImapFlow {
  return new ImapFlow({ host: ep.host, port: ep.tlsPort, secure: true, tls: { ca: readFileSync(ep.caFile, 'utf8') }, auth: { user, pass: password }, logger: false });
}

test('Dovecot → Courier with mail.decodeTnef: replace', async () => {
  const lab = await startLab();
  const source = uniqueLogin('tnef');
  const target = uniqueLogin('tnef');
  await addSourceUser(source, password);
  await addTargetUser(target, password);
  const src = client(lab.source, source);
  await src.connect();
  await src.append('INBOX', rich, ['\\Seen'], new Date('2021-03-02T09:00:00Z'));
  await src.append('INBOX', damaged, [], new Date('2021-03-03T09:00:00Z'));
  await src.append('INBOX', plain, [], new Date('2021-03-04T09:00:00Z'));
  await src.logout();
  const { file } = writeLabConfig(lab, { source, target, password }, ['mail:', '  decodeTnef: replace']);

  const r1 = await runCli(['run', '-c', file, '--json']);
  expect(r1.code).toBe(0);
  expect(JSON.parse(r1.stdout)).toMatchObject({ copied: 3, failed: 0 });

  const tgt = client(lab.target, target);
  await tgt.connect();
  await tgt.mailboxOpen('INBOX', { readOnly: true });
  const got = new Map<string, { source: Buffer; flags: Set<string>; internalDate: Date | string | undefined }>();
  for await (const m of tgt.fetch('1:*', { source: true, flags: true, internalDate: true, envelope: true })) {
    got.set(m.envelope?.messageId ?? '', { source: m.source!, flags: m.flags ?? new Set(), internalDate: m.internalDate });
  }
  await tgt.logout();
  expect([...got.keys()].sort()).toEqual(['<plain@example.de>', '<tnef-1@example.de>', '<tnef-damaged@example.de>']);
  expect(got.get('<tnef-damaged@example.de>')?.source).toEqual(damaged);
  expect(got.get('<plain@example.de>')?.source).toEqual(plain);
  const converted = got.get('<tnef-1@example.de>')!;
  expect([...converted.flags]).toEqual(['\\Seen']);
  expect(new Date(converted.internalDate!).toISOString()).toBe('2021-03-02T09:00:00.000Z');
  const p = await simpleParser(converted.source);
  expect([p.subject, p.headers.get('x-custom'), p.text?.trim()]).toEqual(['Grüße', 'kept', 'Hallo, Grüße aus dem Text.']);
  expect(p.html).toBe('<html><body><p>Grüße aus Outlook, отчёт anbei</p></body></html>');
  expect(p.attachments.map((a) => [a.filename, a.content.toString()])).toEqual([['Grüße.pdf', '%PDF-1.4 Grüße\n'], ['отчёт.docx', 'docx bytes']]);

  const problems = await runCli(['status', '-c', file, '--problems', '--json']);
  expect(problems.code).toBe(0);
  const reasons = (JSON.parse(problems.stdout) as { problems: { reason: string }[] }).problems.map((x) => x.reason).sort();
  expect(reasons).toEqual([
    'copied with warnings: TNEF part "winmail.dat" not converted, the message is copied unchanged: damaged TNEF stream: attMsgProps at offset 75 fails its checksum (stored 0x438b, computed 0x44c0)',
    'copied with warnings: converted from TNEF (winmail.dat): HTML body (from RTF) with the plain text part as its text alternative, 2 attachments',
  ].sort());

  const r2 = await runCli(['run', '-c', file, '--json']);
  expect(JSON.parse(r2.stdout)).toMatchObject({ copied: 0, failed: 0, unchangedContainers: 1 });
  const rec = await runCli(['reconcile', '-c', file]);
  expect(rec.stdout).toContain('equal: every source message is in the UMS, flags equal');
  expect(rec.code).toBe(0);
});

test('kopano-tree → Courier with mail.decodeTnef: keep-original', async () => {
  const lab = await startLab();
  const target = uniqueLogin('tneftree');
  await addTargetUser(target, password);
  const { dir, file } = writeLabConfig(lab, { source: target, target, password }, ['mail:', '  decodeTnef: keep-original']);
  const inbox = join(dir, 'export', target, 'Inbox');
  mkdirSync(inbox, { recursive: true });
  writeFileSync(join(inbox, 'AA01.eml'), rich);
  writeFileSync(join(inbox, 'winmail.dat'), tnef);
  // the file source instead of the lab's IMAP source (no source password)
  const yaml = readFileSync(file, 'utf8');
  const source = /^source:\n(?: {2}.*\n)+/m;
  expect(yaml).toMatch(source);
  writeFileSync(file, yaml.replace(source, 'source:\n  type: kopano-tree\n  path: ./export\n').replace(/^ {4}sourcePassword: .*\n/m, ''));

  const r1 = await runCli(['run', '-c', file, '--json']);
  expect([r1.code, r1.stderr]).toEqual([0, expect.any(String)]);
  expect(JSON.parse(r1.stdout)).toMatchObject({ copied: 1, failed: 0, skipped: 1 });
  const tgt = client(lab.target, target);
  await tgt.connect();
  const sources: Buffer[] = [];
  try {
    for (const f of await tgt.list()) {
      const mb = await tgt.mailboxOpen(f.path, { readOnly: true });
      if (mb.exists > 0) for await (const m of tgt.fetch('1:*', { source: true })) sources.push(m.source!);
    }
  } finally {
    await tgt.logout();
  }
  expect(sources).toHaveLength(1);
  const p = await simpleParser(sources[0]!);
  expect([p.subject, p.html]).toEqual(['Grüße', '<html><body><p>Grüße aus Outlook, отчёт anbei</p></body></html>']);
  expect(p.attachments.map((a) => [a.filename, a.contentType])).toEqual([['Grüße.pdf', 'application/pdf'], ['отчёт.docx', expect.any(String)], ['winmail.dat', 'application/ms-tnef']]);
  expect(p.attachments[2]!.content).toEqual(tnef);

  const problems = await runCli(['status', '-c', file, '--problems', '--json']);
  const reasons = (JSON.parse(problems.stdout) as { problems: { itemId: string; status: string; reason: string }[] }).problems.map((x) => [x.itemId, x.status, x.reason]).sort();
  expect(reasons).toEqual([
    ['AA01', 'done', expect.stringMatching(/^copied with warnings: converted from TNEF \(winmail\.dat\): HTML body \(from RTF\) .*, 2 attachments; winmail\.dat kept as an attachment$/)],
    ['winmail.dat', 'skipped', expect.stringMatching(/^Inbox\/winmail\.dat: a TNEF file/)],
  ]);
  const rec = await runCli(['reconcile', '-c', file]);
  expect([rec.code, rec.stdout]).toEqual([0, expect.stringContaining('equal')]);
}, 240_000);
