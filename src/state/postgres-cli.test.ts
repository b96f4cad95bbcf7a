/**
 * The CLI with `state.driver: postgres`, through the real binary: `db migrate` (both drivers) and a
 * whole migration (Dovecot → Courier-IMAP lab) whose state lives in PostgreSQL (test/lab/pg.sh).
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { generateCorpus, seedSource } from '../../test/lab/corpus.js';
import { addSourceUser, addTargetUser, startLab, uniqueLogin, type Lab } from '../../test/lab/lab.js';
import { createTestDatabase, dropTestDatabase, startPg } from '../../test/lab/pg.js';
import { BIN } from '../../test/support/cli.js';
import { writeLabConfig } from '../../test/support/lab-config.js';
import { expectExactlyOnce, snapshotMailbox, total } from '../../test/support/mailbox-snapshot.js';
import { SQLITE_MIGRATIONS } from './sqlite-schema.js';
import { POSTGRES_MIGRATIONS } from './postgres-schema.js';

interface Result { code: number | null; stdout: string; stderr: string }

/** Runs the CLI in the config's directory (the run lock of a postgres store lives in the working directory). */
function cli(args: string[], cwd: string, env: NodeJS.ProcessEnv = {}): Promise<Result> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [BIN, ...args], { cwd, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => { stdout += d.toString(); });
    child.stderr.on('data', (d: Buffer) => { stderr += d.toString(); });
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/** The lab config with its state in PostgreSQL: `url` is a secret reference to UMS_STATE_URL. */
function usePostgres(file: string): void {
  const text = readFileSync(file, 'utf8');
  const patched = text.replace('state:\n  path: ./state.sqlite\n', 'state:\n  driver: postgres\n  url: env:UMS_STATE_URL\n');
  if (patched === text) throw new Error('unexpected lab config: no sqlite state section');
  writeFileSync(file, patched);
}

beforeAll(async () => {
  await startPg();
}, 180_000);

describe('db migrate', () => {
  let dir: string;
  let file: string;
  let url: string;
  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'ums-db-'));
    file = join(dir, 'migration.yaml');
    writeFileSync(file, [
      'version: 1',
      'state:',
      '  path: ./state.sqlite',
      'source: { type: imap, host: 127.0.0.1, port: 10143, tls: none, allowInsecure: true }',
      'target: { type: ums-imap, host: 127.0.0.1, port: 11143, tls: none, allowInsecure: true }',
      'mailboxes:',
      '  - { source: a, target: a, sourcePassword: "env:PW", targetPassword: "env:PW" }',
      '',
    ].join('\n'));
    url = await createTestDatabase('ums_cli');
  });
  afterEach(async () => {
    rmSync(dir, { recursive: true, force: true });
    await dropTestDatabase(url);
  });

  test('sqlite: creates the file, then reports it up to date', async () => {
    const r1 = await cli(['db', 'migrate', '-c', file], dir);
    expect(r1.stderr).toBe('');
    expect(r1.code).toBe(0);
    expect(r1.stdout).toBe(`state store: sqlite ${join(dir, 'state.sqlite')}\nschema version ${SQLITE_MIGRATIONS.length} (created)\n`);
    const r2 = await cli(['db', 'migrate', '-c', file, '--json'], dir);
    expect(r2.code).toBe(0);
    expect(JSON.parse(r2.stdout)).toEqual({
      driver: 'sqlite', location: join(dir, 'state.sqlite'), from: SQLITE_MIGRATIONS.length, version: SQLITE_MIGRATIONS.length, latest: SQLITE_MIGRATIONS.length,
    });
  });

  test('postgres: creates the schema, then reports it up to date; the password is never printed', async () => {
    usePostgres(file);
    const password = new URL(url).password;
    const r1 = await cli(['db', 'migrate', '-c', file], dir, { UMS_STATE_URL: url });
    expect(r1.stderr).toBe('');
    expect(r1.code).toBe(0);
    expect(r1.stdout).toMatch(new RegExp(`^state store: postgres postgres://postgres@127\\.0\\.0\\.1:15432/ums_cli_\\w+\nschema version ${POSTGRES_MIGRATIONS.length} \\(created\\)\n$`));
    const r2 = await cli(['db', 'migrate', '-c', file, '--json'], dir, { UMS_STATE_URL: url });
    expect(r2.code).toBe(0);
    expect(JSON.parse(r2.stdout)).toMatchObject({ driver: 'postgres', from: POSTGRES_MIGRATIONS.length, version: POSTGRES_MIGRATIONS.length });
    expect(r1.stdout + r2.stdout).not.toContain(password);
  });

  test('postgres: an unreachable server or a missing secret is exit code 1, without the password', async () => {
    usePostgres(file);
    const down = await cli(['db', 'migrate', '-c', file], dir, { UMS_STATE_URL: 'postgres://ums:n0t-the-pw@127.0.0.1:1/state' });
    expect(down.code).toBe(1);
    expect(down.stderr).toContain('postgres://ums@127.0.0.1:1/state');
    expect(down.stderr).not.toContain('n0t-the-pw');
    const unset = await cli(['db', 'migrate', '-c', file], dir, { UMS_STATE_URL: undefined });
    expect(unset.code).toBe(1);
    expect(unset.stderr).toContain('state.url: env var UMS_STATE_URL is not set');
  });
});

describe('a migration with its state in PostgreSQL', () => {
  let lab: Lab;
  let url: string;
  let config: { dir: string; file: string };
  const password = 'pw-pg-e2e';
  let source: string;
  let target: string;

  beforeAll(async () => {
    lab = await startLab();
    source = uniqueLogin('pgsrc');
    target = uniqueLogin('pgtgt');
    await addSourceUser(source, password);
    await addTargetUser(target, password);
    await seedSource(lab, source, password, generateCorpus({ messages: 60, maxSize: 64 * 1024, seed: 11 }));
    config = writeLabConfig(lab, { source, target, password }, ['concurrency:', '  batchSize: 10', '  writersPerTask: 2']);
    usePostgres(config.file);
    url = await createTestDatabase('ums_e2e');
  }, 300_000);
  afterAll(async () => {
    if (url) await dropTestDatabase(url);
    if (config) rmSync(config.dir, { recursive: true, force: true });
  });

  test('run copies everything exactly once; a second run copies nothing; status and report read PostgreSQL', async () => {
    const env = { UMS_STATE_URL: url };
    const cwd = dirname(config.file);
    const r1 = await cli(['run', '-c', config.file, '--json'], cwd, env);
    expect(r1.code).toBe(0);
    const report = JSON.parse(r1.stdout) as { copied: number; failed: number };
    const sourceTotal = total(await snapshotMailbox({ ...lab.source, port: lab.source.tlsPort }, source, password));
    expect(report).toMatchObject({ copied: sourceTotal, failed: 0 });
    await expectExactlyOnce(lab, source, target, password);

    const r2 = await cli(['sync', '-c', config.file, '--json'], cwd, env);
    expect(r2.code).toBe(0);
    expect(JSON.parse(r2.stdout)).toMatchObject({ copied: 0 });

    const st = await cli(['status', '-c', config.file, '--json'], cwd, env);
    expect(st.code).toBe(0);
    const status = JSON.parse(st.stdout) as { mailboxes: { source: string; doneItems: number; failedItems: number }[] };
    expect(status.mailboxes).toEqual([expect.objectContaining({ source, doneItems: sourceTotal, failedItems: 0 })]);

    const out = join(config.dir, 'report.json');
    const rep = await cli(['report', '-c', config.file, '-o', out], cwd, env);
    expect(rep.code).toBe(0);
    expect(readFileSync(out, 'utf8')).toContain(source);
    expect(readFileSync(join(config.dir, 'run.log'), 'utf8')).not.toContain(new URL(url).password);
  });
});
