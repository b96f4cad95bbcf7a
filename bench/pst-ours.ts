/**
 * The "ours" half of bench/pst.bench.ts, run in a process of its own per corpus (so its peak RSS
 * is the corpus's own, and, started from a bundle of the sources, without tsx's loader thread,
 * as the compiled CLI runs). Reads the corpus from BENCH_OURS (JSON: directory, pattern, logins),
 * then one line per request on stdin: "pass" runs one pass over the corpus and prints its JSON
 * line (items, failed, mimeBytes, seconds, cpuSeconds: of all the process's threads); "end" prints the peak RSS and exits. The bench
 * alternates these passes with readpst's, so both tools run under the same machine load.
 */
import { createInterface } from 'node:readline';
import pino from 'pino';
import { PstSource } from '../connectors/pst/index.js';
import { peakRssMb } from '../src/util/memory.js';

interface Job { directory: string; pattern: string; logins: string[] }

/**
 * One pass over every mailbox, as the engine drives the source: folders, pages of 100 listed,
 * every item read and built (mail into MIME, calendar/contact/task items into iCalendar/vCard).
 */
async function pass(source: PstSource, logins: string[]): Promise<{ items: number; failed: number; mimeBytes: number }> {
  let items = 0;
  let failed = 0;
  let mimeBytes = 0;
  for (const login of logins) {
    const mb = await source.openMailbox({ login });
    try {
      for (const c of await mb.containers()) {
        if (c.skip !== undefined) continue;
        let cursor: string | null = null;
        for (;;) {
          let page;
          try {
            page = await mb.changes(c, cursor, 100);
          } catch {
            break; // an unreadable file: counted by neither side
          }
          for await (const r of mb.read(c, page.items)) {
            if ('error' in r) failed++;
            else { items++; mimeBytes += r.content.length; }
          }
          cursor = page.cursor;
          if (page.done) break;
        }
      }
    } finally {
      await mb.close();
    }
  }
  return { items, failed, mimeBytes };
}

async function main(): Promise<void> {
  const job = JSON.parse(process.env.BENCH_OURS ?? '') as Job;
  const source = new PstSource({ directory: job.directory, files: job.pattern, groupware: true }, pino({ level: 'silent' }));
  for await (const line of createInterface({ input: process.stdin })) {
    if (line === 'end') break;
    const t0 = process.hrtime.bigint();
    const c0 = process.cpuUsage();
    const p = await pass(source, job.logins);
    const cpu = process.cpuUsage(c0);
    process.stdout.write(`${JSON.stringify({ ...p, seconds: Number(process.hrtime.bigint() - t0) / 1e9, cpuSeconds: (cpu.user + cpu.system) / 1e6 })}\n`);
  }
  process.stdout.write(`${JSON.stringify({ peakRssMb: peakRssMb() })}\n`);
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? err.stack ?? err.message : String(err)}\n`);
  process.exit(1);
});
