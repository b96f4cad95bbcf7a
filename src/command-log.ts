/**
 * The log of a command that writes to production systems (`directory sync`, `cutover`,
 * `routing …`, `discover`): pino JSON lines through src/log.ts, as `run` writes them, to the
 * config's `logging.file` — secrets scrubbed, created 0600. Every line carries the command and
 * the operator; `runLogged` adds one line when the command starts and one when it ends (exit
 * code, or the error), and flushes before the command returns.
 *
 * Without `logging.file` the lines go to stderr, like `run`'s, but only from level `warn` up
 * (refusals, failures): the command's own output already says what happened.
 *
 * The operator is $UMS_OPERATOR when set, else the OS user (the same name the audit log records).
 */
import { userInfo } from 'node:os';
import type { Logger } from 'pino';
import type { LoggingConfig } from './config/schema.js';
import { createLogger } from './log.js';
import { reasonOf } from './util/errors.js';

export function operatorName(env: NodeJS.ProcessEnv = process.env): string {
  const fromEnv = env.UMS_OPERATOR?.trim();
  if (fromEnv) return fromEnv;
  try {
    return userInfo().username;
  } catch {
    return env.USER ?? env.LOGNAME ?? 'unknown';
  }
}

const LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'];

/** The logger of one command: `logging.file` (or stderr from warn up), every line tagged with command and operator. */
export function commandLogger(logging: Pick<LoggingConfig, 'file' | 'level'>, command: string, env: NodeJS.ProcessEnv = process.env): Logger {
  const level = logging.file !== undefined || LEVELS.indexOf(logging.level) >= LEVELS.indexOf('warn') ? logging.level : 'warn';
  const base = createLogger({ level, ...(logging.file !== undefined ? { file: logging.file } : {}) });
  return base.child({ command, operator: operatorName(env) });
}

/** Waits until every line written so far has reached the file (or stderr). */
export function flushLog(log: Logger): Promise<void> {
  return new Promise((resolve) => {
    try {
      log.flush(() => resolve());
    } catch {
      resolve(); // a destination that was never opened (e.g. the directory could not be created) has nothing to flush
    }
  });
}

/**
 * Runs a command's body with its log: "<command> started" with `fields`, then "<command> finished"
 * with the exit code (warn when not 0) or "<command> failed" with the reason (then rethrown).
 */
export async function runLogged(log: Logger, command: string, fields: Record<string, unknown>, body: () => Promise<number>): Promise<number> {
  const started = Date.now();
  log.info(fields, `${command} started`);
  try {
    const exitCode = await body();
    log[exitCode === 0 ? 'info' : 'warn']({ exitCode, ms: Date.now() - started }, `${command} finished`);
    return exitCode;
  } catch (err) {
    log.error({ err: reasonOf(err), ms: Date.now() - started }, `${command} failed`);
    throw err;
  } finally {
    await flushLog(log);
  }
}
