/**
 * ews (Exchange Web Services) through the source conformance suite, against the EWS simulator
 * (msw, in-process; the only simulated server): the reference mailbox of sim/seed.ts. An item
 * turns unreadable by making GetItem answer it with ErrorMimeContentConversionFailed.
 */
import { setupServer } from 'msw/node';
import { addMessage } from '../../connectors/ews/sim/items.js';
import { mime, seedMailbox } from '../../connectors/ews/sim/seed.js';
import { EwsSim } from '../../connectors/ews/sim/server.js';
import { EwsSource } from '../../connectors/ews/source.js';
import { describeSourceConnector } from './source-suite.js';
import { silentLog } from './file-fixtures.js';

const ALICE = 'alice@example.org';
const server = setupServer();
beforeAll(() => server.listen({ onUnhandledRequest: 'error' }));
afterAll(() => server.close());

describeSourceConnector('ews', async () => {
  const sim = new EwsSim();
  sim.addUser('svc-migrate', 'S3cret!', { canImpersonate: true });
  server.resetHandlers(...sim.handlers());
  seedMailbox(sim, ALICE, { messages: 12 });
  return {
    connector: () => new EwsSource({
      url: sim.url, auth: { mode: 'basic', username: 'svc-migrate', password: 'S3cret!' }, impersonation: true, tlsVerify: true, version: 'Exchange2013_SP1',
      maxConcurrent: 4, retry: { attempts: 4, baseDelayMs: 1, maxDelayMs: 10 }, maxBackoffMs: 50, timeoutMs: 10_000,
    }, silentLog, 2),
    account: { login: ALICE },
    async spoil(_c, item) {
      const found = sim.store.mailbox(ALICE)?.items.get(item.id);
      if (!found || found.element !== 'Message') return undefined;
      found.failWith = 'ErrorMimeContentConversionFailed';
      return item.id.slice(0, 24);
    },
    async grow(c) {
      addMessage(sim.store, ALICE, c.id, { mime: mime(50), subject: 'Nachricht 50', received: '2024-02-01T10:00:00Z' });
    },
    async cleanup() { server.resetHandlers(); },
  };
});
