/**
 * The Postfix programs the routing commands run: postmap(1) to build and query lookup tables,
 * postfix(1) to reload. Arguments are passed as a list (no shell). Programs are taken from
 * `routing.postfixBinDir`, else /usr/sbin when present there, else PATH.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import type { PostfixMapType } from '../config/routing-schema.js';

export interface PostfixTools {
  binDir?: string;
  /** -c for postmap and postfix. */
  configDir?: string;
  mapType: PostfixMapType;
}

function program(tools: PostfixTools, name: string): string {
  if (tools.binDir !== undefined) return path.join(tools.binDir, name);
  return existsSync(`/usr/sbin/${name}`) ? `/usr/sbin/${name}` : name;
}

function run(file: string, args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    execFile(file, args, { timeout: 120_000, maxBuffer: 16 * 1024 * 1024 }, (error, stdout, stderr) => {
      if (error && typeof error.code !== 'number') reject(new Error(`${path.basename(file)}: ${error.message}`));
      else resolve({ code: error ? (error.code as number) : 0, stdout, stderr });
    });
  });
}

const configArgs = (tools: PostfixTools): string[] => (tools.configDir !== undefined ? ['-c', tools.configDir] : []);

/** Builds the indexed table of `file` (e.g. file.db for hash). */
export async function postmap(tools: PostfixTools, file: string): Promise<void> {
  const r = await run(program(tools, 'postmap'), [...configArgs(tools), `${tools.mapType}:${file}`]);
  if (r.code !== 0) throw new Error(`postmap ${tools.mapType}:${file} failed (exit ${r.code}): ${r.stderr.trim()}`);
}

/** The value of `key` in the indexed table of `file`, undefined when absent (postmap -q exits 1). */
export async function postmapQuery(tools: PostfixTools, file: string, key: string): Promise<string | undefined> {
  const r = await run(program(tools, 'postmap'), [...configArgs(tools), '-q', key, `${tools.mapType}:${file}`]);
  if (r.code === 0) return r.stdout.replace(/\n$/, '');
  if (r.code === 1 && r.stderr.trim() === '') return undefined;
  throw new Error(`postmap -q ${JSON.stringify(key)} ${tools.mapType}:${file} failed (exit ${r.code}): ${r.stderr.trim()}`);
}

/** `postfix -c <dir> reload` (only with a config dir). */
export async function postfixReload(tools: PostfixTools): Promise<void> {
  if (tools.configDir === undefined) return;
  const r = await run(program(tools, 'postfix'), [...configArgs(tools), 'reload']);
  if (r.code !== 0) throw new Error(`postfix -c ${tools.configDir} reload failed (exit ${r.code}): ${r.stderr.trim()}`);
}

/** `postfix -c <dir> status`: whether that instance runs (false without a config dir). */
export async function postfixRunning(tools: PostfixTools): Promise<boolean> {
  if (tools.configDir === undefined) return false;
  return (await run(program(tools, 'postfix'), [...configArgs(tools), 'status'])).code === 0;
}
