/**
 * One contender of the run-lock race test (src/state/run-lock.test.ts), a process of its own:
 * `node --import tsx test/support/run-lock-contender.ts`. Line protocol on stdin/stdout:
 *   → "ready"
 *   ← "go <epoch ms> <lock file> <shared file>"   spin until then, then try to take the lock:
 *   → "held"       (appended "enter <pid>" to the shared file) … ← "release" → "released"
 *                  (appended "leave <pid>" first, then released the lock)
 *   → "busy"       another holds it (LockHeldError)
 *   → "error <message>"
 *   ← "exit"
 */
import { appendFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { acquireRunLock, LockHeldError } from '../../src/state/run-lock.js';

const say = (line: string) => process.stdout.write(`${line}\n`);
let release: (() => void) | undefined;

const lines = createInterface({ input: process.stdin });
lines.on('line', (line) => {
  const [verb, ...args] = line.split(' ');
  if (verb === 'go') {
    const [at, file, shared] = args as [string, string, string];
    while (Date.now() < Number(at)) { /* spin: every contender starts at the same moment */ }
    try {
      release = acquireRunLock(file, 'race');
      appendFileSync(shared, `enter ${process.pid}\n`);
      say('held');
    } catch (err) {
      say(err instanceof LockHeldError ? 'busy' : `error ${(err as Error).message}`);
    }
  } else if (verb === 'release') {
    appendFileSync(args[0] ?? '/dev/null', `leave ${process.pid}\n`);
    release?.();
    release = undefined;
    say('released');
  } else if (verb === 'exit') {
    lines.close();
    process.exit(0);
  }
});
say('ready');
