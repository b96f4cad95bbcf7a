/**
 * `demo` (npm run demo): the whole product on an embedded default. Starts the lab (Dovecot as
 * the old server, Courier-IMAP as the UMS, both on loopback with TLS), seeds a sample mailbox,
 * shows the plan, migrates, runs again to show that nothing is copied twice, prints the status.
 */
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { generateCorpus, seedSource } from '../../test/lab/corpus.js';
import { addSourceUser, addTargetUser, installLab, startLab, uniqueLogin } from '../../test/lab/lab.js';
import { writeLabConfig } from '../../test/support/lab-config.js';
import { EXIT } from '../util/exit-codes.js';
import { planCommand } from './plan.js';
import { runCommand } from './run.js';
import { statusCommand } from './status.js';

export async function demoCommand(opts: { messages: number }): Promise<number> {
  const say = (s: string) => process.stdout.write(`\n### ${s}\n`);
  say('Installing the lab packages if missing (Debian: courier-imap, dovecot-core, …)');
  await installLab();
  say('Starting the lab: Dovecot (source) and Courier-IMAP (UMS target) on 127.0.0.1');
  const lab = await startLab();
  const source = uniqueLogin('demo');
  const target = source;
  const password = randomBytes(12).toString('hex');
  await addSourceUser(source, password);
  await addTargetUser(target, password);
  const corpus = generateCorpus({ messages: opts.messages, maxSize: 512 * 1024, seed: 42 });
  say(`Seeding ${corpus.length} messages into ${source} on Dovecot`);
  await seedSource(lab, source, password, corpus);

  const { file: configFile } = writeLabConfig(lab, { source, target, password }, [], join(lab.dir, 'demo', source));
  process.stdout.write(`config: ${configFile}\n`);

  say('ums-migrate plan (read-only)');
  await planCommand({ config: configFile });
  say('ums-migrate run');
  const first = await runCommand({ config: configFile, json: false });
  say('ums-migrate run again (nothing new: every folder is skipped, nothing is copied twice)');
  await runCommand({ config: configFile, json: false });
  say('ums-migrate status --problems');
  await statusCommand({ config: configFile, problems: true });
  process.stdout.write(`\nTry it yourself:\n  node bin/ums-migrate.js status -c ${configFile} --folders\n`);
  return first === EXIT.OK ? EXIT.OK : first;
}
