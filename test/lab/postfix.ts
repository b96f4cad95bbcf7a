/**
 * A private Postfix for the coexistence routing tests: thin TypeScript front of
 * `test/lab/postfix.sh` (smtpd on 127.0.0.1:12525, config/queue/data in `<lab>/postfix`), plus
 * the queue and log checks the tests make. `startPostfix` is idempotent (writes the config and
 * starts or reloads) and serialised by the script's flock.
 */
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { LAB_SCRIPT, labDir } from './lab.js';

export const POSTFIX_SCRIPT = path.join(path.dirname(LAB_SCRIPT), 'postfix.sh');
export const POSTFIX_HOST = '127.0.0.1';
export const POSTFIX_PORT = 12525;

function run(file: string, args: string[], timeoutMs = 120_000): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(file, args, { env: { ...process.env, UMS_LAB_DIR: labDir() }, timeout: timeoutMs, maxBuffer: 16 * 1024 * 1024 }, (error, stdout, stderr) => {
      if (error) reject(new Error(`${path.basename(file)} ${args.join(' ')} failed: ${error.message.split('\n')[0]}\n${stderr.trim()}`));
      else resolve(stdout.trim());
    });
  });
}

export function postfixDir(): string {
  return path.join(labDir(), 'postfix');
}

/** The instance's config directory (routing.postfixConfigDir, postfix -c, postmap -c). */
export function postfixConfigDir(): string {
  return path.join(postfixDir(), 'etc');
}

/** Starts (or reloads) the instance with the maps below `mapDir/current` and these relay domains. */
export async function startPostfix(mapDir: string, relayDomains: string[]): Promise<string> {
  return run('bash', [POSTFIX_SCRIPT, 'up', mapDir, relayDomains.join(',')]);
}

export async function stopPostfix(): Promise<void> {
  await run('bash', [POSTFIX_SCRIPT, 'down']);
}

/** Messages in the queue (incoming, active, deferred, hold), from `postqueue -j`. */
export async function queuedMessages(): Promise<{ queue_id: string; queue_name: string; recipients: { address: string; delay_reason?: string }[] }[]> {
  const out = await run('/usr/sbin/postqueue', ['-c', postfixConfigDir(), '-j']);
  return out === '' ? [] : out.split('\n').map((l) => JSON.parse(l));
}

/** Waits until the queue is empty: every accepted message was delivered (or bounced, which the log shows). */
export async function waitForEmptyQueue(timeoutMs = 30_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const q = await queuedMessages();
    if (q.length === 0) return;
    if (Date.now() > until) throw new Error(`Postfix queue not empty after ${timeoutMs} ms: ${JSON.stringify(q)}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** The instance's log (maillog_file), '' before the first start. */
export function maillog(): string {
  try {
    return readFileSync(path.join(postfixDir(), 'maillog'), 'utf8');
  } catch {
    return '';
  }
}
