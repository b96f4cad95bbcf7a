/**
 * Runs the EWS simulator as a local endpoint (for `npm run demo`, benchmarks or trying a config):
 *
 *   npm run ews-sim -- [--port 8443] [--mailboxes alice@example.org,bob@example.org] [--messages 50] [--tls key.pem,cert.pem]
 *
 * Seeds each mailbox with the reference data (seed.ts), accepts the service account
 * svc-migrate / EWS_SIM_PASSWORD (default "sim-password") with the impersonation right, and
 * prints the source section to put into migration.yaml. Ctrl-C stops it.
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { seedMailbox } from './seed.js';
import { EwsSim } from './server.js';

const { values } = parseArgs({
  options: {
    port: { type: 'string', default: '0' },
    mailboxes: { type: 'string', default: 'alice@example.org,bob@example.org' },
    messages: { type: 'string', default: '20' },
    tls: { type: 'string' },
  },
});

const sim = new EwsSim();
const password = process.env.EWS_SIM_PASSWORD ?? 'sim-password';
sim.addUser('svc-migrate', password, { canImpersonate: true });
for (const smtp of (values.mailboxes ?? '').split(',').map((s) => s.trim()).filter(Boolean)) {
  seedMailbox(sim, smtp, { messages: Number(values.messages) });
}
const [key, cert] = values.tls ? values.tls.split(',') : [];
const server = await sim.listen({
  port: Number(values.port), ...(key && cert ? { tls: { key: readFileSync(key, 'utf8'), cert: readFileSync(cert, 'utf8') } } : {}),
});
process.stdout.write(`EWS simulator listening on ${server.url}\n\nsource:\n  type: ews\n  url: ${server.url}\n`
  + `${server.url.startsWith('http:') ? '  allowInsecure: true\n' : `  caFile: ${cert}\n`}`
  + '  auth:\n    mode: master\n    masterUser: svc-migrate\n    masterPassword: env:EWS_SIM_PASSWORD\n');
process.on('SIGINT', () => { void server.close().then(() => process.exit(0)); });
