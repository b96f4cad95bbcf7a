/**
 * Faults on the network path, through the lab's proxy (test/lab/netproxy.ts) in front of both real
 * servers (Dovecot as the source, Courier as the UMS): connection resets at random byte offsets in
 * FETCH responses and in APPEND literals, a clean close in the middle of a literal, and stalls
 * longer than the connection timeout on both sides (a FETCH answer that never comes, an APPEND whose
 * tagged OK never comes: its outcome unknown). The run never hangs, and ends with every message
 * exactly once on the UMS; a second run copies nothing. The offsets come from a seed printed on
 * failure, so a failing draw can be replayed (UMS_FAULT_SEED).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { generateCorpus, seedSource } from '../lab/corpus.js';
import { addSourceUser, addTargetUser, startLab, uniqueLogin, type Lab } from '../lab/lab.js';
import { startNetProxy, type NetFault, type NetProxy } from '../lab/netproxy.js';
import { spawnCli } from '../support/cli.js';
import { writeLabConfig } from '../support/lab-config.js';
import { expectExactlyOnce } from '../support/mailbox-snapshot.js';
import { seededRandom } from '../../src/util/seeded-random.js';

const TIMEOUT_SECONDS = 5;
/** The run is killed (and the test fails) after this long: a hang, not a slow run. */
const HANG_MS = 240_000;

let lab: Lab;
const proxies: NetProxy[] = [];
afterAll(async () => { for (const p of proxies) await p.close(); });

test('resets, a close mid-literal and stalls past the timeout on both sides: the run finishes, every message exactly once', async () => {
  const seed = Number(process.env.UMS_FAULT_SEED ?? Date.now() % 1_000_000);
  const random = seededRandom(seed);
  const between = (lo: number, hi: number) => Math.floor(lo + random() * (hi - lo));
  lab = await startLab();
  const password = 'pw-netfaults-1';
  const source = uniqueLogin('nf');
  const target = uniqueLogin('nf');
  await addSourceUser(source, password);
  await addTargetUser(target, password);
  await seedSource(lab, source, password, generateCorpus({ messages: 300, maxSize: 160 * 1024, seed: 41 }));
  const src = await startNetProxy({ host: lab.source.host, port: lab.source.tlsPort }, { rttMs: 2 });
  const tgt = await startNetProxy({ host: lab.target.host, port: lab.target.tlsPort }, { rttMs: 2 });
  proxies.push(src, tgt);

  const { file } = writeLabConfig(lab, { source, target, password }, [
    'concurrency:', '  tasks: 3', '  batchSize: 20', '  writersPerTask: 2',
    'retry:', '  attempts: 12', '  baseDelayMs: 200', '  maxDelayMs: 2000',
  ]);
  writeFileSync(file, readFileSync(file, 'utf8')
    .replace(`  port: ${lab.source.tlsPort}\n`, `  port: ${src.port}\n  timeoutSeconds: ${TIMEOUT_SECONDS}\n`)
    .replace(`  port: ${lab.target.tlsPort}\n`, `  port: ${tgt.port}\n  timeoutSeconds: ${TIMEOUT_SECONDS}\n`));

  // One fault at a time, each armed once the one before it fired, while the run goes on.
  const plan: { proxy: NetProxy; side: string; fault: NetFault }[] = [
    { proxy: tgt, side: 'target', fault: { kind: 'reset', direction: 'toServer', afterBytes: between(40_000, 400_000) } }, // in an APPEND literal
    { proxy: src, side: 'source', fault: { kind: 'reset', direction: 'toClient', afterBytes: between(40_000, 600_000) } }, // in a FETCH response
    { proxy: tgt, side: 'target', fault: { kind: 'close', direction: 'toServer', afterBytes: between(40_000, 400_000) } }, // FIN mid-literal
    { proxy: src, side: 'source', fault: { kind: 'stall', direction: 'toClient', afterBytes: between(40_000, 600_000) } }, // a FETCH answer that never comes
    { proxy: tgt, side: 'target', fault: { kind: 'stall', direction: 'toClient', afterBytes: between(2_000, 20_000) } }, // APPENDed, the OK withheld
    { proxy: tgt, side: 'target', fault: { kind: 'reset', direction: 'toServer', afterBytes: between(40_000, 400_000) } },
  ];
  const fired: string[] = [];
  const run = spawnCli(['run', '-c', file, '--json']);
  let finished = false;
  const hang = setTimeout(() => run.child.kill('SIGKILL'), HANG_MS);
  const done = run.done.finally(() => { finished = true; clearTimeout(hang); });
  for (const step of plan) {
    const outcome = await Promise.race([step.proxy.fault(step.fault).then((conn) => conn), done.then(() => undefined)]);
    if (outcome === undefined || finished) break;
    fired.push(`${step.side} ${step.fault.kind} ${step.fault.direction} after ${step.fault.afterBytes} bytes (connection ${outcome})`);
  }
  const r = await done;
  const context = `seed ${seed} (UMS_FAULT_SEED to replay); faults fired: ${fired.join('; ') || 'none'}`;
  process.stderr.write(`network-faults: ${context}\n`);
  expect({ context, signal: r.signal, code: r.code, stderr: r.stderr }).toEqual({ context, signal: null, code: 0, stderr: '' });
  const report = JSON.parse(r.stdout) as { copied: number; recovered: number; failed: number };
  expect({ context, failed: report.failed, total: report.copied + report.recovered }).toEqual({ context, failed: 0, total: 300 });
  // the faults were met, not outrun: at least the resets, the close and the source stall
  expect({ context, fired: fired.length >= 4 }).toEqual({ context, fired: true });

  await expectExactlyOnce(lab, source, target, password);
  const again = await spawnCli(['run', '-c', file, '--json']).done;
  expect(again.code).toBe(0);
  expect((JSON.parse(again.stdout) as { copied: number }).copied).toBe(0);
}, 420_000);
