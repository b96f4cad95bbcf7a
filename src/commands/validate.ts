/**
 * `validate`: every problem in the config in one run (YAML syntax, schema, the user-map CSV,
 * secret references, CA files), in file order, with its YAML path and line. Connects to nothing;
 * says where the state store is and how it will be reached (TLS or not, which CA).
 */
import { readFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { EXIT } from '../util/exit-codes.js';
import { printErr, printOut } from '../cli/output.js';
import { formatIssues, validateConfigText } from '../config/load.js';
import { unreadableConfigMessage } from '../config/package-files.js';

export async function validateCommand(opts: { config: string }): Promise<number> {
  const file = resolve(opts.config);
  let bytes: Buffer;
  try {
    bytes = await readFile(file);
  } catch (err) {
    printErr(`${unreadableConfigMessage(file, err)}\n`);
    return EXIT.CONFIG;
  }
  // Bytes, not text: a byte that is not UTF-8 is an error at its line and column.
  const res = validateConfigText(bytes, { baseDir: dirname(file), env: process.env, file });
  const errors = res.issues.filter((i) => i.severity === 'error').length;
  const warnings = res.issues.length - errors;
  if (res.issues.length > 0) printErr(`${formatIssues(res.issues, opts.config)}\n`);
  if (errors > 0) {
    const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;
    printErr(`${opts.config}: ${plural(errors, 'error')}${warnings > 0 ? `, ${plural(warnings, 'warning')}` : ''}\n`);
    return EXIT.CONFIG;
  }
  printOut(`${opts.config}: valid (${res.mailboxes?.length ?? 0} mailboxes)\n`);
  if (res.stateStore !== undefined) printOut(`state store: ${res.stateStore}\n`);
  return EXIT.OK;
}
