/**
 * The EWS simulator (the project's only simulator: no open-source Exchange exists). Stateful
 * msw handlers for the Exchange endpoint and an OAuth2 token endpoint, usable in-process
 * (`setupServer(...sim.handlers())` in jest) or as a real local HTTP endpoint (`sim.listen()`,
 * for `npm run demo` and the benchmarks: the same handlers behind node:http).
 *
 * What it checks and injects:
 * - auth: Basic or NTLMv2 (users), or Bearer (tokens from the client-credentials endpoint); else
 *   401. NTLM authenticates the connection when served by `listen()`; in-process every request
 *   needs its own handshake.
 * - ExchangeImpersonation: only principals allowed to impersonate; otherwise the documented
 *   ErrorImpersonateUserDenied fault; an unknown mailbox is ErrorNonExistentMailbox.
 * - faults: `fault(ctx)` decides per request: ErrorServerBusy with BackOffMilliseconds, an HTTP
 *   status (503/429 with Retry-After), or a dropped connection.
 * - unkind by default, as a real Exchange 2019 / Online: ErrorServerBusy inside a response
 *   message now and then (seeded), varying ServerVersionInfo, faults with newlines inside their
 *   codes; see operations.ts, items.ts and store.ts for the shapes of items, keys and states.
 * - it records every request and the highest number of requests in flight (overall and per
 *   mailbox), so tests can check request caps.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createTlsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { getResponse, http, HttpResponse, type RequestHandler } from 'msw';
import { kid, kids, parseXml, textOf } from '../xml.js';
import { challengeMessage, ntlmType, verifyAuthenticate } from './ntlm.js';
import { answer, busyMessage, faultEnvelope, SoapFault } from './operations.js';
import { EwsSimStore } from './store.js';
import { seededRandom } from '../../../src/util/seeded-random.js';

export type SimFault =
  | { type: 'busy'; backOffMs: number }
  | { type: 'http'; status: 503 | 429 | 500; retryAfterSeconds?: number }
  | { type: 'reset' };

export interface SimRequest { n: number; operation: string; mailbox?: string; principal?: string; status: number; /** Answered with an injected ErrorServerBusy response message (the unkind default). */ busy?: boolean }

export interface EwsSimOptions {
  /** The EWS URL (default https://ews.sim.test/EWS/Exchange.asmx). */
  url?: string;
  /** The OAuth2 token URL (default https://login.sim.test/tenant/oauth2/v2.0/token). */
  tokenUrl?: string;
  /** Delay per EWS request, so concurrency becomes observable. */
  latencyMs?: number;
  /**
   * Share of GetItem/FindItem/SyncFolderItems/GetAttachment requests answered with ErrorServerBusy
   * inside the response message (as Exchange Online throttles), from a seeded generator (default
   * 0.04, seed 11): deterministic per run. 0 turns it off.
   */
  busyRate?: number;
  seed?: number;
}

const BUSY_OPS = new Set(['GetItem', 'FindItem', 'SyncFolderItems', 'GetAttachment']);

interface Principal { name: string; canImpersonate: boolean; ownMailbox?: string }

const XML = { 'Content-Type': 'text/xml; charset=utf-8' };
/** Set by the HTTP listener: which connection a request came on (NTLM state). */
const CONNECTION = 'x-ews-sim-connection';

export class EwsSim {
  readonly store = new EwsSimStore();
  readonly url: string;
  readonly tokenUrl: string;
  latencyMs: number;
  busyRate: number;
  private readonly random: () => number;
  /** Decides a fault for the n-th EWS request (1-based), or none. */
  fault?: (ctx: { n: number; operation: string; mailbox?: string }) => SimFault | undefined;
  readonly requests: SimRequest[] = [];
  maxInFlight = 0;
  readonly maxInFlightPerMailbox = new Map<string, number>();
  private inFlight = 0;
  private readonly inFlightPer = new Map<string, number>();
  private readonly users = new Map<string, { password: string } & Principal>();
  private readonly apps = new Map<string, { secret: string } & Principal>();
  private readonly tokens = new Map<string, Principal>();
  /** NTLM: the domain in CHALLENGE messages, outstanding challenges, authenticated connections. */
  ntlmDomain = 'SIM';
  private readonly challenges: Buffer[] = [];
  private readonly connections = new Map<string, Principal>();
  /** NTLM handshakes completed (for tests: one per connection when served by listen()). */
  ntlmLogins = 0;

  constructor(opts: EwsSimOptions = {}) {
    this.url = opts.url ?? 'https://ews.sim.test/EWS/Exchange.asmx';
    this.tokenUrl = opts.tokenUrl ?? 'https://login.sim.test/tenant/oauth2/v2.0/token';
    this.latencyMs = opts.latencyMs ?? 0;
    this.busyRate = opts.busyRate ?? 0.04;
    this.random = seededRandom(opts.seed ?? 11);
  }

  /** A Basic-auth login; `canImpersonate` grants the ApplicationImpersonation role. */
  addUser(login: string, password: string, opts: { canImpersonate?: boolean; mailbox?: string } = {}): void {
    this.users.set(login.toLowerCase(), { name: login, password, canImpersonate: opts.canImpersonate ?? false, ownMailbox: opts.mailbox ?? login });
  }

  /** An app registration for the client-credentials grant (Exchange Online style). */
  addApp(clientId: string, secret: string, opts: { canImpersonate?: boolean } = {}): void {
    this.apps.set(clientId, { name: clientId, secret, canImpersonate: opts.canImpersonate ?? true });
  }

  /** msw handlers: the token endpoint and the EWS endpoint. */
  handlers(): RequestHandler[] {
    return [
      http.post(this.tokenUrl, async ({ request }) => this.token(await request.text())),
      http.post(this.url, async ({ request }) => this.ews(request)),
    ];
  }

  private token(body: string): Response {
    const p = new URLSearchParams(body);
    const app = this.apps.get(p.get('client_id') ?? '');
    if (p.get('grant_type') !== 'client_credentials' || !app || app.secret !== p.get('client_secret')) {
      return HttpResponse.json({ error: 'invalid_client', error_description: 'AADSTS7000215: Invalid client secret provided.' }, { status: 401 });
    }
    const tok = `sim-${Math.random().toString(36).slice(2)}${Date.now().toString(36)}`;
    this.tokens.set(tok, app);
    return HttpResponse.json({ token_type: 'Bearer', expires_in: 3599, access_token: tok });
  }

  private principal(auth: string | null): Principal | undefined {
    if (!auth) return undefined;
    const [scheme, value = ''] = auth.split(' ', 2);
    if (scheme?.toLowerCase() === 'basic') {
      const [user = '', ...rest] = Buffer.from(value, 'base64').toString('utf8').split(':');
      const u = this.users.get(user.toLowerCase());
      return u && u.password === rest.join(':') ? u : undefined;
    }
    if (scheme?.toLowerCase() === 'bearer') return this.tokens.get(value);
    return undefined;
  }

  /** The caller, a 401 carrying an NTLM challenge, or undefined (refused). */
  private authenticate(request: Request): Principal | Response | undefined {
    const conn = request.headers.get(CONNECTION) ?? undefined;
    const auth = request.headers.get('authorization');
    if (!auth) return conn ? this.connections.get(conn) : undefined;
    if (!/^NTLM /i.test(auth)) return this.principal(auth);
    const token = auth.slice(5).trim();
    const type = ntlmType(token);
    if (type === 1) {
      const c = challengeMessage(this.ntlmDomain);
      this.challenges.push(c.challenge);
      if (this.challenges.length > 256) this.challenges.shift();
      return new HttpResponse(null, { status: 401, headers: { 'WWW-Authenticate': `NTLM ${c.token}` } });
    }
    const ok = type === 3 ? verifyAuthenticate(token, this.challenges, (u) => this.users.get(u.toLowerCase())?.password) : undefined;
    if (!ok) return undefined;
    this.challenges.splice(this.challenges.indexOf(ok.challenge), 1);
    const principal = this.users.get(ok.user.toLowerCase());
    if (principal) this.ntlmLogins++;
    if (principal && conn) this.connections.set(conn, principal);
    return principal;
  }

  private async ews(request: Request): Promise<Response> {
    const n = this.requests.length + 1;
    const rec: SimRequest = { n, operation: '?', status: 200 };
    this.requests.push(rec);
    const auth = this.authenticate(request);
    if (auth instanceof Response) { rec.status = auth.status; return auth; }
    const principal = auth;
    if (!principal) {
      rec.status = 401;
      return new HttpResponse(null, { status: 401, headers: { 'WWW-Authenticate': 'NTLM, Basic realm="ews-sim", Bearer' } });
    }
    rec.principal = principal.name;
    let op: Element | undefined;
    let header: Element | undefined;
    try {
      const env = parseXml(await request.text());
      op = kids(kid(env, 'Body'))[0];
      header = kid(env, 'Header');
    } catch {
      rec.status = 400;
      return new HttpResponse('malformed SOAP request', { status: 400 });
    }
    if (!op) return new HttpResponse('no operation', { status: 400 });
    rec.operation = op.localName;
    const sid = kid(header, 'ExchangeImpersonation', 'ConnectingSID');
    const target = textOf(sid, 'PrimarySmtpAddress') ?? textOf(sid, 'SmtpAddress') ?? textOf(sid, 'PrincipalName');
    const mailboxName = target ?? principal.ownMailbox;
    rec.mailbox = mailboxName?.toLowerCase();
    const mb = rec.mailbox ?? '';
    this.inFlight++;
    this.inFlightPer.set(mb, (this.inFlightPer.get(mb) ?? 0) + 1);
    this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
    this.maxInFlightPerMailbox.set(mb, Math.max(this.maxInFlightPerMailbox.get(mb) ?? 0, this.inFlightPer.get(mb) ?? 0));
    try {
      if (this.latencyMs > 0) await new Promise((r) => setTimeout(r, this.latencyMs));
      const fault = this.fault?.({ n, operation: op.localName, mailbox: rec.mailbox });
      if (fault?.type === 'reset') { rec.status = 0; return HttpResponse.error(); }
      if (fault?.type === 'http') {
        rec.status = fault.status;
        return new HttpResponse('Service Unavailable', { status: fault.status, headers: fault.retryAfterSeconds !== undefined ? { 'Retry-After': String(fault.retryAfterSeconds) } : {} });
      }
      if (fault?.type === 'busy') throw new SoapFault('ErrorServerBusy', 'The server cannot service this request right now. Try again later.', fault.backOffMs);
      if (target !== undefined && !principal.canImpersonate) {
        throw new SoapFault('ErrorImpersonateUserDenied', 'The account does not have permission to impersonate the requested user.');
      }
      const mbx = mailboxName ? this.store.mailbox(mailboxName) : undefined;
      if (!mbx) throw new SoapFault('ErrorNonExistentMailbox', `No mailbox with such guid or SMTP address: ${mailboxName ?? '(none)'}.`);
      if (BUSY_OPS.has(op.localName) && this.random() < this.busyRate) {
        rec.busy = true;
        return new HttpResponse(busyMessage(op.localName, n), { status: 200, headers: XML });
      }
      return new HttpResponse(answer(this.store, mbx, op, n), { status: 200, headers: XML });
    } catch (err) {
      if (!(err instanceof SoapFault)) throw err;
      rec.status = 500;
      return new HttpResponse(faultEnvelope(err), { status: 500, headers: XML });
    } finally {
      this.inFlight--;
      this.inFlightPer.set(mb, (this.inFlightPer.get(mb) ?? 1) - 1);
    }
  }

  /**
   * Serves the same handlers on a real port (loopback), over HTTPS when `tls` (PEM key and
   * certificate) is given. The returned URLs replace `url` and `tokenUrl` for its clients.
   */
  async listen(opts: { port?: number; host?: string; tls?: { key: string; cert: string } } = {}): Promise<{ url: string; tokenUrl: string; close(): Promise<void> }> {
    const { port = 0, host = '127.0.0.1', tls } = opts;
    const ewsPath = new URL(this.url).pathname;
    const tokenPath = new URL(this.tokenUrl).pathname;
    const handlers = this.handlers();
    const ids = new WeakMap<object, string>();
    let nextId = 0;
    const serve = (req: IncomingMessage, res: ServerResponse) => {
      if (!ids.has(req.socket)) ids.set(req.socket, `c${++nextId}`);
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        // Map the local path back onto the handlers' URLs.
        const path = req.url ?? '/';
        const base = path.startsWith(tokenPath) ? this.tokenUrl : path.startsWith(ewsPath) ? this.url : `http://unknown${path}`;
        const headers = new Headers();
        for (const [k, v] of Object.entries(req.headers)) if (typeof v === 'string' && k !== CONNECTION) headers.set(k, v);
        headers.set(CONNECTION, ids.get(req.socket) as string);
        const request = new Request(base, { method: req.method, headers, body: req.method === 'POST' ? Buffer.concat(chunks) : undefined });
        void getResponse(handlers, request).then(async (response) => {
          if (!response) { res.writeHead(404).end(); return; }
          if (response.type === 'error') { req.socket.destroy(); return; }
          const body = Buffer.from(await response.arrayBuffer());
          res.writeHead(response.status, Object.fromEntries(response.headers.entries()));
          res.end(body);
        }, () => { res.writeHead(500).end(); });
      });
    };
    const server: Server = tls ? createTlsServer({ key: tls.key, cert: tls.cert }, serve) : createServer(serve);
    await new Promise<void>((resolve) => server.listen(port, host, resolve));
    const addr = server.address() as AddressInfo;
    const origin = `${tls ? 'https' : 'http'}://${host}:${addr.port}`;
    return {
      url: `${origin}${ewsPath}`,
      tokenUrl: `${origin}${tokenPath}`,
      close: () => new Promise<void>((resolve) => { server.closeAllConnections(); server.close(() => resolve()); }),
    };
  }
}
