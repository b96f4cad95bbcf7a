/** `validate`: every problem in the config, with its YAML path and line. Connects to nothing. */
import { readFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { EXIT } from '../cli/exit-codes.js';
import { printErr, printOut } from '../cli/output.js';
import { formatIssues, validateConfigText } from '../config/load.js';

export async function validateCommand(opts: { config: string }): Promise<number> {
  const file = resolve(opts.config);
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    printErr(`cannot read ${opts.config}: ${(err as Error).message}\n`);
    return EXIT.CONFIG;
  }
  const res = await validateConfigText(text, { baseDir: dirname(file), env: process.env, file });
  const errors = res.issues.filter((i) => i.severity === 'error');
  if (res.issues.length > 0) printErr(`${formatIssues(res.issues, opts.config)}\n`);
  if (errors.length > 0) {
    printErr(`${opts.config}: ${errors.length} error(s)\n`);
    return EXIT.CONFIG;
  }
  printOut(`${opts.config}: valid (${res.mailboxes?.length ?? 0} mailboxes)\n`);
  return EXIT.OK;
}
