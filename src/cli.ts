/**
 * ums-migrate command line. This file only wires commands; each lives in src/commands/ and is
 * imported when used. One catch at the bottom maps error classes to exit codes (util/exit-codes)
 * and prints the error through cli/output (secrets scrubbed, control characters escaped). Every
 * string written to stdout/stderr is scrubbed of resolved secrets (installOutputScrubbing).
 */
import { Command, InvalidArgumentError } from 'commander';
import { EXIT } from './util/exit-codes.js';
import { installOutputScrubbing, printErr } from './cli/output.js';
import { packageVersion } from './config/package-files.js';
import { coerceError } from './util/errors.js';

installOutputScrubbing();

const program = new Command();
// Commander's own errors quote the offending argument ("unknown option '…'", "argument '…' is
// invalid"): through printErr, so a hostile argument cannot put raw control characters on the
// terminal. Set before the subcommands are added: they copy it.
program.configureOutput({ writeErr: (text) => printErr(text) });
const collect = (v: string, prev: string[] = []) => [...prev, v];
const positiveInt = (v: string) => {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError('expected a whole number ≥ 1');
  return n;
};
const nonNegativeInt = (v: string) => {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0) throw new InvalidArgumentError('expected a whole number ≥ 0');
  return n;
};
const configOption = ['-c, --config <file>', 'migration config (YAML)', 'migration.yaml'] as const;

program
  .name('ums-migrate')
  .description('Migrate mail, calendars, contacts and directories from Exchange (EWS), IMAP servers, PST/.msg files and Kopano'
    + ' into the UMS (Courier-IMAP, CalDAV/CardDAV, LDAP, Postfix).')
  .version(packageVersion(), '-V, --version', 'print the version')
  .showHelpAfterError();

program.command('validate')
  .description('check the config: every problem in one run (syntax, keys and values, user-map CSV, secret references, files), in file order, with its line; connects to nothing')
  .option(...configOption)
  .action(async (o) => finish((await import('./commands/validate.js')).validateCommand(o)));

program.command('plan')
  .description('dry run: log in on both sides, check access, list folders with counts, sizes and their UMS names; writes nothing')
  .option(...configOption)
  .option('-m, --mailbox <login>', 'only this mailbox (repeatable)', collect)
  .option('--json', 'machine-readable output')
  .option('--items', "also each included folder's first page as the next run would plan it (copy, skip with the reason, already done)")
  .action(async (o) => finish((await import('./commands/plan.js')).planCommand(o)));

const RUN_LIKE = {
  run: 'migrate; checkpointed after every batch, safe to interrupt and run again',
  resume: 'continue an interrupted run (same as run)',
  sync: 'the nightly delta: new messages, flag changes and (with sync.deletions: mirror) deletions since the last run; same as run, for schedulers',
} as const;
for (const name of ['run', 'resume', 'sync'] as const) {
  program.command(name)
    .description(RUN_LIKE[name])
    .option(...configOption)
    .option('-m, --mailbox <login>', 'only this mailbox (repeatable)', collect)
    .option('--concurrency <n>', 'folders in flight (overrides concurrency.tasks)', positiveInt)
    .option('--json', 'print the run report as JSON')
    .action(async (o) => finish((await import('./commands/run.js')).runCommand({ ...o, command: name })));
}

program.command('retry')
  .description('try again only the messages that failed before (see status --problems); lists nothing new')
  .requiredOption('--failed', 'the failed messages (required: the only kind of retry there is)')
  .option(...configOption)
  .option('-m, --mailbox <login>', 'only this mailbox (repeatable)', collect)
  .option('--json', 'print the run report as JSON')
  .action(async (o) => finish((await import('./commands/run.js')).runCommand({ ...o, command: 'retry' })));

program.command('status')
  .description('progress per mailbox from the state store; contacts no server')
  .option(...configOption)
  .option('--folders', 'also list every folder')
  .option('--problems', 'also list failed and skipped items with their reasons')
  .option('--json', 'machine-readable output')
  .action(async (o) => finish((await import('./commands/status.js')).statusCommand(o)));

program.command('report')
  .description('progress report for project managers (HTML with charts, CSV or JSON) from the state store; contacts no server')
  .option(...configOption)
  .requiredOption('-o, --out <file>', 'required: the file to write (replaced atomically)')
  .option('--format <format>', 'html, csv or json (default: from the --out extension, else html)', (v: string) => {
    if (!['html', 'csv', 'json'].includes(v)) throw new InvalidArgumentError('expected html, csv or json');
    return v;
  })
  .option('--show-subjects', 'allow subjects and correspondents\' addresses in item-level sections; the report has none yet, so this changes nothing today (without it they are never shown)')
  .action(async (o) => finish((await import('./commands/report.js')).reportCommand(o)));

program.command('dashboard')
  .description('the progress report live in a browser while runs go on: read-only, on 127.0.0.1:8765, protected by a token printed at start; contacts no server')
  .option(...configOption)
  .option('--listen <host:port>', 'address to serve on (loopback only unless --allow-remote)', '127.0.0.1:8765')
  .option('--allow-remote', 'allow a --listen address that is not loopback')
  .option('--token-file <file>', 'read the access token from this file (first line) instead of a random one; or set UMS_DASHBOARD_TOKEN')
  .option('--refresh <seconds>', 'how often the page refreshes itself', positiveInt, 5)
  .action(async (o) => finish((await import('./commands/dashboard.js')).dashboardCommand(o)));

program.command('reconcile')
  .description('compare both sides item by item (re-reads them; the state store only explains); exit 0 equal, 6 differences, 1 errors')
  .option(...configOption)
  .option('-m, --mailbox <login>', 'only this mailbox (repeatable)', collect)
  .option('--format <format>', 'text | json | csv', 'text')
  .option('--out <file>', 'write to a file instead of stdout')
  .option('--show-subjects', 'show subjects and raw Message-IDs of the differing items (otherwise named by folder, UID, date, size and a hash)')
  .option('--years-back <n>', 'calendars: compare occurrences from n years before now (default 2)', nonNegativeInt)
  .option('--years-ahead <n>', 'calendars: compare occurrences up to n years after now (default 5)', nonNegativeInt)
  .action(async (o) => finish((await import('./commands/reconcile.js')).reconcileCommand(o)));

program.command('enqueue')
  .description('scale-out: put the configured mailboxes on the PostgreSQL queue for `worker` processes (one job per mailbox; re-enqueuing replaces a waiting job)')
  .option(...configOption)
  .option('-m, --mailbox <login>', 'only this mailbox (repeatable)', collect)
  .option('--failed', 'the jobs retry only the items that failed before')
  .option('--json', 'machine-readable output')
  .action(async (o) => finish((await import('./commands/worker.js')).enqueueCommand(o)));

program.command('worker')
  .description('scale-out: take mailbox jobs from the PostgreSQL queue until stopped (run any number, on any number of machines, with the same config)')
  .option(...configOption)
  .option('--jobs <n>', 'mailboxes this process migrates at once (default: workers.concurrency, else concurrency.mailboxes)', positiveInt)
  .option('--exit-when-idle', 'stop once no job is waiting, retrying or running (batch mode, tests, benchmarks)')
  .action(async (o) => finish((await import('./commands/worker.js')).workerCommand({ config: o.config, jobs: o.jobs, exitWhenIdle: o.exitWhenIdle })));

program.command('discover')
  .description('list the mailboxes of the source directory (directory.source; shared/room/equipment marked) and compare them with the config; --out writes the user map')
  .option(...configOption)
  .option('-o, --out <file>', 'write the user map (source,target,wave,mailboxType) to this CSV file (0600)')
  .option('--json', 'machine-readable output')
  .action(async (o) => finish((await import('./commands/discover.js')).discoverCommand(o)));

const directory = program.command('directory').description('directory sync: Active Directory or LDAP → the UMS directory (directory: section)');
directory.command('sync')
  .description('add and update UMS directory entries from the source directory; only changes are written, only entries changed since the last run are read (--full reads all)')
  .option(...configOption)
  .option('--dry-run', 'print the LDIF that would be applied; write nothing')
  .option('--full', 'read every source entry, not only those changed since the last run')
  .option('--json', 'machine-readable report')
  .option('--out <file>', 'write the LDIF / report to a file instead of stdout')
  .action(async (o) => finish((await import('./commands/directory.js')).directorySyncCommand(o)));

const db = program.command('db').description('the state store\'s database');
db.command('migrate')
  .description('create or upgrade the schema of the configured state store (SQLite file or PostgreSQL) and print its version')
  .option(...configOption)
  .option('--json', 'machine-readable output')
  .action(async (o) => finish((await import('./commands/db.js')).dbMigrateCommand(o)));

program.command('cutover')
  .description('record users as cut over to the UMS (or back on Exchange with --undo) once their mailbox passes the gate, audited; the maps change with `routing publish`, or drive a whole wave with --final-sync')
  .option(...configOption)
  .option('-u, --user <name>', 'user by key, login or address (repeatable)', collect)
  .option('--batch <file>', 'CSV with a key, login, user or mail column')
  .option('--wave <name>', 'the mailboxes of this wave (the userMap\'s wave column)')
  .option('--undo', 'back to Exchange')
  .option('--force', 'cut over even users whose mailbox fails the gate (audited with the checks skipped)')
  .option('--final-sync', 'with --wave/--batch: final delta, gate, cutover, publish, second delta; resumable')
  .option('--rollback', 'with --wave/--batch: restore the maps from before the wave and put its users back on Exchange')
  .option('--json', 'machine-readable output')
  .action(async (o) => finish((await import('./commands/cutover.js')).cutoverCommand(o)));

program.command('approve')
  .description('accept a mailbox\'s current failed and skipped items for cutover (recorded in the audit log)')
  .option(...configOption)
  .requiredOption('-m, --mailbox <login>', 'the mailbox, by source or UMS login')
  .requiredOption('--reason <text>', 'why these items may stay behind')
  .option('--json', 'machine-readable output')
  .action(async (o) => finish((await import('./commands/approve.js')).approveCommand(o)));

const routing = program.command('routing').description('split-domain coexistence routing: Postfix maps and the Exchange-side plan');
routing.command('generate')
  .description('write the Postfix maps and the Exchange plan from the address book and the cutover state, for review; changes nothing live')
  .option(...configOption)
  .option('-o, --out <dir>', 'output directory (default: <routing.mapDir>/generated)')
  .option('--json', 'machine-readable output')
  .action(async (o) => finish((await import('./commands/routing.js')).routingGenerateCommand(o)));
routing.command('publish')
  .description('publish the maps atomically as a new version (postmap, swap, postfix reload), keeping the previous one; audited')
  .option(...configOption)
  .option('--force', 'publish even when nothing changed, the address book has problems, or most recipients would be removed')
  .option('--json', 'machine-readable output')
  .action(async (o) => finish((await import('./commands/routing.js')).routingPublishCommand(o)));
routing.command('rollback')
  .description('make the previous published version current again (postfix reload); audited')
  .option(...configOption)
  .option('--json', 'machine-readable output')
  .action(async (o) => finish((await import('./commands/routing.js')).routingRollbackCommand(o)));
routing.command('check <address>')
  .description('which system receives mail for an address and why, compared with the published maps (postmap -q)')
  .option(...configOption)
  .option('--json', 'machine-readable output')
  .action(async (address: string, o) => finish((await import('./commands/routing.js')).routingCheckCommand(address, o)));

program.command('demo')
  .description('start the lab servers (Dovecot → Courier-IMAP on loopback), seed a sample mailbox, migrate it, print the report')
  .option('--messages <n>', 'messages in the sample mailbox', positiveInt, 300)
  .action(async (o) => finish((await import('./commands/demo.js')).demoCommand(o)));

async function finish(p: Promise<number>): Promise<void> {
  process.exitCode = await p;
}

program.parseAsync(process.argv).catch(async (err: unknown) => {
  const { ConfigError } = await import('./config/load.js');
  const { LockHeldError, PgLockHeldError } = await import('./state/run-lock.js');
  if (err instanceof ConfigError) {
    printErr(`${err.message}\n`);
    process.exitCode = EXIT.CONFIG;
  } else if (err instanceof LockHeldError || err instanceof PgLockHeldError) {
    printErr(`ums-migrate: ${err.message}\n`);
    process.exitCode = EXIT.LOCKED;
  } else {
    const e = coerceError(err);
    printErr(`ums-migrate: ${e.message || String(err)}\n`);
    if (process.env.UMS_DEBUG) printErr(`${e.stack ?? ''}\n`);
    process.exitCode = EXIT.ERROR;
  }
});
