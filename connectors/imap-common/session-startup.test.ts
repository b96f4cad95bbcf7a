/**
 * The round trips of opening a connection, traced through the lab's network proxy on Dovecot's
 * plaintext port (the lab allows it): AUTHENTICATE PLAIN carries its initial response (SASL-IR,
 * which Dovecot offers) instead of waiting for a continuation, and ID is sent once.
 */
import pino from 'pino';
import { addSourceUser, startLab, uniqueLogin, type Lab } from '../../test/lab/lab.js';
import { startNetProxy, type NetProxy } from '../../test/lab/netproxy.js';
import { connectImap, type ImapEndpoint } from './endpoint.js';

let lab: Lab;
let proxy: NetProxy;
beforeAll(async () => {
  lab = await startLab();
  proxy = await startNetProxy({ host: lab.source.host, port: lab.source.port });
});
afterAll(() => proxy.close());

test('login with SASL-IR and one ID', async () => {
  const login = uniqueLogin('saslir');
  await addSourceUser(login, 'secret-1');
  const toServer: string[] = [];
  const toClient: string[] = [];
  proxy.tap((dir, chunk) => (dir === 'toServer' ? toServer : toClient).push(chunk.toString('latin1')));
  const ep: ImapEndpoint = {
    host: '127.0.0.1', port: proxy.port, tls: 'none', allowInsecure: true, tlsVerify: true, maxConnections: 1, auth: { mode: 'user' }, autoEnable: true,
  };
  const client = await connectImap(ep, { login, password: 'secret-1' }, pino({ level: 'silent' }), 'source');
  proxy.tap(undefined);
  await client.logout();
  const sent = toServer.join('').split('\r\n').filter((l) => l.length > 0);
  const received = toClient.join('');
  expect(received).toContain('SASL-IR');
  const auth = sent.filter((l) => / AUTHENTICATE /i.test(l));
  expect(auth).toHaveLength(1);
  expect(auth[0]).toMatch(/ AUTHENTICATE PLAIN [A-Za-z0-9+/]+=*$/);
  expect(Buffer.from(auth[0]!.split(' ').pop()!, 'base64').toString()).toBe(`\u0000${login}\u0000secret-1`);
  // No continuation request was needed, and nothing was sent as its answer.
  expect(received).not.toMatch(/^\+/m);
  expect(sent.filter((l) => / ID /i.test(l))).toHaveLength(1);
});
