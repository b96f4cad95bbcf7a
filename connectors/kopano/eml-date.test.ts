import { mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { emlInternalDate } from './eml-date.js';
import { KopanoTreeSource } from './tree-source.js';

const mtime = new Date('2023-06-30T12:00:00Z');
const h = (...lines: string[]) => Buffer.from(`${lines.join('\r\n')}\r\n\r\n`);
const received = [
  // the topmost: the delivering server, the last hop
  'Received: from mx.example.org (mx.example.org [192.0.2.1])\r\n\tby mail.example.net (Postfix) with ESMTPS id 4Q1;\r\n\tMon, 13 Jan 2020 18:02:10 +0100 (CET)',
  'Received: from submit.example.org by mx.example.org; Mon, 13 Jan 2020 09:00:00 -0800',
];

describe('INTERNALDATE of an .eml from the best evidence', () => {
  test('the Date header first', () => {
    expect(emlInternalDate(h('Date: Tue, 14 Jan 2020 09:14:55 +0100', ...received), mtime)).toEqual({ date: new Date('2020-01-14T08:14:55Z'), from: 'Date' });
  });

  test('no Date: the topmost Received header (the delivering hop), folded, with a zone comment', () => {
    expect(emlInternalDate(h('Subject: x', ...received), mtime)).toEqual({ date: new Date('2020-01-13T17:02:10Z'), from: 'Received' });
  });

  test('an unreadable Date, and a topmost Received without a date: the next Received down', () => {
    const r = emlInternalDate(h('Date: sometime last week', 'Received: from a by b with LMTP', received[1]!), mtime);
    expect(r).toEqual({ date: new Date('2020-01-13T17:00:00Z'), from: 'Received' });
  });

  test('no Date and no Received: the file\'s modification time, never the time of the copy', () => {
    expect(emlInternalDate(h('Subject: x', 'Received: by localhost; not a date'), mtime)).toEqual({ date: mtime, from: 'mtime' });
  });
});

describe('kopano-tree uses it', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'ums-eml-date-'));
    const inbox = join(dir, 'u', 'Inbox');
    mkdirSync(inbox, { recursive: true });
    writeFileSync(join(inbox, 'A.eml'), h('Subject: a', ...received, '', 'body'));
    writeFileSync(join(inbox, 'B.eml'), h('Subject: b', '', 'body'));
    utimesSync(join(inbox, 'B.eml'), mtime, mtime);
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  test('a message without Date gets the Received date, one without either the file\'s mtime', async () => {
    const mb = await new KopanoTreeSource(dir, pino({ level: 'silent' })).openMailbox({ login: 'u' });
    const [inbox] = await mb.containers();
    const page = await mb.changes(inbox!, null, 10);
    // listed in the order the files arrived, whatever their mtime
    expect(page.items.map((i) => [i.id, i.internalDate?.toISOString()])).toEqual([['A', '2020-01-13T17:02:10.000Z'], ['B', mtime.toISOString()]]);
  });
});
