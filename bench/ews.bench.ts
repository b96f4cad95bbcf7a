/**
 * npm run bench:ews — the EWS source against the EWS simulator served over loopback HTTP
 * (real sockets, SOAP parsing, NTLM-free Basic auth) into the in-memory target.
 *
 * Seeds BENCH_EWS_MESSAGES (default 2,000) messages plus the reference calendar, contacts and
 * tasks, runs a full pass, then 20 new messages and 20 read-flag changes and a delta pass.
 * The simulator is not Exchange: the figures show what the connector itself costs (XML, base64,
 * conversions) and that the delta is O(changes) in items read. Last line:
 *   bench:ews items=N full_s=X items_s=Y delta_s=Z delta_read=R requests_full=A requests_delta=B
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

const N = Number(process.env.BENCH_EWS_MESSAGES ?? 2000);
const CHANGES = 20;
const log = pino({ level: 'silent' });
const options: JobOptions = {
  filters: { maxMessageSize: 50 * 1024 * 1024 },
  folders: { include: ['**'], exclude: [], rename: [], specialUse: { sent: 'Sent', trash: 'Trash', junk: 'Spam', drafts: 'Drafts', archive: 'Archive' }, invalidCharReplacement: '_' },
  batchSize: 100, writersPerTask: 1, tasks: 4, mailboxes: 1, byteBudget: 32 * 1024 * 1024,
  retry: { attempts: 5, baseDelayMs: 100, maxDelayMs: 2000 },
};

async function main(): Promise<void> {
  const sim = new EwsSim();
  sim.addUser('svc', 'bench', { canImpersonate: true });
  const seeded = seedMailbox(sim, 'bench@example.org', { messages: N });
  const server = await sim.listen();
  const dir = mkdtempSync(join(tmpdir(), 'bench-ews-'));
  const store = new SqliteStateStore(join(dir, 'state.sqlite'));
  await store.migrate();
  const src = new EwsSource({
    url: server.url, auth: { mode: 'basic', username: 'svc', password: 'bench' }, impersonation: true, tlsVerify: true, version: 'Exchange2013_SP1',
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
    process.stdout.write(`bench:ews items=${full.copied} full_s=${fullS.toFixed(2)} items_s=${(full.copied / fullS).toFixed(1)} delta_s=${deltaS.toFixed(2)} `
      + `delta_read=${delta.copied} requests_full=${requestsFull} requests_delta=${sim.requests.length - requestsFull}\n`);
  } finally {
    await src.close();
    await store.close();
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
