/**
 * The directory sync's lock with a PostgreSQL state store (the lab's pg.sh): an advisory lock in
 * the database, named after the directory checkpoint, as run/sync hold theirs — never a lock file
 * relative to the directory the command was started from.
 */
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createTestDatabase, dropTestDatabase } from '../../test/lab/pg.js';
import { spawn } from 'node:child_process';
import { BIN, type CliResult } from '../../test/support/cli.js';
import { directoryCheckpointName } from '../directory/state.js';
import { directorySyncLockName } from '../directory/sync-lock.js';
import { PgLockSession } from '../state/pg-locks.js';

/** The CLI started from `cwd` (test/support/cli.ts runs it from the test's directory). */
function runCli(args: string[], env: NodeJS.ProcessEnv, opts: { cwd: string }): Promise<CliResult> {
  const child = spawn(process.execPath, [BIN, ...args], { cwd: opts.cwd, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => { stdout += d.toString(); });
  child.stderr.on('data', (d: Buffer) => { stderr += d.toString(); });
  return new Promise((resolve) => child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr })));
}

let url: string;
let work: string;
// Nothing listens there: a sync that got past the lock fails at the directory, not at the lock.
const source = { url: 'ldaps://127.0.0.1:1', base: 'ou=people,dc=corp,dc=example' };
const target = { url: 'ldaps://127.0.0.1:2', base: 'ou=people,dc=ums,dc=example' };

beforeAll(async () => {
  url = await createTestDatabase('ums_dirlock');
  work = mkdtempSync(path.join(tmpdir(), 'ums-dirlock-'));
  writeFileSync(path.join(work, 'pw'), 'secret\n', { mode: 0o600 });
  writeFileSync(path.join(work, 'migration.yaml'), [
    'version: 1',
    'state: { driver: postgres, url: env:UMS_TEST_PG_URL }',
    'source: { type: imap, host: imap.old.example }',
    'target: { host: imap.ums.example }',
    'mailboxes: [{ source: alice, sourcePassword: file:./pw, targetPassword: file:./pw }]',
    'directory:',
    `  source: { url: "${source.url}", bindDn: cn=admin, bindPassword: file:./pw, base: "${source.base}" }`,
    `  target: { url: "${target.url}", bindDn: cn=admin, bindPassword: file:./pw, base: "${target.base}" }`,
    '',
  ].join('\n'));
});

afterAll(async () => {
  await dropTestDatabase(url);
  rmSync(work, { recursive: true, force: true });
});

test('a second directory sync on the same PostgreSQL store is refused by the advisory lock (exit 4); no lock file in the working directory', async () => {
  const cwd = mkdtempSync(path.join(tmpdir(), 'ums-dirlock-cwd-'));
  const env = { UMS_TEST_PG_URL: url };
  const holder = await PgLockSession.open(url, 'another directory sync');
  try {
    expect(await holder.tryNamed(directorySyncLockName(directoryCheckpointName({ source, target })))).toBe(true);
    const refused = await runCli(['directory', 'sync', '-c', path.join(work, 'migration.yaml')], env, { cwd });
    expect({ code: refused.code, stderr: refused.stderr }).toEqual({ code: 4, stderr: expect.stringContaining('another ums-migrate run holds the run lock of') });
    expect(refused.stderr).toContain('another directory sync');
  } finally {
    await holder.close();
  }
  // Lock free: the sync gets past it and fails at the (absent) directory instead.
  const free = await runCli(['directory', 'sync', '-c', path.join(work, 'migration.yaml')], env, { cwd });
  expect(free.code).not.toBe(4);
  expect(free.stderr).not.toContain('holds the run lock');
  expect(readdirSync(cwd)).toEqual([]);
  expect(existsSync(path.join(work, '.ums-migrate.lock.directory'))).toBe(false);
  rmSync(cwd, { recursive: true, force: true });
});
