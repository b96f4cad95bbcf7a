import { spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { lstatSync, mkdtempSync, readFileSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import pino from 'pino';
import { createLogger, LOG_FILE_MODE } from './log.js';
import { forgetSecretsForTests, registerSecret } from './util/scrub.js';

afterEach(() => forgetSecretsForTests());

type Log = ReturnType<typeof createLogger>;
interface Destination { fd: number; flushSync(): void; on(event: string, f: () => void): void }
const destination = (log: Log) => (log as unknown as Record<symbol, Destination>)[pino.symbols.streamSym]!;

/** A file logger whose file is open (the destination opens it asynchronously). */
async function fileLogger(file: string): Promise<Log> {
  const log = createLogger({ file });
  const dest = destination(log);
  if (dest.fd < 0) await once(dest as unknown as NodeJS.EventEmitter, 'ready');
  return log;
}

/**
 * The file's lines once every write has landed: flushSync alone skips a write already in flight
 * (sonic-boom's async write of the first line), so under load the file could still lack lines.
 * Waits for that write, then writes the rest synchronously (no await in between: nothing new starts).
 */
async function lines(log: Log, file: string): Promise<string[]> {
  const dest = destination(log) as Destination & { _writing?: boolean };
  for (let i = 0; dest._writing === true && i < 2000; i++) await new Promise((resolve) => setTimeout(resolve, 5));
  dest.flushSync();
  return readFileSync(file, 'utf8').split('\n').filter((l) => l !== '');
}

describe('createLogger', () => {
  test('creates the log file 0600 (it holds logins, folder names and server texts), even under umask 022', async () => {
    const old = process.umask(0o022);
    try {
      const file = path.join(mkdtempSync(path.join(tmpdir(), 'ums-log-')), 'sub', 'run.log');
      const log = await fileLogger(file);
      log.info('hello');
      expect(await lines(log, file)).toHaveLength(1);
      expect(statSync(file).mode & 0o777).toBe(LOG_FILE_MODE);
      expect(LOG_FILE_MODE).toBe(0o600);
    } finally {
      process.umask(old);
    }
  });

  test('every line is scrubbed of resolved secrets, in the message, in err fields and in any other field', async () => {
    const pw = 'Echo"ed\\Secret';
    registerSecret(pw);
    const file = path.join(mkdtempSync(path.join(tmpdir(), 'ums-log-')), 'run.log');
    const log = await fileLogger(file);
    log.warn({ err: `NO bad login pass "${pw.replace(/[\\"]/g, '\\$&')}"` }, `login failed: ${pw}`);
    log.child({ mailbox: 'alice' }).error({ detail: { said: `x ${pw} y` }, plain: Buffer.from(`\0alice\0${pw}`).toString('base64') }, 'nested');
    const text = (await lines(log, file)).join('\n');
    expect(text).not.toContain('Secret');
    expect(text.match(/\[redacted\]/g)).toHaveLength(4);
    const parsed = text.split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(parsed[0]).toMatchObject({ msg: 'login failed: [redacted]', err: 'NO bad login pass "[redacted]"' });
    expect(parsed[1]).toMatchObject({ mailbox: 'alice', detail: { said: 'x [redacted] y' } });
  });

  test('control characters in logged texts are JSON-escaped by pino (nothing raw in the file)', async () => {
    const file = path.join(mkdtempSync(path.join(tmpdir(), 'ums-log-')), 'run.log');
    const log = await fileLogger(file);
    log.warn({ folder: 'Evil\x1b]0;t\x07\x1b[2J' }, 'reason \x1b[1A');
    const [text = ''] = await lines(log, file);
    // eslint-disable-next-line no-control-regex
    expect(text.trim()).not.toMatch(/[\u0000-\u001f]/);
    expect(JSON.parse(text)).toMatchObject({ folder: 'Evil\x1b]0;t\x07\x1b[2J', msg: 'reason \x1b[1A' });
  });

  test('a symlink planted at logging.file is refused with its name; what it points at is not written', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'ums-log-'));
    const victim = path.join(dir, 'victim');
    writeFileSync(victim, 'keep\n');
    const file = path.join(dir, 'run.log');
    symlinkSync(victim, file);
    expect(() => createLogger({ file })).toThrow(`logging.file ${file} is a symbolic link: the log is not written through it`);
    expect(readFileSync(victim, 'utf8')).toBe('keep\n');
    expect(lstatSync(file).isSymbolicLink()).toBe(true);
  });

  // JSON escapes C0 only: C1 (CSI 0x9B), DEL, bidi overrides and U+2028 stayed raw in every line.
  const BEYOND_C0 = 'Evil\u009b31m\u202eFolder\u2028x\u007f\u2066y\u200f';
  // eslint-disable-next-line no-control-regex
  const RAW = /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028-\u202e\u2066-\u2069]/;

  test('C1, DEL, bidi and line-separator characters are written as JSON escapes: same values, nothing raw', async () => {
    const pw = 'pw\u202eS3cret';
    registerSecret(pw);
    const file = path.join(mkdtempSync(path.join(tmpdir(), 'ums-log-')), 'run.log');
    const log = await fileLogger(file);
    log.error({ folder: BEYOND_C0, err: `NO ${pw}` }, `folder failed \\${BEYOND_C0}`);
    const [text = ''] = await lines(log, file);
    expect(text.trim()).not.toMatch(RAW);
    expect(text).toContain('\\u009b31m\\u202eFolder\\u2028x\\u007f\\u2066y\\u200f');
    expect(JSON.parse(text)).toMatchObject({ folder: BEYOND_C0, msg: `folder failed \\${BEYOND_C0}`, err: 'NO [redacted]' });
  });

  test('the stderr log (no logging.file) puts no raw C1 or bidi character on the terminal', () => {
    const logModule = fileURLToPath(new URL('./log.ts', import.meta.url));
    const script = `const { createLogger } = await import(${JSON.stringify(logModule)});\n`
      + `createLogger().warn({ folder: ${JSON.stringify(BEYOND_C0)} }, 'folder not migrated');\n`;
    const r = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { encoding: 'utf8' });
    expect(r.status).toBe(0);
    const line = r.stderr.trim();
    expect(JSON.parse(line)).toMatchObject({ folder: BEYOND_C0, msg: 'folder not migrated' });
    expect(line).not.toMatch(RAW);
  });
});
