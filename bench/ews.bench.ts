/**
 * npm run bench:ews — the EWS source against the EWS simulator served over loopback HTTP
 * (real sockets, SOAP parsing, NTLM-free Basic auth) into the in-memory target.
 *
 * Seeds BENCH_EWS_MESSAGES (default 2,000) messages plus the reference calendar, contacts and
 * tasks, runs a full pass, then 20 new messages and 20 read-flag changes and a delta pass.
 * The simulator is not Exchange: the figures show what the connector itself costs (XML, base64,
 * conversions) and that the delta is O(changes) in items read.
 *
 * It runs twice: direct, and through the lab's network-conditions proxy (test/lab/netproxy.ts)
 * adding BENCH_EWS_RTT_MS (default 50) of round-trip time, as a WAN to Exchange Online would, which
 * shows what batching buys (GetItem of many ids, SyncFolderItems pages of up to 512 changes):
 * requests per item and items/s. A line per run, the last one:
 *   bench:ews rtt_ms=T items=N full_s=X items_s=Y requests_per_item=Q delta_s=Z delta_read=R requests_full=A requests_delta=B
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { addMessage } from '../connectors/ews/sim/items.js';
import { mime, seedMailbox } from '../connectors/ews/sim/seed.js';
import { EwsSim } from '../connectors/ews/sim/server.js';
import { EwsSource } from '../connectors/ews/source.js';
import { runJob, type JobOptions } from '../src/engine/job.js';
import { SqliteStateStore } from '../src/state/sqlite.js';
import { MemoryTarget } from '../test/support/memory-connectors.js';
import { startNetProxy } from '../test/lab/netproxy.js';

const N = Number(process.env.BENCH_EWS_MESSAGES ?? 2000);
const CHANGES = 20;
const RTT_MS = Number(process.env.BENCH_EWS_RTT_MS ?? 50);
const log = pino({ level: 'silent' });
const options: JobOptions = {
  filters: { maxMessageSize: 50 * 1024 * 1024 },
  folders: { include: ['**'], exclude: [], rename: [], specialUse: { sent: 'Sent', trash: 'Trash', junk: 'Spam', drafts: 'Drafts', archive: 'Archive' }, invalidCharReplacement: '_' },
  batchSize: 100, writersPerTask: 1, tasks: 4, mailboxes: 1, byteBudget: 32 * 1024 * 1024,
  retry: { attempts: 5, baseDelayMs: 100, maxDelayMs: 2000 },
};

async function run(rttMs: number): Promise<void> {
  const sim = new EwsSim();
  sim.addUser('svc', 'bench', { canImpersonate: true });
  const seeded = seedMailbox(sim, 'bench@example.org', { messages: N });
  const server = await sim.listen();
  const direct = new URL(server.url);
  const proxy = rttMs > 0 ? await startNetProxy({ host: direct.hostname, port: Number(direct.port) }, { rttMs }) : undefined;
  const url = proxy ? Object.assign(new URL(server.url), { port: String(proxy.port) }).toString() : server.url;
  const dir = mkdtempSync(join(tmpdir(), 'bench-ews-'));
  const store = new SqliteStateStore(join(dir, 'state.sqlite'));
  await store.migrate();
  const src = new EwsSource({
    url, auth: { mode: 'basic', username: 'svc', password: 'bench' }, impersonation: true, tlsVerify: true, version: 'Exchange2013_SP1',
    maxConcurrent: 8, retry: options.retry, maxBackoffMs: 5000, timeoutMs: 60_000,
  }, log, 4);
  const tgt = new MemoryTarget();
  const jobs = [{ source: { login: 'bench@example.org' }, target: { login: 'bench@example.org' } }];
  try {
    const t0 = process.hrtime.bigint();
    const full = await runJob({ store, sources: src, targets: tgt, log }, jobs, options);
    const fullS = Number(process.hrtime.bigint() - t0) / 1e9;
    const requestsFull = sim.requests.length;
    if (full.failed > 0 || full.failedMailboxes > 0) throw new Error(`full pass: ${full.failed} failed items, ${full.failedMailboxes} failed mailboxes`);
    for (let i = 0; i < CHANGES; i++) addMessage(sim.store, 'bench@example.org', seeded.folders.inbox, { mime: mime(N + i) });
    for (const m of seeded.messages.filter((x) => x.fields.get('IsRead')?.includes('false')).slice(0, CHANGES)) {
      sim.store.updateItem('bench@example.org', m.id, { IsRead: '<t:IsRead>true</t:IsRead>' }, { readOnly: true });
    }
    const t1 = process.hrtime.bigint();
    const delta = await runJob({ store, sources: src, targets: tgt, log }, jobs, options);
    const deltaS = Number(process.hrtime.bigint() - t1) / 1e9;
    const getItems = sim.requests.slice(requestsFull).filter((q) => q.operation === 'GetItem').length;
    if (delta.copied !== CHANGES || delta.flagsUpdated !== CHANGES) throw new Error(`delta copied ${delta.copied}, flags ${delta.flagsUpdated} (expected ${CHANGES} each)`);
    process.stdout.write(`full: ${full.copied} items in ${fullS.toFixed(2)} s; delta: ${delta.copied} new + ${delta.flagsUpdated} flag changes in ${deltaS.toFixed(2)} s (${getItems} GetItem requests)\n`);
    process.stdout.write(`bench:ews rtt_ms=${rttMs} items=${full.copied} full_s=${fullS.toFixed(2)} items_s=${(full.copied / fullS).toFixed(1)} `
      + `requests_per_item=${(requestsFull / Math.max(1, full.copied)).toFixed(3)} delta_s=${deltaS.toFixed(2)} `
      + `delta_read=${delta.copied} requests_full=${requestsFull} requests_delta=${sim.requests.length - requestsFull}\n`);
  } finally {
    await src.close();
    await store.close();
    await proxy?.close();
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

for (const rtt of RTT_MS > 0 ? [0, RTT_MS] : [0]) await run(rtt);
