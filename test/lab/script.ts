/** Runs one of the lab's shell scripts (test/lab/*.sh) for the TypeScript fronts, and reads what they print. */
import { execFile } from 'node:child_process';
import path from 'node:path';
import { labDir } from './lab.js';

/** `bash <script> <args…>` with the lab dir in the environment; stdout trimmed. `input` goes to stdin (passwords never on a command line). */
export function runLabScript(script: string, args: string[], opts: { input?: string; timeoutMs?: number } = {}): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = execFile('bash', [script, ...args], { env: { ...process.env, UMS_LAB_DIR: labDir() }, timeout: opts.timeoutMs ?? 300_000, maxBuffer: 16 * 1024 * 1024 },
      (error, stdout, stderr) => {
        if (error) reject(new Error(`${path.basename(script)} ${args[0] ?? ''} failed: ${error.message.split('\n')[0]}\n${stderr.trim()}`));
        else resolve(stdout.trim());
      });
    child.stdin?.end(opts.input ?? '');
  });
}

/** The `key=value` lines a script printed; a missing key is an error naming the script and what it printed. */
export function printedValues<K extends string>(script: string, text: string, keys: readonly K[]): Record<K, string> {
  const kv = new Map(text.split('\n').map((l) => l.split('=', 2) as [string, string]).filter((p) => p.length === 2));
  const out = {} as Record<K, string>;
  for (const k of keys) {
    const v = kv.get(k);
    if (v === undefined) throw new Error(`${path.basename(script)} did not print ${k}= (got: ${text})`);
    out[k] = v;
  }
  return out;
}
