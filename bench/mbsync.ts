/** mbsync (Debian isync) as the benchmarks' peer: its config for a lab pair, and a timed run with CPU and peak RSS. */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { LabEndpoint } from '../test/lab/lab.js';

/** An mbsyncrc pulling every folder of `source` (at `far`) into `target` (at `near`), defaults otherwise. */
export function mbsyncRc(far: LabEndpoint, near: LabEndpoint, source: string, target: string, password: string, dir: string): string {
  const account = (name: string, ep: LabEndpoint, user: string) => [
    // mbsync checks the certificate against a host name only (the lab certificate is for localhost).
    `IMAPAccount ${name}`, 'Host localhost', `Port ${ep.tlsPort}`, `User ${user}`, `Pass ${password}`,
    'SSLType IMAPS', `CertificateFile ${ep.caFile}`, '',
    `IMAPStore ${name}-store`, `Account ${name}`, '',
  ];
  return [
    ...account('far', far, source), ...account('near', near, target),
    'Channel migrate', 'Far :far-store:', 'Near :near-store:', 'Patterns *', 'Create Near', 'Sync Pull',
    `SyncState ${dir}/`, 'Expunge None', 'CopyArrivalDate yes', '',
  ].join('\n');
}

export interface MbsyncRun { seconds: number; code: number | null; stderr: string; cpuSeconds: number; peakRssMb: number }

/** Runs one mbsync -a for the pair under /usr/bin/time (wall, user+system CPU, peak RSS). */
export function runMbsync(far: LabEndpoint, near: LabEndpoint, source: string, target: string, password: string): Promise<MbsyncRun> {
  const dir = mkdtempSync(join(tmpdir(), 'bench-mbsync-'));
  const rc = join(dir, 'mbsyncrc');
  writeFileSync(rc, mbsyncRc(far, near, source, target, password, dir), { mode: 0o600 });
  const usage = join(dir, 'usage');
  const t0 = process.hrtime.bigint();
  return new Promise((resolve) => {
    const child = spawn('/usr/bin/time', ['-o', usage, '-f', '%U %S %M', 'mbsync', '-q', '-c', rc, '-a'], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => { stderr += d.toString(); });
    child.on('close', (code) => {
      const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
      const [user = 0, sys = 0, rssKb = 0] = readFileSync(usage, 'utf8').trim().split('\n').pop()?.split(' ').map(Number) ?? [];
      resolve({ seconds, code, stderr, cpuSeconds: user + sys, peakRssMb: Math.round(rssKb / 1024) });
    });
  });
}
