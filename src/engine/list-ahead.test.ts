/**
 * Listing ahead: with a source that allows it (`listsAhead`), the next page is listed while the
 * current one is still being written; without it, only after the page is committed. Either way
 * every message arrives exactly once.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import type { ItemContent } from '../model/types.js';
import { MemorySource, MemoryTarget } from '../../test/support/memory-connectors.js';
import { SqliteStateStore } from '../state/sqlite.js';
import { runJob, type JobOptions } from './job.js';

const options: JobOptions = {
  filters: { maxMessageSize: 1024 * 1024 },
  folders: { include: ['**'], exclude: [], rename: [], specialUse: { sent: 'Sent', trash: 'Trash', junk: 'Spam', drafts: 'Drafts', archive: 'Archive' }, invalidCharReplacement: '_' },
  batchSize: 3, writersPerTask: 1, tasks: 1, mailboxes: 1, byteBudget: 1024 * 1024,
  retry: { attempts: 2, baseDelayMs: 1, maxDelayMs: 5 },
};

/** Records listings and writes; the last write of each page waits (up to a bound) for the next page's listing. */
class TracingSource extends MemorySource {
  readonly events: string[] = [];
  listed = new Set<string>();
  constructor(readonly listsAhead: boolean) { super(); }
  override async changes(...args: Parameters<MemorySource['changes']>) {
    this.events.push(`list after ${args[1] ?? 0}`);
    this.listed.add(args[1] ?? '0');
    return super.changes(...args);
  }
}

class WaitingTarget extends MemoryTarget {
  constructor(private readonly src: TracingSource) { super(); }
  override async put(ref: string, item: ItemContent) {
    const uid = item.meta.id;
    if (Number(uid) % 3 === 0) {
      // Last item of a page: give a listing ahead the chance to show up (bounded: never hangs).
      for (let i = 0; i < 100 && !this.src.listed.has(uid); i++) await new Promise((r) => setTimeout(r, 5));
    }
    const r = await super.put(ref, item);
    this.src.events.push(`wrote ${uid}`);
    return r;
  }
}

let dir: string;
let store: SqliteStateStore;
beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'ums-listahead-'));
  store = new SqliteStateStore(join(dir, 'state.sqlite'));
  await store.migrate();
});
afterEach(async () => {
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

test.each([true, false])('listsAhead %p: when the next page is listed; all copied once', async (ahead) => {
  const src = new TracingSource(ahead);
  for (let i = 1; i <= 9; i++) src.add(['INBOX'], `Message-ID: <m${i}@x>\r\n\r\nbody ${i}\r\n`, { messageId: `<m${i}@x>` });
  const tgt = new WaitingTarget(src);
  const r = await runJob({ store, sources: src, targets: tgt, log: pino({ level: 'silent' }) }, [{ source: { login: 'a' }, target: { login: 'a' } }], options);
  expect(r.copied).toBe(9);
  expect(tgt.folders.get('INBOX')?.messages.map((m) => m.content.toString().match(/body (\d)/)?.[1])).toEqual(['1', '2', '3', '4', '5', '6', '7', '8', '9']);
  const at = (e: string) => src.events.indexOf(e);
  expect(at('list after 3')).toBeGreaterThan(-1);
  if (ahead) {
    expect(at('list after 3')).toBeLessThan(at('wrote 3'));
    expect(at('list after 6')).toBeLessThan(at('wrote 6'));
  } else {
    expect(at('list after 3')).toBeGreaterThan(at('wrote 3'));
  }
  expect(src.events.filter((e) => e.startsWith('list'))).toEqual(['list after 0', 'list after 3', 'list after 6']);
});
