/**
 * Opens and migrates the SQLite state file named in argv[2] at the wall-clock time argv[3] (ms),
 * as a run or the dashboard does at start, and registers one mailbox; prints `ok` or `ERR <why>`,
 * then how late it reached that moment in ms (0: it was waiting for it, as the race needs).
 * Several of these started together race on a file that does not exist yet (sqlite-race.test.ts).
 */
import { SqliteStateStore } from '../../src/state/sqlite.js';

const [file, at] = process.argv.slice(2);
const start = Number(at);
const late = Math.max(0, Date.now() - start);
while (Date.now() < start) { /* line the processes up on the same moment */ }
try {
  const store = new SqliteStateStore(file as string);
  await store.migrate();
  await store.mailboxId({ source: `s${process.pid}`, target: 't' });
  await store.close();
  process.stdout.write(`ok\n${late}\n`);
} catch (err) {
  process.stdout.write(`ERR ${(err as Error).message}\n${late}\n`);
}
