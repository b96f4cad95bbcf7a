import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import pino, { type Logger } from 'pino';

/** Any key that can hold a secret is censored, whatever object it sits in. */
export const REDACT_PATHS = [
  'password', 'pass', 'masterPassword', 'sourcePassword', 'targetPassword', 'secret', 'token', 'authorization', 'url',
  '*.password', '*.pass', '*.masterPassword', '*.sourcePassword', '*.targetPassword', '*.secret', '*.token', '*.authorization',
  'auth.pass', '*.auth.pass', '*.auth.masterPassword',
];

/** JSON logs to `file` (or stderr). */
export function createLogger(opts: { level?: string; file?: string } = {}): Logger {
  const level = opts.level ?? 'info';
  const redact = { paths: REDACT_PATHS, censor: '[redacted]' };
  if (opts.file) {
    mkdirSync(dirname(opts.file), { recursive: true });
    return pino({ level, redact, base: { pid: process.pid } }, pino.destination({ dest: opts.file, sync: false, mkdir: true }));
  }
  return pino({ level, redact, base: { pid: process.pid } }, pino.destination({ dest: 2, sync: true }));
}
