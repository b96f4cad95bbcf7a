/**
 * Processes that open the same new state file at the same moment (a run and the dashboard opened
 * before it, two `run`s, `status` during the first run): every one opens it, the schema is
 * applied once. Before the fix, processes failed with "table mailboxes already exists" or
 * "duplicate column name" (both read the version, then both applied the step), which the
 * dashboard served as a 503; then, more rarely, "database is locked" (two processes switching the
 * new file to WAL at once: SQLite refuses one without waiting) and "truncated" (the damage check
 * reading the file while another process's last close checkpointed it).
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { SQLITE_MIGRATIONS } from './sqlite-schema.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const OPENER = join(ROOT, 'test', 'support', 'sqlite-opener.ts');
const PROCESSES = 6;
const ROUNDS = 3;

function opener(file: string, at: number): Promise<{ result: string; late: number }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', OPENER, file, String(at)], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => { out += d.toString(); });
    child.stderr.on('data', (d: Buffer) => { err += d.toString(); });
    child.on('error', reject);
    child.on('close', (code) => {
      const [result = '', late = '0'] = out.trim().split('\n');
      resolve(code === 0 ? { result, late: Number(late) } : { result: `exit ${code}: ${err.trim()}`, late: 0 });
    });
  });
}

test(`${PROCESSES} processes open and migrate one new file at once, ${ROUNDS} times: all succeed`, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'ums-state-race-'));
  try {
    for (let round = 0; round < ROUNDS; round++) {
      // Far enough ahead that every process has loaded tsx and waits for the same moment; on a
      // busy machine where one arrived late (no race then), the round is run again, waiting longer.
      let results: { result: string; late: number }[] = [];
      let file = '';
      for (let wait = 3000, tries = 0; tries < 3; wait *= 2, tries++) {
        file = join(dir, `state-${round}-${tries}.sqlite`);
        const at = Date.now() + wait;
        results = await Promise.all(Array.from({ length: PROCESSES }, () => opener(file, at)));
        if (results.every((r) => r.late === 0)) break;
      }
      expect({ round, late: results.filter((r) => r.late > 0).length }).toEqual({ round, late: 0 });
      expect({ round, results: results.map((r) => r.result) }).toEqual({ round, results: Array(PROCESSES).fill('ok') });
      const db = new Database(file, { readonly: true });
      try {
        expect(db.pragma('user_version', { simple: true })).toBe(SQLITE_MIGRATIONS.length);
        expect((db.prepare('SELECT count(*) AS n FROM mailboxes').get() as { n: number }).n).toBe(PROCESSES);
      } finally {
        db.close();
      }
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}, 240_000);
