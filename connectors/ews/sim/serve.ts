/**
 * Runs the EWS simulator as a local endpoint (for `npm run demo`, benchmarks or trying a config):
 *
 *   npm run ews-sim -- [--port 8443] [--mailboxes alice@example.org,bob@example.org] [--messages 20] [--tls key.pem,cert.pem]
 *
 * Seeds each mailbox with the reference data (seed.ts), accepts the service account
 * svc-migrate / EWS_SIM_PASSWORD (default "sim-password") with the impersonation right, and
 * prints what it serves (mailboxes, the account and where its password comes from) and the
 * `source:` and `mailboxes:` sections to put into migration.yaml. Ctrl-C stops it.
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { seedMailbox } from './seed.js';
import { EwsSim } from './server.js';
import { coerceError } from '../../../src/util/errors.js';

const USAGE = `Usage: npm run ews-sim -- [options]

Serves the EWS simulator (connectors/ews/sim/) with seeded mailboxes and prints the matching
source: and mailboxes: sections for migration.yaml. Ctrl-C stops it.

Options:
  --port <n>             TCP port on 127.0.0.1 (default: 0, any free port)
  --mailboxes <list>     comma-separated SMTP addresses to seed (default: alice@example.org,bob@example.org)
  --messages <n>         mail messages per mailbox, besides the calendar, contacts and tasks (default: 20)
  --tls <key,cert>       PEM key and certificate files: serve https:// instead of http://
  -h, --help             this text

The service account is svc-migrate; its password is the value of EWS_SIM_PASSWORD (default: sim-password).
`;

function fail(message: string): never {
  process.stderr.write(`ews-sim: ${message}\n\n${USAGE}`);
  process.exit(2);
}

let values: { port?: string; mailboxes?: string; messages?: string; tls?: string; help?: boolean };
try {
  ({ values } = parseArgs({
    options: {
      port: { type: 'string', default: '0' },
      mailboxes: { type: 'string', default: 'alice@example.org,bob@example.org' },
      messages: { type: 'string', default: '20' },
      tls: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  }));
} catch (err) {
  fail(coerceError(err).message);
}
if (values.help) {
  process.stdout.write(USAGE);
  process.exit(0);
}
const port = Number(values.port);
if (!Number.isInteger(port) || port < 0 || port > 65535) fail(`--port: expected a port number, got ${JSON.stringify(values.port)}`);
const messages = Number(values.messages);
if (!Number.isInteger(messages) || messages < 0) fail(`--messages: expected a whole number, got ${JSON.stringify(values.messages)}`);
const mailboxes = (values.mailboxes ?? '').split(',').map((s) => s.trim()).filter(Boolean);
if (mailboxes.length === 0) fail('--mailboxes: expected at least one address');
const [key, cert] = values.tls ? values.tls.split(',') : [];
if (values.tls && (!key || !cert)) fail('--tls: expected key.pem,cert.pem');

const sim = new EwsSim();
const passwordSet = process.env.EWS_SIM_PASSWORD !== undefined && process.env.EWS_SIM_PASSWORD !== '';
sim.addUser('svc-migrate', passwordSet ? process.env.EWS_SIM_PASSWORD! : 'sim-password', { canImpersonate: true });
for (const smtp of mailboxes) seedMailbox(sim, smtp, { messages });
let server: Awaited<ReturnType<EwsSim['listen']>>;
try {
  server = await sim.listen({ port, ...(key && cert ? { tls: { key: readFileSync(key, 'utf8'), cert: readFileSync(cert, 'utf8') } } : {}) });
} catch (err) {
  fail(coerceError(err).message);
}
const loginOf = (smtp: string) => smtp.split('@')[0]!.toLowerCase().replace(/[^a-z0-9._-]/g, '-');
const envOf = (smtp: string) => `UMS_PW_${loginOf(smtp).toUpperCase().replace(/[^A-Z0-9]/g, '_')}`;
process.stdout.write([
  `EWS simulator listening on ${server.url}`,
  `mailboxes: ${mailboxes.join(', ')} (German folder names; ${messages} mail messages each across the inbox, sent items and Projekte/Q3 below the inbox; a calendar with a recurring meeting, contacts, a distribution list and tasks)`,
  `service account: svc-migrate with the impersonation right; password: the value of EWS_SIM_PASSWORD${passwordSet ? '' : ', unset: "sim-password" (export EWS_SIM_PASSWORD=sim-password for the section below)'}`,
  '',
  '# for migration.yaml (the UMS logins and their password variables are examples: use yours)',
  'source:',
  '  type: ews',
  `  url: ${server.url}`,
  server.url.startsWith('http:') ? '  allowInsecure: true' : `  caFile: ${cert}`,
  '  auth:',
  '    mode: master',
  '    masterUser: svc-migrate',
  '    masterPassword: env:EWS_SIM_PASSWORD',
  'mailboxes:',
  ...mailboxes.flatMap((smtp) => [`  - source: ${smtp}`, `    target: ${loginOf(smtp)}`, `    targetPassword: env:${envOf(smtp)}`]),
  '',
].join('\n'));
process.on('SIGINT', () => { void server.close().then(() => process.exit(0)); });
process.on('SIGTERM', () => { void server.close().then(() => process.exit(0)); });
