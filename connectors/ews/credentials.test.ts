/**
 * Issue 13 items 2 and 4 (runtime) for EWS, over real sockets on loopback: a redirect never takes
 * the Basic/NTLM/Bearer credentials to another origin and its error names the target; the OAuth2
 * token request uses the endpoint's TLS settings (caFile) and refuses an http:// tokenUrl unless
 * allowInsecure is set, before the client secret is sent anywhere.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import pino from 'pino';
import { loopbackCert } from '../../test/support/loopback-cert.js';
import { Semaphore } from '../../src/util/semaphore.js';
import { EwsTransport, type EwsAuth, type EwsEndpoint } from './client.js';
import { getFolder } from './requests.js';
import { seedMailbox } from './sim/seed.js';
import { EwsSim } from './sim/server.js';

const log = pino({ level: 'silent' });
const ALICE = { smtp: 'alice@example.org' };
const APP: Omit<Extract<EwsAuth, { mode: 'oauth2' }>, 'tokenUrl'> = { mode: 'oauth2', clientId: 'app-id', clientSecret: 'app-secret-1', scope: 'https://outlook.office365.com/.default' };

interface Seen { method: string; path: string; auth?: string; body: string }
interface Fake { origin: string; seen: Seen[]; answer: (path: string) => { status: number; headers?: Record<string, string> }; server: http.Server }
const open: { close(): Promise<void> }[] = [];

async function fake(answer: Fake['answer'] = () => ({ status: 404 })): Promise<Fake> {
  const f: Fake = { origin: '', seen: [], answer, server: http.createServer() };
  f.server.on('request', (req: http.IncomingMessage, res: http.ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      f.seen.push({ method: req.method ?? '', path: req.url ?? '', auth: req.headers.authorization, body: Buffer.concat(chunks).toString('utf8') });
      const a = f.answer(req.url ?? '');
      res.writeHead(a.status, a.headers).end();
    });
  });
  await new Promise<void>((resolve) => f.server.listen(0, '127.0.0.1', resolve));
  f.origin = `http://127.0.0.1:${(f.server.address() as AddressInfo).port}`;
  open.push({ close: () => new Promise<void>((resolve) => { f.server.closeAllConnections(); f.server.close(() => resolve()); }) });
  return f;
}

afterEach(async () => {
  for (const o of open.splice(0)) await o.close();
});

function endpoint(url: string, auth: EwsAuth, over: Partial<EwsEndpoint> = {}): EwsEndpoint {
  return {
    url, auth, impersonation: true, tlsVerify: true, version: 'Exchange2013_SP1', maxConcurrent: 2,
    retry: { attempts: 2, baseDelayMs: 1, maxDelayMs: 2 }, maxBackoffMs: 10, timeoutMs: 10_000, ...over,
  };
}

async function call(ep: EwsEndpoint): Promise<unknown> {
  const t = new EwsTransport(ep, log);
  try {
    return await t.call(ALICE, new Semaphore(1), getFolder([{ distinguished: 'msgfolderroot' }]));
  } finally {
    t.close();
  }
}

describe('redirects never carry credentials to another origin', () => {
  test.each<[string, EwsAuth]>([
    ['Basic', { mode: 'basic', username: 'svc', password: 'Basic-pw-1' }],
    ['NTLM', { mode: 'ntlm', username: 'CONTOSO\\svc', password: 'Ntlm-pw-1' }],
    ['OAuth2 Bearer', { ...APP, tokenUrl: '' }],
  ])('%s: a 302 to another host is an error naming it; the other host sees nothing', async (_name, given) => {
    const other = await fake();
    const home = await fake(() => ({ status: 302, headers: { Location: `${other.origin}/EWS/Exchange.asmx` } }));
    let auth = given;
    if (auth.mode === 'oauth2') {
      const sim = new EwsSim();
      sim.addApp(APP.clientId, APP.clientSecret);
      const login = await sim.listen();
      open.push(login);
      auth = { ...auth, tokenUrl: login.tokenUrl };
    }
    await expect(call(endpoint(`${home.origin}/EWS/Exchange.asmx`, auth, { allowInsecure: true }))).rejects.toThrow(
      `Exchange at ${home.origin}/EWS/Exchange.asmx answered HTTP 302, a redirect to ${other.origin}/EWS/Exchange.asmx: not followed, credentials are only sent to the configured ${home.origin}; if that is the right address, set source.url to it`);
    expect(home.seen.at(-1)?.auth).toMatch(/^(Basic|NTLM|Bearer) /);
    expect(other.seen).toEqual([]);
  });

  test('the mailbox\'s own login and a same-origin redirect: not followed either, the target named', async () => {
    const other = await fake();
    const home = await fake(() => ({ status: 301, headers: { Location: '/owa/auth/logon.aspx' } }));
    const t = new EwsTransport(endpoint(`${home.origin}/EWS/Exchange.asmx`, { mode: 'user' }), log);
    try {
      await expect(t.call({ smtp: 'alice@example.org', password: 'Own-pw-1' }, new Semaphore(1), getFolder([{ distinguished: 'inbox' }])))
        .rejects.toThrow(`answered HTTP 301, a redirect to ${home.origin}/owa/auth/logon.aspx: not followed; if that is the right address, set source.url to it`);
    } finally {
      t.close();
    }
    expect(home.seen).toHaveLength(1);
    expect(other.seen).toEqual([]);
  });

  test('OAuth2: a token endpoint redirecting elsewhere is refused before the secret follows; the other host sees nothing', async () => {
    const other = await fake();
    const tokens = await fake(() => ({ status: 307, headers: { Location: `${other.origin}/token` } }));
    await expect(call(endpoint(`${other.origin}/EWS/Exchange.asmx`, { ...APP, tokenUrl: `${tokens.origin}/tenant/token` }, { allowInsecure: true })))
      .rejects.toThrow(`the OAuth2 token endpoint at ${tokens.origin}/tenant/token answered HTTP 307, a redirect to ${other.origin}/token: not followed, credentials are only sent to the configured ${tokens.origin}; if that is the right address, set source.auth.tokenUrl to it`);
    expect(tokens.seen).toHaveLength(1);
    expect(other.seen).toEqual([]);
  });
});

describe('the OAuth2 token request', () => {
  test('an http:// tokenUrl is refused before the client secret is sent; allowInsecure is the explicit opt-in', async () => {
    const tokens = await fake(() => ({ status: 400 }));
    const ews = await fake();
    const ep = endpoint(`${ews.origin}/EWS/Exchange.asmx`, { ...APP, tokenUrl: `${tokens.origin}/tenant/oauth2/v2.0/token` });
    await expect(call(ep)).rejects.toThrow(
      `source.auth.tokenUrl ${tokens.origin}/tenant/oauth2/v2.0/token: http:// sends the client secret in plaintext; use https://, or set allowInsecure: true to permit it`);
    expect(tokens.seen).toEqual([]);
    expect(ews.seen).toEqual([]);
    // Opted in: the request goes out (and this fake refuses it).
    await expect(call({ ...ep, allowInsecure: true })).rejects.toThrow(/token endpoint answered HTTP 400/);
    expect(tokens.seen.map((s) => s.body)).toEqual([expect.stringContaining('client_secret=app-secret-1')]);
    expect(ews.seen).toEqual([]);
  });

  test('over HTTPS on its own origin it trusts the endpoint\'s caFile, exactly as the EWS requests do; without it, a clear error', async () => {
    const cert = loopbackCert();
    const sim = new EwsSim({ busyRate: 0 });
    sim.addApp('app-id', 'app-secret-1');
    seedMailbox(sim, ALICE.smtp, { messages: 1 });
    // Two listeners of one simulator: the token endpoint is another origin (another port) than EWS.
    const ews = await sim.listen({ tls: cert });
    open.push(ews);
    const login = await sim.listen({ tls: cert });
    open.push(login);
    expect(new URL(login.tokenUrl).origin).not.toBe(new URL(ews.url).origin);
    const ep = endpoint(ews.url, { ...APP, tokenUrl: login.tokenUrl }, { ca: cert.cert });
    const messages = await call(ep) as { ok: boolean }[];
    expect(messages.map((m) => m.ok)).toEqual([true]);
    expect(sim.requests.map((r) => r.principal)).toEqual(['app-id']);
    await expect(call({ ...ep, ca: undefined })).rejects.toThrow(
      `the OAuth2 token endpoint at ${new URL(login.tokenUrl).origin}: TLS certificate not trusted (self-signed certificate); set source.caFile to the CA that signed it`);
    expect(sim.requests).toHaveLength(1);
  });
});

test('an upper-case HTTPS:// source.url is HTTPS with the endpoint\'s caFile (it got a plaintext agent: every request failed)', async () => {
  const cert = loopbackCert();
  const sim = new EwsSim({ busyRate: 0 });
  sim.addApp('app-id', 'app-secret-1');
  seedMailbox(sim, ALICE.smtp, { messages: 1 });
  const ews = await sim.listen({ tls: cert });
  open.push(ews);
  const login = await sim.listen({ tls: cert });
  open.push(login);
  const upper = ews.url.replace(/^https:/, 'HTTPS:');
  const messages = await call(endpoint(upper, { ...APP, tokenUrl: login.tokenUrl.replace(/^https:/, 'HTTPS:') }, { ca: cert.cert })) as { ok: boolean }[];
  expect(messages.map((m) => m.ok)).toEqual([true]);
  expect(sim.requests).toHaveLength(1);
});
