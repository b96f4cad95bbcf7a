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

// DEL, C1, bidi marks/embeddings/overrides/isolates, line/paragraph separators: JSON leaves them raw.
const RAW_IN_JSON = /[\u007f-\u009f\u061c\u200e\u200f\u2028-\u202e\u2066-\u2069]/g;

/**
 * One log line as written: secrets scrubbed, and the control characters JSON leaves raw written
 * as JSON escapes (`\u009b`, `\u202e`), so the line decodes to exactly the same values but shows
 * nothing raw on the terminal it goes to (stderr when no logging.file is set; `tail -f` of the file).
 */
export function logLine(line: string): string {
  return scrubSecrets(line).replace(RAW_IN_JSON, (ch) => `\\u${ch.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/**
 * JSON logs to `file` (or stderr). Beyond the key redaction, every line is scrubbed of every
 * resolved secret just before it is written (util/scrub), whatever field or message holds it
 * (a server's NO text quoting the password, an error message with a connection string). Control
 * characters: pino's JSON escapes C0; C1, DEL and bidi characters, which it leaves raw, are
 * escaped by `logLine` (a folder name with CSI 0x9B or U+202E on the stderr log reached the terminal raw).
 */
export function createLogger(opts: { level?: string; file?: string } = {}): Logger {
  const level = opts.level ?? 'info';
  const options = {
    level, base: { pid: process.pid },
    redact: { paths: REDACT_PATHS, censor: '[redacted]' },
    hooks: { streamWrite: logLine },
  };
  if (opts.file) {
    mkdirSync(dirname(opts.file), { recursive: true });
    return pino(options, pino.destination({ dest: opts.file, sync: false, mkdir: true, mode: LOG_FILE_MODE }));
  }
  return pino(options, pino.destination({ dest: 2, sync: true }));
}
