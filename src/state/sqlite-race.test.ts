/**
 * Processes that open the same new state file at the same moment (a run and the dashboard opened
 * before it, two `run`s, `status` during the first run): every one opens it, the schema is
 * applied once. Before the fix, about one in four processes failed with "table mailboxes already
 * exists" or "duplicate column name" (both read the version, then both applied the step), which
 * the dashboard served as a 503.
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
const PROCESSES = 4;
const ROUNDS = 4;

function opener(file: string, at: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', OPENER, file, String(at)], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => { out += d.toString(); });
    child.stderr.on('data', (d: Buffer) => { err += d.toString(); });
    child.on('error', reject);
    child.on('close', (code) => resolve(code === 0 ? out.trim() : `exit ${code}: ${err.trim()}`));
  });
}

test(`${PROCESSES} processes open and migrate one new file at once, ${ROUNDS} times: all succeed`, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'ums-state-race-'));
  try {
    for (let round = 0; round < ROUNDS; round++) {
      const file = join(dir, `state-${round}.sqlite`);
      // Far enough ahead that every process has loaded tsx and waits for the same moment.
      const at = Date.now() + 3000;
      const results = await Promise.all(Array.from({ length: PROCESSES }, () => opener(file, at)));
      expect({ round, results }).toEqual({ round, results: Array(PROCESSES).fill('ok') });
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
}, 120_000);
