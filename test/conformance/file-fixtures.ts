/** What the file-based sources' conformance fixtures share: a temporary tree, files written with fixed times. */
import { mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import pino from 'pino';

export const silentLog = pino({ level: 'silent' });

export interface TempTree {
  root: string;
  /** Writes `rel` below the root (parents created), modification time `mtime`. */
  put(rel: string, data: Buffer | string, mtime?: Date): string;
  remove(): void;
}

export function tempTree(prefix: string): TempTree {
  const root = mkdtempSync(join(tmpdir(), `${prefix}-`));
  let clock = Date.UTC(2024, 0, 1);
  return {
    root,
    put(rel, data, mtime) {
      const file = join(root, rel);
      mkdirSync(dirname(file), { recursive: true });
      writeFileSync(file, data);
      // Distinct times by default: the order of writing is the order of the export.
      const t = mtime ?? new Date((clock += 60_000));
      utimesSync(file, t, t);
      return file;
    },
    remove() { rmSync(root, { recursive: true, force: true }); },
  };
}

/** A small RFC 5322 message. */
export function eml(n: number, folder = 'Inbox'): string {
  return `From: a@example.org\r\nTo: b@example.org\r\nSubject: ${folder} ${n}\r\nDate: Tue, 14 Jan 2020 09:${String(10 + n).padStart(2, '0')}:55 +0100\r\nMessage-ID: <c${n}.${folder}@example.org>\r\n\r\nbody ${n}\r\n`;
}
