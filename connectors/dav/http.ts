/**
 * The HTTP side of the DAV target: one keep-alive agent per server (node:https / node:http), so
 * `maxConnections` bounds the sockets every mailbox and collection of the run share. TLS is
 * verified by default (extra CA via `ca`); plaintext and unverified TLS need `allowInsecure`.
 *
 * Built on node:https rather than fetch: a custom CA and a socket cap per server need an
 * undici Agent, and undici is not a direct dependency of this project (Node bundles it without
 * exporting the Agent).
 *
 * Credentials go to the configured origin only: `request` refuses (sends nothing) for a URL of
 * any other scheme, host or port, and never follows a redirect itself (collections.ts follows
 * same-origin ones).
 *
 * Errors: network failures and 429/502/503/504 become TransientError (retried by the engine);
 * every other status is returned to the caller, which knows what it means for its request.
 */
import http from 'node:http';
import https from 'node:https';
import { FatalError, passedOn, TransientError } from '../../src/util/errors.js';
import { assertTransportAllowed, httpPlaintext } from '../../src/util/transport-policy.js';
import { CrossOriginError, shown } from './origin.js';

export interface DavEndpoint {
  /** Server URL (root or context path, e.g. https://cloud.example.org/remote.php/dav/). */
  url: string;
  allowInsecure: boolean;
  tlsVerify: boolean;
  /** Extra CA certificates (PEM). */
  ca?: string;
  /** Sockets to this server across the whole run. */
  maxConnections: number;
  /** Per-request timeout (ms). */
  timeoutMs?: number;
}

export interface DavResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

export interface DavRequest {
  method: string;
  url: URL;
  headers?: Record<string, string>;
  body?: string | Buffer;
}

/** Refuses plaintext and unverified TLS unless the config opted in explicitly (the transport policy). */
export function assertDavTransportAllowed(ep: DavEndpoint): void {
  const u = new URL(ep.url);
  if (u.protocol !== 'https:' && u.protocol !== 'http:') throw new FatalError(`groupware target: unsupported URL scheme ${u.protocol} (expected https: or http:)`, 'CONFIG');
  const plaintext = u.protocol === 'http:' ? httpPlaintext('passwords') : undefined;
  assertTransportAllowed({ plaintext, tlsVerify: ep.tlsVerify, allowInsecure: ep.allowInsecure }, `groupware target ${u.host}`);
}

const TRANSIENT_STATUS = new Set([429, 502, 503, 504]);
const TRANSIENT_CODES = new Set(['ECONNRESET', 'ECONNREFUSED', 'ETIMEDOUT', 'EPIPE', 'EAI_AGAIN', 'ENETUNREACH', 'EHOSTUNREACH', 'UND_ERR_SOCKET']);

/** One server: a shared agent; `request` is safe to call concurrently (the agent queues beyond maxConnections). */
export class DavHttp {
  private readonly agent: http.Agent;
  private readonly secure: boolean;
  /** scheme://host:port of the configured URL: the only place credentials are sent to. */
  readonly origin: string;
  /** Requests sent, by method and by "method condition" (e.g. "PUT If-Match"); benchmarks and tests count PUTs with it. */
  readonly sent = new Map<string, number>();

  private count(key: string): void {
    this.sent.set(key, (this.sent.get(key) ?? 0) + 1);
  }

  constructor(readonly endpoint: DavEndpoint) {
    assertDavTransportAllowed(endpoint);
    this.secure = new URL(endpoint.url).protocol === 'https:';
    this.origin = new URL(endpoint.url).origin;
    const common = { keepAlive: true, maxSockets: endpoint.maxConnections, maxFreeSockets: endpoint.maxConnections };
    this.agent = this.secure
      ? new https.Agent({ ...common, ca: endpoint.ca, rejectUnauthorized: endpoint.tlsVerify, minVersion: 'TLSv1.2' })
      : new http.Agent(common);
  }

  /** Sends one request with Basic auth; the password is only ever put in the Authorization header. */
  request(req: DavRequest, auth: { login: string; password: string }): Promise<DavResponse> {
    if (req.url.origin !== this.origin) return Promise.reject(new CrossOriginError(shown(req.url), this.origin, `${req.method} refused`));
    this.count(req.method);
    const cond = req.headers?.['If-Match'] !== undefined ? 'If-Match' : req.headers?.['If-None-Match'] !== undefined ? 'If-None-Match' : undefined;
    if (cond) this.count(`${req.method} ${cond}`);
    const body = req.body === undefined ? undefined : Buffer.isBuffer(req.body) ? req.body : Buffer.from(req.body, 'utf8');
    const headers: Record<string, string> = {
      Authorization: `Basic ${Buffer.from(`${auth.login}:${auth.password}`, 'utf8').toString('base64')}`,
      ...req.headers,
    };
    if (body) headers['Content-Length'] = String(body.length);
    const mod = this.secure ? https : http;
    const what = `${req.method} ${req.url.pathname}`;
    return new Promise<DavResponse>((resolve, reject) => {
      const r = mod.request(req.url, { method: req.method, headers, agent: this.agent, timeout: this.endpoint.timeoutMs ?? 120_000 }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('error', (err) => reject(new TransientError(`${what}: response interrupted: ${err.message}`, 'NETWORK', { cause: err })));
        res.on('end', () => {
          const status = res.statusCode ?? 0;
          const text = Buffer.concat(chunks).toString('utf8');
          if (TRANSIENT_STATUS.has(status)) {
            reject(new TransientError(`${what}: server answered ${status} ${res.statusMessage ?? ''}`.trim(), `HTTP_${status}`));
            return;
          }
          resolve({ status, headers: res.headers, body: text });
        });
      });
      r.on('timeout', () => r.destroy(Object.assign(new Error('request timed out'), { code: 'ETIMEDOUT' })));
      r.on('error', (err: NodeJS.ErrnoException) => {
        const code = err.code ?? '';
        if (TRANSIENT_CODES.has(code) || /socket hang up/i.test(err.message)) reject(new TransientError(`${what}: ${err.message}`, 'NETWORK', { cause: err }));
        else reject(new FatalError(`${what}: ${err.message}`, passedOn(code, 'NETWORK'), { cause: err }));
      });
      r.end(body);
    });
  }

  close(): void {
    this.agent.destroy();
  }
}
