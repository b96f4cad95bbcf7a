import { constants, mkdirSync, openSync } from 'node:fs';
import { dirname } from 'node:path';
import pino, { type Logger } from 'pino';
import { scrubSecrets } from './util/scrub.js';
import { jsonForTerminal } from './util/terminal-text.js';

/** Any key that can hold a secret is censored, whatever object it sits in. */
export const REDACT_PATHS = [
  'password', 'pass', 'masterPassword', 'sourcePassword', 'targetPassword', 'secret', 'token', 'authorization', 'url',
  '*.password', '*.pass', '*.masterPassword', '*.sourcePassword', '*.targetPassword', '*.secret', '*.token', '*.authorization',
  'auth.pass', '*.auth.pass', '*.auth.masterPassword',
];

/** The log file's mode when the logger creates it: it holds logins, folder names and server texts. */
export const LOG_FILE_MODE = 0o600;

/**
 * One log line as written: secrets scrubbed, and the control characters JSON leaves raw written
 * as JSON escapes (`\u009b`, `\u202e`), so the line decodes to exactly the same values but shows
 * nothing raw on the terminal it goes to (stderr when no logging.file is set; `tail -f` of the file).
 */
export function logLine(line: string): string {
  return jsonForTerminal(scrubSecrets(line));
}

/**
 * The log file, opened for appending: created LOG_FILE_MODE when absent, and never through a
 * symlink (O_NOFOLLOW): a link planted at logging.file had every log line appended to whatever it
 * pointed at. Opened here rather than by pino's destination, which follows links.
 */
function openLogFile(file: string): number {
  try {
    return openSync(file, constants.O_WRONLY | constants.O_APPEND | constants.O_CREAT | constants.O_NOFOLLOW, LOG_FILE_MODE);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ELOOP') throw err;
    throw new Error(`logging.file ${file} is a symbolic link: the log is not written through it (it could point anywhere). `
      + 'Set logging.file to the real file, or replace the link with a regular file', { cause: err });
  }
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
    return pino(options, pino.destination({ fd: openLogFile(opts.file), sync: false }));
  }
  return pino(options, pino.destination({ dest: 2, sync: true }));
}
