/**
 * INTERNALDATE of .msg files without a delivery time, on generated files (test-msg.ts) through
 * the engine: each file carries one more piece of evidence than the next, and each must be dated
 * by the best it has — delivery time, submit time, the Date / topmost Received of its transport
 * headers, creation time, last modification time, the file's mtime — never by the time of the copy.
 */
import { mkdirSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import pino from 'pino';
import { runJob } from '../../src/engine/job.js';
import { testJobOptions, useTempStateStore } from '../../test/support/engine-setup.js';
import { MemoryTarget } from '../../test/support/memory-connectors.js';
import { MsgSource } from './index.js';
import { generateMsg, type GenMsg } from './test-msg.js';

const log = pino({ level: 'silent' });
const t = useTempStateStore('ums-msg-date');
const MTIME = new Date('2021-03-04T05:06:07Z');
const RECEIVED = 'Received: from mx.example.org by mail.example.net; Mon, 13 Jan 2020 18:02:10 +0100\r\nReceived: from a by mx.example.org; Mon, 13 Jan 2020 09:00:00 -0800\r\n';
const files: [string, GenMsg, string][] = [
  ['delivered', { delivered: new Date('2020-02-01T08:00:00Z'), submitted: new Date('2020-01-31T08:00:00Z'), transportHeaders: 'Date: Thu, 30 Jan 2020 08:00:00 +0000\r\n', created: new Date('2020-03-01T00:00:00Z') }, '2020-02-01T08:00:00.000Z'],
  ['submitted', { submitted: new Date('2020-01-31T08:00:00Z'), transportHeaders: 'Date: Thu, 30 Jan 2020 08:00:00 +0000\r\n', created: new Date('2020-03-01T00:00:00Z') }, '2020-01-31T08:00:00.000Z'],
  ['header-date', { transportHeaders: `Date: Thu, 30 Jan 2020 08:00:00 +0100\r\n${RECEIVED}`, created: new Date('2020-03-01T00:00:00Z') }, '2020-01-30T07:00:00.000Z'],
  ['header-received', { transportHeaders: RECEIVED, created: new Date('2020-03-01T00:00:00Z') }, '2020-01-13T17:02:10.000Z'],
  ['created', { transportHeaders: 'X-Note: no dates here\r\n', created: new Date('2020-03-01T00:00:00Z'), modified: new Date('2020-04-01T00:00:00Z') }, '2020-03-01T00:00:00.000Z'],
  ['modified', { modified: new Date('2020-04-01T00:00:00Z') }, '2020-04-01T00:00:00.000Z'],
  ['nothing', {}, MTIME.toISOString()],
  ['zero-times', { submitted: new Date(Date.UTC(1601, 0, 1)), created: new Date(Date.UTC(4501, 0, 1)) }, MTIME.toISOString()],
];

test('each .msg file is dated by the best evidence it carries, down to the file\'s mtime', async () => {
  const root = join(t.dir, 'alice');
  mkdirSync(root, { recursive: true });
  for (const [name, spec] of files) {
    writeFileSync(join(root, `${name}.msg`), generateMsg({ subject: name, body: `body of ${name}`, ...spec }));
    utimesSync(join(root, `${name}.msg`), MTIME, MTIME);
  }
  const tgt = new MemoryTarget();
  const before = Date.now();
  const r = await runJob({ store: t.store, sources: new MsgSource({ directory: t.dir, folders: '{login}' }, log), targets: tgt, log }, [{ source: { login: 'alice' }, target: { login: 'alice' } }], testJobOptions());
  expect([r.copied, r.failed]).toEqual([files.length, 0]);
  const got = tgt.folders.get('INBOX')!.messages.map((m) => [/^Subject: (.*)$/m.exec(m.content.toString('utf8'))?.[1]?.trim(), m.internalDate.toISOString()]);
  expect(got.sort()).toEqual(files.map(([name, , iso]) => [name, iso]).sort());
  expect(tgt.folders.get('INBOX')!.messages.every((m) => m.internalDate.getTime() < before)).toBe(true);
});
