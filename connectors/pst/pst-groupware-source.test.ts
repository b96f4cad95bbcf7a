/**
 * The PST source's calendar and contact folders through the engine (runJob) into the in-memory
 * target: off by default (skipped, the warning says how to turn it on); with `groupware: true`
 * every appointment, contact and distribution list arrives once as iCalendar / vCard that ical.js
 * parses, and a re-run copies nothing; an appointment whose recurrence cannot be read fails alone,
 * named by file, folder and node.
 *
 * Needs the shared fixtures (UMS_FIXTURES_DIR); without them the tests fail saying so, unless
 * UMS_SKIP_ORACLE=1.
 */
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import ICAL from 'ical.js';
import pino from 'pino';
import { PSTUtil } from 'pst-extractor/dist/PSTUtil.class.js';
import { runJob, type JobOptions } from '../../src/engine/job.js';
import { SqliteStateStore } from '../../src/state/sqlite.js';
import { MemoryTarget } from '../../test/support/memory-connectors.js';
import { blocks, resealBlock, type BlockRef } from './fixture-edit.js';
import { PstSource } from './index.js';
import { openPst } from './pst-reader.js';
import { fixturesDir, fixturesUnavailable, oracleSkipped } from './readpst-oracle.js';

const maybe = oracleSkipped() ? describe.skip : describe;
const problem = fixturesUnavailable();
const log = pino({ level: 'silent' });

const options: JobOptions = {
  filters: { maxMessageSize: 50 * 1024 * 1024 },
  folders: { include: ['**'], exclude: [], rename: [], specialUse: { sent: 'Sent', trash: 'Trash', junk: 'Spam', drafts: 'Drafts', archive: 'Archive' }, invalidCharReplacement: '_' },
  batchSize: 4, writersPerTask: 2, tasks: 2, mailboxes: 1, byteBudget: 8 * 1024 * 1024,
  retry: { attempts: 2, baseDelayMs: 1, maxDelayMs: 2 },
};

const FILES = { 'outlook.pst': 'unicode/aspose-Outlook.pst', 'dist-list.pst': 'unicode/java-libpst-dist-list.pst', 'contacts.pst': 'unicode/aspose-SampleContacts.pst' };

/** Items in the calendar, contact and task folders of the files, counted with the reader. */
async function groupwareCount(files: string[]): Promise<number> {
  let n = 0;
  for (const file of files) {
    const r = await openPst(file);
    try {
      for await (const f of r.folders()) if (/^IPF\.(Appointment|Contact|Task)/i.test(f.containerClass)) n += f.count;
    } finally {
      r.close();
    }
  }
  return n;
}

maybe('PST calendars and contacts through the engine', () => {
  if (problem) {
    test('prerequisites', () => { throw new Error(problem); });
    return;
  }
  let dir: string;
  let store: SqliteStateStore;
  const job = [{ source: { login: 'alice' }, target: { login: 'alice@ums.example' } }];
  const source = (groupware?: boolean) => new PstSource({ directory: join(dir, 'pst'), files: '{login}/*.pst', groupware }, log);

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'ums-pstgw-'));
    mkdirSync(join(dir, 'pst', 'alice'), { recursive: true });
    for (const [name, rel] of Object.entries(FILES)) copyFileSync(join(fixturesDir(), 'pst', rel), join(dir, 'pst', 'alice', name));
    store = new SqliteStateStore(join(dir, 'state.sqlite'));
    await store.migrate();
  });
  afterEach(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  test('off by default: calendar and contact folders are skipped, the warning says how to enable them', async () => {
    const tgt = new MemoryTarget();
    const r = await runJob({ store, sources: source(), targets: tgt, log }, job, options);
    expect(r.failed).toBe(0);
    expect(r.mailboxes[0]!.warnings.join('\n')).toMatch(/"Calendar" not migrated: IPF\.Appointment folder \(calendar\): not migrated; set "groupware: true" in the pst source config/);
    expect([...tgt.folders.keys()].filter((k) => /Calendar|Contacts/.test(k))).toEqual([]);
  });

  test('with groupware on: each item once as iCalendar / vCard, a re-run copies nothing', async () => {
    const expected = await groupwareCount(Object.values(FILES).map((rel) => join(fixturesDir(), 'pst', rel)));
    expect(expected).toBe(11);
    const tgt = new MemoryTarget();
    const r1 = await runJob({ store, sources: source(true), targets: tgt, log }, job, options);
    expect(r1.failed).toBe(0);
    const calendar = tgt.folders.get('calendar:Calendar')!.messages;
    const contacts = tgt.folders.get('addressbook:Contacts')!.messages;
    expect(calendar.length + contacts.length).toBe(expected);
    expect(calendar).toHaveLength(2);
    const events = calendar.map((m) => new ICAL.Component(ICAL.parse(m.content.toString('utf8'))));
    expect(events.map((c) => c.getFirstSubcomponent('vevent')!.getFirstPropertyValue('summary')).sort()).toEqual(['Test appointment', 'Weekly meeting']);
    const cards = contacts.map((m) => new ICAL.Component(ICAL.parse(m.content.toString('utf8'))));
    expect(cards.every((c) => c.name === 'vcard' && c.getFirstPropertyValue('uid'))).toBe(true);
    expect(new Set(cards.map((c) => c.getFirstPropertyValue('uid'))).size).toBe(cards.length);
    expect(cards.filter((c) => c.getFirstPropertyValue('x-addressbookserver-kind') === 'group')).toHaveLength(1);
    expect(r1.mailboxes[0]!.warnings.join('\n')).not.toMatch(/"(Calendar|Contacts)" not migrated/);

    const r2 = await runJob({ store, sources: source(true), targets: tgt, log }, job, options);
    expect(r2.copied).toBe(0);
    expect(r2.failed).toBe(0);
    expect(tgt.folders.get('calendar:Calendar')!.messages.length + tgt.folders.get('addressbook:Contacts')!.messages.length).toBe(expected);
  });

  test('an appointment whose recurrence pattern is damaged fails alone, naming file, folder, node and reason', async () => {
    // a copy with every PidLidAppointmentRecur's header overwritten (the file uses PST's
    // "compressible" byte substitution, so the bytes are searched and written encoded)
    const data = readFileSync(join(fixturesDir(), 'pst', 'unicode/java-libpst-dist-list.pst'));
    const table = (PSTUtil as unknown as { compEnc: number[] }).compEnc;
    const encode = (bytes: number[]) => Buffer.from(bytes.map((b) => table.indexOf(b)));
    const signature = encode([0x04, 0x30, 0x04, 0x30]);
    let hits = 0;
    const touched = new Set<BlockRef>();
    const all = [...blocks(data).values()];
    for (let at = data.indexOf(signature); at >= 0; at = data.indexOf(signature, at + 1), hits++) {
      encode(Array(12).fill(0)).copy(data, at + 4);
      const block = all.find((b) => b.ib <= at && at < b.ib + b.cb);
      if (block) touched.add(block); // (else a stale copy in free space)
    }
    expect(hits).toBeGreaterThan(0);
    // the blob is wrong, not the blocks: their CRCs are made to agree, so the mapping meets the damage
    for (const b of touched) resealBlock(data, b);
    mkdirSync(join(dir, 'pst', 'bob'));
    writeFileSync(join(dir, 'pst', 'bob', 'damaged.pst'), data);
    const reasons: string[] = [];
    const tgt = new MemoryTarget();
    const r = await runJob({
      store, sources: source(true), targets: tgt, log,
      onEvent: (e) => { if (e.type === 'item' && e.status === 'failed') reasons.push(e.reason ?? ''); },
    }, [{ source: { login: 'bob' }, target: { login: 'bob' } }], options);
    expect(r.failed).toBe(1);
    expect(reasons).toEqual([expect.stringMatching(/bob\/damaged\.pst: node \d+ \(0x[0-9a-f]+\) in folder \/Calendar: IPM\.Appointment: unreadable recurrence blob/)]);
    expect(tgt.folders.get('addressbook:Contacts')!.messages).toHaveLength(2);
  });
});
