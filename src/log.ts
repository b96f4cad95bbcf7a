import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import pino, { type Logger } from 'pino';
import { scrubSecrets } from './util/scrub.js';

/** Any key that can hold a secret is censored, whatever object it sits in. */
export const REDACT_PATHS = [
  'password', 'pass', 'masterPassword', 'sourcePassword', 'targetPassword', 'secret', 'token', 'authorization', 'url',
  '*.password', '*.pass', '*.masterPassword', '*.sourcePassword', '*.targetPassword', '*.secret', '*.token', '*.authorization',
  'auth.pass', '*.auth.pass', '*.auth.masterPassword',
];

/** The log file's mode when the logger creates it: it holds logins, folder names and server texts. */
export const LOG_FILE_MODE = 0o600;

/**
 * JSON logs to `file` (or stderr). Beyond the key redaction, every line is scrubbed of every
 * resolved secret just before it is written (util/scrub), whatever field or message holds it
 * (a server's NO text quoting the password, an error message with a connection string). Control
 * characters need nothing here: pino's JSON escapes C0, and a log viewer shows JSON text.
 */
export function createLogger(opts: { level?: string; file?: string } = {}): Logger {
  const level = opts.level ?? 'info';
  const options = {
    level, base: { pid: process.pid },
    redact: { paths: REDACT_PATHS, censor: '[redacted]' },
    hooks: { streamWrite: scrubSecrets },
  };
  if (opts.file) {
    mkdirSync(dirname(opts.file), { recursive: true });
    return pino(options, pino.destination({ dest: opts.file, sync: false, mkdir: true, mode: LOG_FILE_MODE }));
  }
  return pino(options, pino.destination({ dest: 2, sync: true }));
}
