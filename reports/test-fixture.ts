/**
 * Test support (not a test): a real SqliteStateStore in a temp dir, filled through its public
 * methods the way the engine fills it, with six mailboxes in three batches:
 *
 *   mailbox                          folders                            state
 *   alice@example.com                INBOX 100/100, Sent 20/20 (done)   done
 *   bob@example.com                  INBOX 30/50 + 2 failed (running)   failed (items failed)
 *   carol@other.org                  INBOX 10/40 (running)              running
 *   dave@other.org                   INBOX 0/25 (pending)               pending
 *   erin@other.org                   Archive 0/10 (failed)              failed (folder failed)
 *   =HYPERLINK("http://x","y")<b>@evil.test   INBOX 4/5 + 1 skipped (done)       done
 *
 * Every item of a folder has the same size: bytes / items.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SqliteStateStore } from '../src/state/sqlite.js';
import type { ContainerStatus, ItemResult } from '../src/state/store.js';
import type { ProgressReportInput } from './model.js';

export const HOSTILE = '=HYPERLINK("http://x","y")<b>@evil.test';

interface FolderSpec {
  id: string;
  total: number;
  bytes: number;
  done: number;
  failed?: number;
  skipped?: number;
  status: ContainerStatus;
  error?: string;
  reason?: string;
}

export const FIXTURE: { source: string; target: string; folders: FolderSpec[] }[] = [
  { source: 'alice@example.com', target: 'alice@ums.example', folders: [
    { id: 'INBOX', total: 100, bytes: 1_000_000, done: 100, status: 'done' },
    { id: 'Sent', total: 20, bytes: 200_000, done: 20, status: 'done' },
  ] },
  { source: 'bob@example.com', target: 'bob@ums.example', folders: [
    { id: 'INBOX', total: 50, bytes: 500_000, done: 30, failed: 2, status: 'running', reason: 'NO [OVERQUOTA] Mailbox is full for bob@ums.example' },
  ] },
  { source: 'carol@other.org', target: 'carol@other.org', folders: [{ id: 'INBOX', total: 40, bytes: 400_000, done: 10, status: 'running' }] },
  { source: 'dave@other.org', target: 'dave@other.org', folders: [{ id: 'INBOX', total: 25, bytes: 250_000, done: 0, status: 'pending' }] },
  { source: 'erin@other.org', target: 'erin@other.org', folders: [
    { id: 'Archive', total: 10, bytes: 100_000, done: 0, status: 'failed', error: 'connection lost' },
  ] },
  { source: HOSTILE, target: 'evil@ums.example', folders: [
    { id: 'INBOX', total: 5, bytes: 50_000, done: 4, skipped: 1, status: 'done', reason: 'larger than filters.maxMessageSize' },
  ] },
];

/** Fills a new store (waiting `pauseMs` after each batch, to spread the writes over time); returns it with a cleanup. */
export async function fixtureStore(opts: { pauseMs?: number } = {}): Promise<{ store: SqliteStateStore; dir: string; path: string; cleanup: () => Promise<void> }> {
  const dir = mkdtempSync(join(tmpdir(), 'ums-report-'));
  const path = join(dir, 'state.sqlite');
  const store = new SqliteStateStore(path);
  await store.migrate();
  for (const m of FIXTURE) {
    const mb = await store.mailboxId({ source: m.source, target: m.target });
    for (const f of m.folders) {
      const targetRef = f.id === 'INBOX' ? 'INBOX' : `INBOX.${f.id}`;
      await store.openContainer(mb, f.id, f.id, targetRef);
      await store.setContainerTotals(mb, f.id, { items: f.total, bytes: f.bytes });
      const size = f.bytes / f.total;
      const n = f.done + (f.failed ?? 0) + (f.skipped ?? 0);
      if (n > 0) {
        await store.setContainerStatus(mb, f.id, 'running');
        const results = Array.from({ length: n }, (_, i): ItemResult => {
          const itemId = String(i + 1);
          if (i < f.done) return { itemId, status: 'done', size, targetRef, targetEpoch: '7', targetId: itemId, hash: `h${itemId}` };
          if (i < f.done + (f.failed ?? 0)) return { itemId, status: 'failed', size, reason: f.reason };
          return { itemId, status: 'skipped', size, reason: f.reason };
        });
        await commitItems(store, mb, f.id, targetRef, results, opts.pauseMs);
      }
      if (f.status !== 'pending') await store.setContainerStatus(mb, f.id, f.status, f.error);
    }
  }
  return { store, dir, path, cleanup: async () => { await store.close(); rmSync(dir, { recursive: true, force: true }); } };
}

/**
 * Writes final rows for items of a container the way the engine does: in two batches, each first
 * recorded pending, then committed with the checkpoint (waiting `pauseMs` after each).
 */
export async function commitItems(store: SqliteStateStore, mb: number, containerId: string, targetRef: string, results: ItemResult[], pauseMs?: number): Promise<void> {
  const half = Math.ceil(results.length / 2);
  for (const batch of [results.slice(0, half), results.slice(half)]) {
    if (batch.length === 0) continue;
    await store.recordPending(mb, containerId, batch.map((r) => ({
      itemId: r.itemId, epoch: '1', size: r.size, internalDate: null, messageId: `<${r.itemId}@x>`, targetRef, watermark: '1:1',
    })));
    await store.commitBatch(mb, containerId, batch, { epoch: '1', cursor: batch.at(-1)?.itemId ?? null, scope: 'before=;since=', token: null, targetRef });
    if (pauseMs) await new Promise((r) => setTimeout(r, pauseMs));
  }
}

/** What `report` reads from a store (per-second throughput, as the command does). */
export async function readInput(store: SqliteStateStore, generatedAt: Date): Promise<ProgressReportInput> {
  return {
    generatedAt,
    mailboxes: await store.mailboxes(),
    containers: await store.containers(),
    problems: await store.problems(),
    throughput: await store.throughput(1),
    bucketSeconds: 1,
  };
}
