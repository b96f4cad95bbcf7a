/**
 * Test helpers for the Kopano reader: the fixture location and Berkeley DB hash files made by
 * Debian's `db5.3_load` (db5.3-util, installed by test/lab/install.sh), a real libdb writer.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fixturesDir } from '../pst/readpst-oracle.js';

export const DB_LOAD = ['/usr/bin/db5.3_load', '/usr/bin/db_load'].find((p) => existsSync(p));

/** The synthetic kopano-backup fixture, or undefined when the shared fixtures are absent. */
export function kopanoFixture(): string | undefined {
  const dir = join(fixturesDir(), 'kopano', 'synthetic-kopano-backup');
  return existsSync(join(dir, 'expected.json')) ? dir : undefined;
}

export function fixtureMissing(): string {
  return `kopano fixtures not found under ${fixturesDir()} (set UMS_FIXTURES_DIR=/work/shared/fixtures)`;
}

export interface DbLoadOptions {
  /** 1234 little-endian, 4321 big-endian. */
  lorder?: 1234 | 4321;
  pageSize?: number;
}

/** Writes a hash database with libdb's own loader (db_dump "bytevalue" format on stdin). */
export function writeHashDb(file: string, pairs: [Buffer | string, Buffer | string][], opts: DbLoadOptions = {}): void {
  if (!DB_LOAD) throw new Error('db5.3_load not installed (apt-get install db5.3-util)');
  const hex = (v: Buffer | string): string => ` ${Buffer.from(v).toString('hex')}\n`;
  const dump = `VERSION=3\nformat=bytevalue\ntype=hash\nHEADER=END\n${pairs.map(([k, v]) => hex(k) + hex(v)).join('')}DATA=END\n`;
  const dumpFile = `${file}.dump`;
  writeFileSync(dumpFile, dump);
  const args = ['-f', dumpFile];
  if (opts.lorder) args.push('-c', `db_lorder=${opts.lorder}`);
  if (opts.pageSize) args.push('-c', `db_pagesize=${opts.pageSize}`);
  execFileSync(DB_LOAD, [...args, file]);
}
