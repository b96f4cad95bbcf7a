/**
 * SOAP over HTTP(S) to one Exchange server, shared by every mailbox of a run: authentication
 * (Basic or NTLMv2 with a service account, Basic with each mailbox's own login, OAuth2
 * client-credentials bearer tokens), ExchangeImpersonation, request caps (global and per
 * mailbox) and retries. NTLM authenticates a connection: each request borrows an authenticated
 * keep-alive connection of its own (one socket per agent), and a new one does the handshake.
 *
 * Retries (src/util/retry.ts): ErrorServerBusy (a fault or inside a response message) waits at
 * least its BackOffMilliseconds; HTTP 503/429/502/504 at least their Retry-After; the passing
 * codes of TRANSIENT_CODES, any other 5xx, dropped connections and timeouts with the usual
 * backoff. Error texts carry the server's MessageXml details (LineNumber, LinePosition,
 * Violation), on one line and cut short: never a body. A slot of the caps is held only while a request is on the wire, never while waiting.
 *
 * Credentials go only where they are configured: no redirect is ever followed (a 3xx is an error
 * naming its target), and the OAuth2 token request uses the endpoint's TLS settings (caFile,
 * tlsVerify) and refuses an http:// tokenUrl unless allowInsecure is set. An untrusted
 * certificate is not retried: the error says to set caFile.
 */
// Default imports, looked up at call time: interceptors (msw in tests) patch these module objects.
import http from 'node:http';
import https from 'node:https';
import ntlmClient from '@ewsjs/ntlm-client';
import type { Logger } from 'pino';
import { FatalError, ItemError, passedOn, reasonOf, TransientError } from '../../src/util/errors.js';
import { retry, sleep, type RetryPolicy } from '../../src/util/retry.js';
import { registerSecret } from '../../src/util/scrub.js';
import { Semaphore } from '../../src/util/semaphore.js';
import { assertTransportAllowed, httpPlaintext } from '../../src/util/transport-policy.js';
import { attr, esc, find, kid, kids, parseXml, textOf, type XmlElement } from './xml.js';

/** The account a 401 refused: the one whose credentials were sent (the service account, or the OAuth2 app), not the mailbox. */
function refusedAccount(a: EwsAuth, mailbox: string): string {
  if (a.mode === 'basic' || a.mode === 'ntlm') return `the account ${a.mode === 'ntlm' && a.domain && !a.username.includes('\\') && !a.username.includes('@') ? `${a.domain}\\${a.username}` : a.username}`;
  if (a.mode === 'oauth2') return `the OAuth2 application ${a.clientId}`;
  return `the mailbox ${mailbox} (its own password)`;
}

export type EwsAuth =
  | { mode: 'basic'; username: string; password: string }
  /** NTLMv2 (on-premises Exchange with Windows authentication only); username "DOMAIN\\user" or a UPN. */
  | { mode: 'ntlm'; username: string; password: string; domain?: string }
  | { mode: 'user' }
  | { mode: 'oauth2'; tokenUrl: string; clientId: string; clientSecret: string; scope: string };

export interface EwsEndpoint {
  url: string;
  auth: EwsAuth;
  /** Send ExchangeImpersonation for each mailbox (a service account acting for everyone). */
  impersonation: boolean;
  tlsVerify: boolean;
  ca?: string;
  /** The config's explicit opt-in to plaintext: needed for an http:// OAuth2 tokenUrl (the client secret would travel in clear). */
  allowInsecure?: boolean;
  /** RequestServerVersion, e.g. Exchange2013_SP1. */
  version: string;
  /** Requests in flight across all mailboxes. */
  maxConcurrent: number;
  retry: RetryPolicy;
  /** Upper bound for one ErrorServerBusy / Retry-After wait. */
  maxBackoffMs: number;
  timeoutMs: number;
}

/** The server asked us to slow down (ErrorServerBusy): retried after `backOffMs`. */
export class EwsBusyError extends TransientError {
  constructor(readonly backOffMs: number, message: string) {
    super(message, 'EWS_SERVER_BUSY');
  }
}

/** One ResponseMessage of an operation's response. */
export interface EwsMessage { ok: boolean; code: string; text?: string; el: XmlElement }

export interface EwsMailboxIdentity {
  smtp: string;
  /** Only for auth mode 'user': the mailbox's own password. */
  password?: string;
}

type HttpResult = { status: number; headers: Record<string, string | string[] | undefined>; body: string };

const TYPES = 'http://schemas.microsoft.com/exchange/services/2006/types';
const MESSAGES = 'http://schemas.microsoft.com/exchange/services/2006/messages';
/** Codes Exchange answers for a passing condition (in a fault or inside a response message): the request is retried with backoff. */
export const TRANSIENT_CODES = new Set(['ErrorServerBusy', 'ErrorInternalServerTransientError', 'ErrorTimeoutExpired', 'ErrorMailboxStoreUnavailable', 'ErrorConnectionFailed']);
const FATAL_CODES = new Set(['ErrorImpersonateUserDenied', 'ErrorNonExistentMailbox', 'ErrorAccessDenied', 'ErrorMailboxMoveInProgress', 'ErrorImpersonationDenied']);

export class EwsTransport {
  private readonly global: Semaphore;
  private readonly agent: http.Agent;
  /** The OAuth2 token endpoint's connections: the same TLS settings as the EWS endpoint's. */
  private tokenAgent?: http.Agent;
  /** NTLM: idle connections (one socket each), authenticated or not yet. */
  private readonly ntlmIdle: { agent: http.Agent; authed: boolean }[] = [];
  private token?: { value: string; expires: number };
  private tokenPending?: Promise<string>;
  /** Requests sent (attempts included), for reports and tests. */
  requests = 0;
  /** Called before each retry with the wait chosen (at least a server's BackOffMilliseconds / Retry-After). */
  onRetry?: (info: { mailbox: string; attempt: number; waitMs: number; reason: string; busy: boolean }) => void;

  constructor(readonly ep: EwsEndpoint, private readonly log: Logger) {
    this.global = new Semaphore(ep.maxConcurrent);
    this.agent = this.newAgent(ep.maxConcurrent);
  }

  private newAgent(maxSockets: number, url = this.ep.url): http.Agent {
    return new URL(url).protocol === 'https:' // not startsWith: a scheme is case-insensitive (HTTPS://…)
      ? new https.Agent({ keepAlive: true, maxSockets, rejectUnauthorized: this.ep.tlsVerify, ca: this.ep.ca })
      : new http.Agent({ keepAlive: true, maxSockets });
  }

  close(): void {
    this.agent.destroy();
    this.tokenAgent?.destroy();
    for (const c of this.ntlmIdle.splice(0)) c.agent.destroy();
  }

  /**
   * Runs one operation (`body`: the element inside soap:Body) for `mbx`, retrying transient
   * failures, and returns its ResponseMessages. Per-message errors are returned, not thrown.
   */
  async call(mbx: EwsMailboxIdentity, perMailbox: Semaphore, body: string): Promise<EwsMessage[]> {
    return retry(async () => {
      await perMailbox.acquire();
      try {
        await this.global.acquire();
        try {
          return await this.once(mbx, body);
        } finally {
          this.global.release();
        }
      } finally {
        perMailbox.release();
      }
    }, this.ep.retry, async (err, attempt, delayMs) => {
      const wanted = err instanceof EwsBusyError ? Math.min(err.backOffMs, this.ep.maxBackoffMs) : 0;
      const waitMs = Math.max(wanted, delayMs);
      this.log.warn({ mailbox: mbx.smtp, attempt, delayMs: waitMs, err: reasonOf(err) }, 'EWS request failed, retrying');
      this.onRetry?.({ mailbox: mbx.smtp, attempt, waitMs, reason: reasonOf(err), busy: err instanceof EwsBusyError && err.code === 'EWS_SERVER_BUSY' && /ErrorServerBusy/.test(err.message) });
      if (wanted > delayMs) await sleep(wanted - delayMs);
    });
  }

  private envelope(mbx: EwsMailboxIdentity, body: string): string {
    const imp = this.ep.impersonation
      ? `<t:ExchangeImpersonation><t:ConnectingSID><t:PrimarySmtpAddress>${esc(mbx.smtp)}</t:PrimarySmtpAddress></t:ConnectingSID></t:ExchangeImpersonation>` : '';
    return '<?xml version="1.0" encoding="utf-8"?>'
      + `<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/" xmlns:t="${TYPES}" xmlns:m="${MESSAGES}">`
      + `<soap:Header><t:RequestServerVersion Version="${esc(this.ep.version)}"/>${imp}</soap:Header><soap:Body>${body}</soap:Body></soap:Envelope>`;
  }

  private async authorization(mbx: EwsMailboxIdentity): Promise<string> {
    const a = this.ep.auth;
    if (a.mode === 'basic') return `Basic ${Buffer.from(`${a.username}:${a.password}`).toString('base64')}`;
    if (a.mode === 'ntlm') return '';
    if (a.mode === 'user') {
      if (mbx.password === undefined) throw new FatalError(`no source password for ${mbx.smtp} (source.auth.mode is user)`);
      return `Basic ${Buffer.from(`${mbx.smtp}:${mbx.password}`).toString('base64')}`;
    }
    if (this.token && this.token.expires > Date.now()) return `Bearer ${this.token.value}`;
    this.tokenPending ??= this.fetchToken(a).finally(() => { this.tokenPending = undefined; });
    return `Bearer ${await this.tokenPending}`;
  }

  private async fetchToken(a: Extract<EwsAuth, { mode: 'oauth2' }>): Promise<string> {
    const url = tokenUrlAllowed(a.tokenUrl, this.ep.allowInsecure === true);
    this.tokenAgent ??= this.newAgent(2, url.href);
    const form = new URLSearchParams({ grant_type: 'client_credentials', client_id: a.clientId, client_secret: a.clientSecret, scope: a.scope }).toString();
    const res = await this.http(url.href, { 'Content-Type': 'application/x-www-form-urlencoded' }, form, this.tokenAgent, 'the OAuth2 token endpoint');
    if (res.status >= 500 || res.status === 429) throw new TransientError(`token endpoint answered HTTP ${res.status}`);
    let json: { access_token?: string; expires_in?: number; error?: string; error_description?: string };
    try {
      json = JSON.parse(res.body) as typeof json;
    } catch {
      throw new FatalError(`token endpoint answered HTTP ${res.status} without JSON`);
    }
    if (res.status !== 200 || !json.access_token) {
      throw new FatalError(`OAuth2 client-credentials token refused: ${json.error ?? `HTTP ${res.status}`} ${json.error_description ?? ''}`.trim());
    }
    registerSecret(json.access_token); // scrubbed from every log line, print and stored reason
    this.token = { value: json.access_token, expires: Date.now() + Math.max(60, (json.expires_in ?? 3600) - 120) * 1000 };
    return json.access_token;
  }

  /**
   * One POST through `agent` (never the global agent: its TLS settings are not the endpoint's).
   * A redirect is not followed: it rejects naming its target. `what` names the endpoint in errors.
   */
  private http(url: string, headers: Record<string, string>, body: string, agent: http.Agent, what = 'Exchange'): Promise<HttpResult> {
    const u = new URL(url);
    const send = u.protocol === 'https:' ? https.request : http.request;
    return new Promise((resolve, reject) => {
      const req = send(u, {
        method: 'POST', agent, headers: { ...headers, 'Content-Length': String(Buffer.byteLength(body)) }, timeout: this.ep.timeoutMs,
      }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const status = res.statusCode ?? 0;
          if (status >= 300 && status < 400) { reject(redirectError(what, u, status, res.headers.location)); return; }
          resolve({ status, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') });
        });
        res.on('error', (e) => reject(new TransientError(`connection lost while reading the response: ${e.message}`, 'EWS_NETWORK', { cause: e })));
      });
      req.on('timeout', () => req.destroy(new Error(`no answer within ${this.ep.timeoutMs} ms`)));
      req.on('error', (e: NodeJS.ErrnoException) => {
        if (e instanceof TransientError) reject(e);
        else if (CERT_ERROR.test(e.code ?? '')) reject(new FatalError(`${what} at ${u.origin}: TLS certificate not trusted (${e.message}); set source.caFile to the CA that signed it (or check that the URL names the right server)`, 'EWS_TLS', { cause: e }));
        else reject(new TransientError(`request to ${what === 'Exchange' ? u.host : `${what} ${u.host}`} failed: ${e.message}`, 'EWS_NETWORK', { cause: e }));
      });
      req.end(body);
    });
  }

  /** One request over an NTLM-authenticated connection (handshake first when it is new or was reset). */
  private async ntlm(a: Extract<EwsAuth, { mode: 'ntlm' }>, headers: Record<string, string>, body: string): Promise<HttpResult> {
    const conn = this.ntlmIdle.pop() ?? { agent: this.newAgent(1), authed: false };
    try {
      if (conn.authed) {
        const res = await this.http(this.ep.url, headers, body, conn.agent);
        if (res.status !== 401) { this.ntlmIdle.push(conn); return res; }
        conn.authed = false;
      }
      const [domain, user] = a.username.includes('\\') ? a.username.split('\\', 2) as [string, string] : [a.domain ?? '', a.username];
      const negotiate = await this.http(this.ep.url, { ...headers, Authorization: ntlmClient.createType1Message(undefined, domain) }, '', conn.agent);
      const challenge = /NTLM\s+([A-Za-z0-9+/=]+)/.exec([negotiate.headers['www-authenticate']].flat().join(', '))?.[1];
      if (negotiate.status !== 401 || !challenge) {
        throw new FatalError(`Exchange did not answer the NTLM negotiation (HTTP ${negotiate.status}${challenge ? '' : ', no NTLM challenge'})`, 'EWS_AUTH');
      }
      const type2 = ntlmClient.decodeType2Message(`NTLM ${challenge}`);
      const res = await this.http(this.ep.url, { ...headers, Authorization: ntlmClient.createType3Message(type2, user, a.password, undefined, domain || type2.targetName) }, body, conn.agent);
      if (res.status === 401) conn.agent.destroy();
      else { conn.authed = true; this.ntlmIdle.push(conn); }
      return res;
    } catch (err) {
      conn.agent.destroy();
      throw err;
    }
  }

  private async once(mbx: EwsMailboxIdentity, body: string): Promise<EwsMessage[]> {
    this.requests++;
    const a = this.ep.auth;
    const headers: Record<string, string> = { 'Content-Type': 'text/xml; charset=utf-8', Accept: 'text/xml' };
    if (a.mode !== 'ntlm') headers.Authorization = await this.authorization(mbx);
    if (this.ep.impersonation) headers['X-AnchorMailbox'] = mbx.smtp;
    const res = a.mode === 'ntlm' ? await this.ntlm(a, headers, this.envelope(mbx, body)) : await this.http(this.ep.url, headers, this.envelope(mbx, body), this.agent);
    if (res.status === 401) {
      if (this.ep.auth.mode === 'oauth2' && this.token) { this.token = undefined; throw new TransientError('bearer token rejected (expired?)'); }
      throw new FatalError(`Exchange refused the login (HTTP 401) of ${refusedAccount(this.ep.auth, mbx.smtp)}${this.ep.impersonation ? `, impersonating ${mbx.smtp}` : ''}`, 'EWS_AUTH');
    }
    if ([429, 502, 503, 504].includes(res.status)) {
      const after = Number(res.headers['retry-after']);
      const wait = Number.isFinite(after) && after > 0 ? after * 1000 : 0;
      throw wait > 0 ? new EwsBusyError(wait, `HTTP ${res.status}, Retry-After ${after}s`) : new TransientError(`HTTP ${res.status} from Exchange`, 'EWS_HTTP');
    }
    let env: XmlElement;
    try {
      env = parseXml(res.body);
    } catch (err) {
      if (res.status >= 500) throw new TransientError(`HTTP ${res.status} from Exchange`, 'EWS_HTTP');
      throw new Error(`HTTP ${res.status}: ${reasonOf(err)}`);
    }
    const fault = find(env, 'Fault');
    if (fault) {
      const code = (textOf(find(fault, 'ResponseCode')) ?? textOf(fault, 'faultcode') ?? '').trim().replace(/^[^:]*:/, '');
      const message = `${oneLine(textOf(fault, 'faultstring') ?? code)}${detailsOf(find(fault, 'MessageXml'))}`;
      if (code === 'ErrorServerBusy') throw new EwsBusyError(backOffOf(find(fault, 'MessageXml')), `ErrorServerBusy: ${message}`);
      if (TRANSIENT_CODES.has(code)) throw new TransientError(`${code}: ${message}`, passedOn(code, 'EWS_ERROR'));
      if (FATAL_CODES.has(code)) throw new FatalError(`${code}: ${message} (mailbox ${mbx.smtp})`, passedOn(code, 'EWS_ERROR'));
      if (res.status >= 500 && !code) throw new TransientError(`HTTP ${res.status} from Exchange (a fault without a code)`, 'EWS_HTTP');
      throw new Error(`EWS fault ${code}: ${message}`);
    }
    if (res.status >= 500) throw new TransientError(`HTTP ${res.status} from Exchange`, 'EWS_HTTP');
    if (res.status !== 200) throw new Error(`HTTP ${res.status} from Exchange`);
    const messages = kids(find(env, 'ResponseMessages')).map((el): EwsMessage => ({
      ok: attr(el, 'ResponseClass') !== 'Error', code: (textOf(el, 'ResponseCode') ?? '').trim(), text: textOf(el, 'MessageText'), el,
    }));
    const busy = messages.find((m) => m.code === 'ErrorServerBusy');
    if (busy) throw new EwsBusyError(backOffOf(kid(busy.el, 'MessageXml')), `ErrorServerBusy: ${oneLine(busy.text ?? '')}${detailsOf(kid(busy.el, 'MessageXml'))}`);
    const passing = messages.find((m) => TRANSIENT_CODES.has(m.code));
    if (passing) throw new TransientError(`${passing.code}: ${oneLine(passing.text ?? '')}${detailsOf(kid(passing.el, 'MessageXml'))}`, passedOn(passing.code, 'EWS_ERROR'));
    const fatal = messages.find((m) => FATAL_CODES.has(m.code));
    if (fatal) throw new FatalError(`${fatal.code}: ${oneLine(fatal.text ?? '')} (mailbox ${mbx.smtp})`, passedOn(fatal.code, 'EWS_ERROR'));
    return messages;
  }
}

/** Node's codes for a certificate that does not verify: retrying cannot help. */
const CERT_ERROR = /CERT|SELF_SIGNED|UNABLE_TO_VERIFY|UNABLE_TO_GET_ISSUER/;

/** The token URL, when it may carry the client secret: https, or http with the explicit allowInsecure. */
export function tokenUrlAllowed(tokenUrl: string, allowInsecure: boolean): URL {
  let u: URL;
  try {
    u = new URL(tokenUrl);
  } catch {
    throw new FatalError(`source.auth.tokenUrl ${JSON.stringify(tokenUrl)} is not a URL`, 'CONFIG');
  }
  if (u.protocol !== 'https:' && u.protocol !== 'http:') throw new FatalError(`source.auth.tokenUrl ${u.origin}: unsupported scheme ${u.protocol} (expected https:)`, 'CONFIG');
  assertTransportAllowed({ plaintext: u.protocol === 'http:' ? httpPlaintext('the client secret') : undefined, allowInsecure }, `source.auth.tokenUrl ${u.origin}${u.pathname}`);
  return u;
}

/** A 3xx answer: never followed (credentials go only to the configured URL); the error names where it pointed. */
function redirectError(what: string, from: URL, status: number, location: string | undefined): FatalError {
  let to: URL | undefined;
  try {
    to = location ? new URL(location, from) : undefined;
  } catch {
    to = undefined;
  }
  if (to) { to.username = ''; to.password = ''; }
  const where = to ? to.href : `${JSON.stringify(oneLine(location ?? '').slice(0, 200))} (no valid Location)`;
  const cross = to !== undefined && to.origin !== from.origin;
  const key = what === 'Exchange' ? 'source.url' : 'source.auth.tokenUrl';
  return new FatalError(`${what} at ${from.origin}${from.pathname} answered HTTP ${status}, a redirect to ${where}: not followed`
    + `${cross ? `, credentials are only sent to the configured ${from.origin}` : ''}; if that is the right address, set ${key} to it`, 'EWS_REDIRECT');
}

/** Text from the server, on one line and at most 300 characters (an error text never carries a body). */
export function oneLine(s: string): string {
  const t = s.replace(/\s+/g, ' ').trim();
  return t.length > 300 ? `${t.slice(0, 300)}…` : t;
}

/** BackOffMilliseconds of a MessageXml (0 when absent). */
function backOffOf(xml: XmlElement | undefined): number {
  const v = kids(xml, 'Value').find((x) => attr(x, 'Name') === 'BackOffMilliseconds');
  return Number((v?.textContent ?? '').trim()) || 0;
}

/** The MessageXml details of an error (LineNumber, LinePosition, Violation, …) as " [LineNumber=1, …]". */
export function detailsOf(xml: XmlElement | undefined): string {
  const parts = kids(xml).map((v) => `${attr(v, 'Name') ?? v.localName}=${oneLine(v.textContent ?? '').slice(0, 120)}`).filter((p) => !p.startsWith('BackOffMilliseconds='));
  return parts.length ? ` [${parts.join(', ')}]` : '';
}

/** A per-message error as an ItemError naming the code, the server's text and its MessageXml details. */
/**
 * How errors name an EWS item: by its whole ItemId. Ids of one mailbox share their first ~60
 * characters (the mailbox and folder part), so a shortened id names no item; subjects are never
 * used (problem reasons reach reports).
 */
export function itemLabel(id: string): string {
  return `EWS item ${id}`;
}

export function messageError(m: EwsMessage, what: string): ItemError {
  const text = m.text ? oneLine(m.text) : '';
  return new ItemError(`${what}: ${m.code}${text ? ` (${text})` : ''}${detailsOf(kid(m.el, 'MessageXml'))}`, passedOn(m.code, 'EWS_ERROR'));
}

