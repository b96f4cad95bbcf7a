/**
 * Issue 17 item 4 through a real terminal: `run` under a pseudo-terminal (util-linux `script`)
 * against the lab (Dovecot → Courier), with no logging.file: the progress line is drawn, no JSON
 * log line is printed into it (logs go to a file beside the state, said once), and after an
 * interrupted run the resumed one starts from the done counts and ends at 100 %.
 */
import { execFile } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { generateCorpus, seedSource } from '../lab/corpus.js';
import { addSourceUser, addTargetUser, startLab, uniqueLogin } from '../lab/lab.js';
import { BIN } from '../support/cli.js';
import { writeLabConfig } from '../support/lab-config.js';

/** Runs the CLI on a pseudo-terminal; what the terminal showed (stdout and stderr together). */
function onTty(args: string[], cwd: string): Promise<{ code: number | null; screen: string }> {
  const cmd = [process.execPath, BIN, ...args].map((a) => `'${a.replace(/'/g, `'\\''`)}'`).join(' ');
  return new Promise((resolve) => {
    execFile('script', ['-qfec', `stty cols 220; exec ${cmd}`, '/dev/null'], { cwd, maxBuffer: 64 * 1024 * 1024 }, (err, stdout) => {
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : null) : 0, screen: stdout });
    });
  });
}

/** The progress redraws: each "\r…" segment that starts with a percentage. */
const CLEAR_LINE = `${String.fromCharCode(27)}[2K`;
const redraws = (screen: string): string[] => screen.split(/[\r\n]/).map((l) => l.split(CLEAR_LINE).join('')).filter((l) => /^\s*\d+% \[/.test(l));
const percent = (line: string): number => Number(/^\s*(\d+)%/.exec(line)?.[1]);

test('on a terminal: a progress line against the inventory, logs kept out of it, continuing after a resume and ending at 100 %', async () => {
  const lab = await startLab();
  const password = 'pw-tty-1';
  const login = uniqueLogin('tty');
  await addSourceUser(login, password);
  await addTargetUser(login, password);
  await seedSource(lab, login, password, generateCorpus({ messages: 300, maxSize: 40 * 1024, seed: 23 }));
  const { dir, file } = writeLabConfig(lab, { source: login, target: login, password }, [
    'concurrency:', '  tasks: 1', '  batchSize: 10', '  writersPerTask: 1', 'filters:', '  before: 2022-06-01',
  ]);
  // no logging.file: the progress line must not get log lines between its redraws
  writeFileSync(file, readFileSync(file, 'utf8').replace('logging:\n  level: info\n  file: ./run.log\n', 'logging:\n  level: info\n'));

  // A first pass with the older messages only (pre-staging): it ends at 100 % of what it migrates.
  const first = await onTty(['run', '-c', file], dir);
  expect(first.code).toBe(0);
  expect(first.screen).toContain(`Logging to ${join(dir, 'ums-migrate.log')} (logging.file is not set).`);
  expect(first.screen).not.toMatch(/"level":\d+/); // no pino JSON on the terminal
  expect(readFileSync(join(dir, 'ums-migrate.log'), 'utf8')).toMatch(/"msg":"run started"/);
  const one = redraws(first.screen);
  expect(one.length).toBeGreaterThan(0);
  expect(one.at(-1)).toMatch(/^100% \[#{20}\] \d+\/\d+ items \| .* \| ETA 0:00 \| /);
  expect(one.join('\n')).toContain(`${login}: `);

  // Then the rest: the line starts from what is done (not from 0), never goes back, and ends at 100 % of all 300.
  writeFileSync(file, readFileSync(file, 'utf8').replace('filters:\n  before: 2022-06-01\n', ''));
  const second = await onTty(['run', '-c', file], dir);
  expect(second.code).toBe(0);
  expect(second.screen).not.toMatch(/"level":\d+/);
  const two = redraws(second.screen);
  const pcts = two.map(percent);
  expect(pcts[0]).toBeGreaterThan(10);
  expect(pcts[0]).toBeLessThan(90);
  expect(pcts.every((p, i) => i === 0 || p >= (pcts[i - 1] as number))).toBe(true);
  expect(two.at(-1)).toMatch(/^100% \[#{20}\] 300\/300 items \| .* \| ETA 0:00 \| /);
}, 300_000);
