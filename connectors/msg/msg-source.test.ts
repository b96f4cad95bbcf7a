/**
 * The .msg source driven by the engine into the in-memory target: every .msg fixture (and a file
 * that is not one) in a mailbox tree; each readable file copied once, the bad one failing alone
 * with its name, and a re-run copying nothing. Needs the shared fixtures (UMS_FIXTURES_DIR).
 */
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { runJob, type JobOptions } from '../../src/engine/job.js';
import { SqliteStateStore } from '../../src/state/sqlite.js';
import { MemoryTarget } from '../../test/support/memory-connectors.js';
import { fixturesDir } from '../pst/readpst-oracle.js';
import { MsgSource } from './index.js';

const log = pino({ level: 'silent' });
const fixtures = join(fixturesDir(), 'pst', 'msg');
const options: JobOptions = {
  filters: { maxMessageSize: 50 * 1024 * 1024 },
  folders: { include: ['**'], exclude: [], rename: [], specialUse: { sent: 'Sent', trash: 'Trash', junk: 'Spam', drafts: 'Drafts', archive: 'Archive' }, invalidCharReplacement: '_' },
  batchSize: 3, writersPerTask: 2, tasks: 2, mailboxes: 1, byteBudget: 8 * 1024 * 1024,
  retry: { attempts: 2, baseDelayMs: 1, maxDelayMs: 2 },
};

describe('.msg source through the engine', () => {
  if (!existsSync(fixtures)) {
    test('prerequisites', () => { throw new Error(`.msg fixtures not found at ${fixtures} (set UMS_FIXTURES_DIR)`); });
    return;
  }
  let dir: string;
  let store: SqliteStateStore;
  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'ums-msg-'));
    const names = readdirSync(fixtures).filter((n) => n.endsWith('.msg')).sort();
    mkdirSync(join(dir, 'alice', 'Projekte', 'Termine'), { recursive: true });
    names.forEach((n, i) => symlinkSync(join(fixtures, n), join(dir, 'alice', ...(i % 2 ? ['Projekte', 'Termine'] : []), n)));
    writeFileSync(join(dir, 'alice', 'broken.msg'), 'this is not an OLE compound file');
    store = new SqliteStateStore(join(dir, 'state.sqlite'));
    await store.migrate();
  });
  afterEach(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  test('every readable file once, the broken one failing alone by name; a re-run copies nothing', async () => {
    const total = readdirSync(fixtures).filter((n) => n.endsWith('.msg')).length;
    const tgt = new MemoryTarget();
    const source = new MsgSource({ directory: dir, folders: '{login}' }, log);
    const job = [{ source: { login: 'alice' }, target: { login: 'alice' } }];
    const r1 = await runJob({ store, sources: source, targets: tgt, log }, job, options);
    expect(r1.copied).toBe(total);
    expect(r1.failed).toBe(1);
    expect([...tgt.folders.keys()].sort()).toEqual(['INBOX', 'INBOX.Projekte.Termine']);
    const failed = await store.failedItems((await store.mailboxId({ source: 'alice', target: 'alice' })), '.', 'msg-1');
    expect(failed).toEqual(['broken.msg']);
    const r2 = await runJob({ store, sources: source, targets: tgt, log }, job, options);
    expect(r2.copied).toBe(0);
    expect([...tgt.folders.values()].flatMap((f) => f.messages)).toHaveLength(total);
  });
});
