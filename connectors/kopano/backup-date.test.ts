/**
 * INTERNALDATE of kopano-backup mails without a delivery time, on generated backups: each item
 * carries one piece of evidence fewer than the one before, and each is dated by the best it has —
 * delivery, submit, the Date / topmost Received of its transport headers, creation, last
 * modification, the time the backup wrote its items file — never by the time of the copy.
 */
import { existsSync, utimesSync } from 'node:fs';
import { join } from 'node:path';
import pino from 'pino';
import { simpleParser } from 'mailparser';
import { runJob } from '../../src/engine/job.js';
import { testJobOptions, useTempStateStore } from '../../test/support/engine-setup.js';
import { MemoryTarget } from '../../test/support/memory-connectors.js';
import { KopanoBackupSource } from './index.js';
import { DB_LOAD, PYTHON, prerequisiteMissing, writeKopanoBackup, type GenMail } from './test-support.js';

const log = pino({ level: 'silent' });

describe('kopano-backup INTERNALDATE from the best evidence', () => {
  if (!DB_LOAD || !existsSync(PYTHON)) {
    prerequisiteMissing('needs db5.3_load (db5.3-util) and /usr/bin/python3');
    return;
  }
  const t = useTempStateStore('ums-kopano-date');
  const STORED = new Date('2024-05-01T12:00:00Z');
  const RECEIVED = 'Received: from mx by kopano; Mon, 13 Jan 2020 18:02:10 +0100\r\nReceived: from a by mx; Mon, 13 Jan 2020 09:00:00 -0800\r\n';
  const none = { submit: null, delivery: null };
  const cases: [string, Partial<GenMail>, string][] = [
    ['delivered', { times: { creation: '2020-03-01T00:00:00' } }, '2024-04-01T10:00:05.000Z'],
    ['submitted', { times: { delivery: null, creation: '2020-03-01T00:00:00' } }, '2024-04-01T10:00:00.000Z'],
    ['header-date', { times: { ...none, creation: '2020-03-01T00:00:00' }, headers: `Date: Thu, 30 Jan 2020 08:00:00 +0100\r\n${RECEIVED}` }, '2020-01-30T07:00:00.000Z'],
    ['header-received', { times: { ...none, creation: '2020-03-01T00:00:00' }, headers: RECEIVED }, '2020-01-13T17:02:10.000Z'],
    ['created', { times: { ...none, creation: '2020-03-01T00:00:00', modified: '2020-04-01T00:00:00' } }, '2020-03-01T00:00:00.000Z'],
    ['modified', { times: { ...none, modified: '2020-04-01T00:00:00' } }, '2020-04-01T00:00:00.000Z'],
    ['nothing', { times: none }, STORED.toISOString()],
  ];

  it('each mail is dated by the best evidence it carries, down to when the backup wrote it', async () => {
    const root = join(t.dir, 'backup');
    const mails = cases.map(([subject, extra], i): GenMail => ({ sourcekey: `0102030405060708090A0B0C0D0E0F10${(i + 1).toString(16).padStart(2, '0').toUpperCase()}00000000`, subject, body: 'b\r\n', from: 'a@example.org', ...extra }));
    writeKopanoBackup(join(root, 'u'), 'u', [{ sourcekey: 'AA01', path: 'Inbox', containerClass: 'IPF.Note', mails }]);
    utimesSync(join(root, 'u', 'folders', 'AA01', 'items'), STORED, STORED);
    const tgt = new MemoryTarget();
    const r = await runJob({ store: t.store, sources: new KopanoBackupSource(root, log), targets: tgt, log }, [{ source: { login: 'u' }, target: { login: 'u' } }], testJobOptions());
    expect([r.copied, r.failed]).toEqual([cases.length, 0]);
    const got = await Promise.all([...tgt.folders.values()].flatMap((f) => f.messages).map(async (m) => [(await simpleParser(m.content)).subject, m.internalDate.toISOString()]));
    expect(got.sort()).toEqual(cases.map(([subject, , iso]) => [subject, iso]).sort());
  });
});
