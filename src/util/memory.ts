import { readFileSync } from 'node:fs';

/**
 * Peak resident memory of this process in MB. On Linux from VmHWM (/proc/self/status), which
 * belongs to this process's own address space: getrusage's maxrss survives fork+exec and can
 * report the parent's peak instead (a benchmark parent holding a large corpus, say).
 */
export function peakRssMb(): number {
  try {
    const m = /^VmHWM:\s+(\d+)\s+kB/m.exec(readFileSync('/proc/self/status', 'utf8'));
    if (m?.[1]) return Math.round(Number(m[1]) / 1024);
  } catch {
    // not Linux
  }
  return Math.round(process.resourceUsage().maxRSS / 1024);
}
