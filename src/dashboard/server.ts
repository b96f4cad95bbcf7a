/**
 * The live dashboard's HTTP server: read-only, token-protected, the report's model and renderer.
 *
 *   GET /?token=T     a right token sets the session cookie (HttpOnly, SameSite=Strict) and
 *                     redirects to / (the token leaves the address bar and the history)
 *   GET /             the report page with the live line and /dashboard.js
 *   GET /dashboard.js the refresh script
 *   GET /api/report   {"report": <the JSON report's model>, "html": <the page's content>}
 *
 * Every request needs the token (the cookie, or `Authorization: Bearer T` for tools), compared in
 * constant time; without it: 401 and a page that shows no data. Only GET and HEAD exist (405
 * otherwise): nothing can be changed through it. Responses are `no-store`, framed nowhere, with
 * the page's CSP also as a header. The model is read at most once a second whatever the number
 * of viewers (one read in flight, shared). A store that cannot be read gets a 503 saying why (the
 * page retries by itself).
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { ProgressReport } from '../../reports/model.js';
import { esc, renderHtml, renderMain } from '../../reports/html.js';
import { DASHBOARD_SCRIPT, LIVE_CSS, liveBanner } from './client.js';
import { tokenMatches } from './token.js';
import { coerceError } from '../util/errors.js';

export const COOKIE = 'ums_dashboard';
/** A model younger than this is served again instead of read again. */
const REUSE_MS = 1000;

export interface DashboardOptions {
  host: string;
  port: number;
  token: string;
  refreshSeconds: number;
  /** Reads the report model (the `report` command's loader). */
  load: () => Promise<ProgressReport>;
}

export interface RunningDashboard {
  server: Server;
  /** http://host:port/ */
  url: string;
  close(): Promise<void>;
}

const COMMON_HEADERS = {
  'cache-control': 'no-store',
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'referrer-policy': 'no-referrer',
  'cross-origin-resource-policy': 'same-origin',
};

export async function startDashboard(opts: DashboardOptions): Promise<RunningDashboard> {
  const model = sharedLoader(opts.load);
  const server = createServer((req, res) => {
    handle(req, res, opts, model).catch((err: unknown) => {
      if (!res.headersSent) send(res, 500, 'text/plain; charset=utf-8', `the dashboard failed: ${coerceError(err).message}\n`);
      else res.destroy();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, opts.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const addr = server.address() as AddressInfo;
  const host = addr.family === 'IPv6' ? `[${addr.address}]` : addr.address;
  return {
    server,
    url: `http://${host}:${addr.port}/`,
    close: () => new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    }),
  };
}

async function handle(req: IncomingMessage, res: ServerResponse, opts: DashboardOptions, model: () => Promise<ProgressReport>): Promise<void> {
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    res.setHeader('allow', 'GET, HEAD');
    send(res, 405, 'text/plain; charset=utf-8', 'read-only: only GET and HEAD\n');
    return;
  }
  const url = new URL(req.url ?? '/', 'http://dashboard.invalid');
  const queryToken = url.searchParams.get('token');
  if (url.pathname === '/' && queryToken !== null) {
    if (!tokenMatches(queryToken, opts.token)) {
      unauthorized(res);
      return;
    }
    res.setHeader('set-cookie', `${COOKIE}=${encodeURIComponent(opts.token)}; HttpOnly; SameSite=Strict; Path=/`);
    res.setHeader('location', '/');
    send(res, 303, 'text/plain; charset=utf-8', 'see /\n');
    return;
  }
  if (!tokenMatches(presentedToken(req), opts.token)) {
    unauthorized(res);
    return;
  }
  switch (url.pathname) {
    case '/': {
      const read = await settle(model());
      if ('error' in read) {
        unavailable(res, read.error, opts.refreshSeconds);
        return;
      }
      const { report } = read;
      const page = renderHtml(report, {
        scriptSrc: ["'self'"], connectSrc: ["'self'"],
        banner: `<style>${LIVE_CSS}</style>\n${liveBanner(opts.refreshSeconds)}`,
        afterMain: '<script src="/dashboard.js"></script>\n',
      });
      res.setHeader('content-security-policy', cspOf(page));
      send(res, 200, 'text/html; charset=utf-8', page);
      return;
    }
    case '/dashboard.js':
      send(res, 200, 'text/javascript; charset=utf-8', DASHBOARD_SCRIPT);
      return;
    case '/api/report': {
      const read = await settle(model());
      if ('error' in read) {
        send(res, 503, 'text/plain; charset=utf-8', `the state store cannot be read: ${read.error}`);
        return;
      }
      const { report } = read;
      send(res, 200, 'application/json; charset=utf-8', JSON.stringify({ report, html: renderMain(report) }));
      return;
    }
    default:
      send(res, 404, 'text/plain; charset=utf-8', 'not found\n');
  }
}

/** The cookie's token, else a Bearer token. */
function presentedToken(req: IncomingMessage): string | undefined {
  for (const part of (req.headers.cookie ?? '').split(';')) {
    const i = part.indexOf('=');
    if (i > 0 && part.slice(0, i).trim() === COOKIE) {
      try {
        return decodeURIComponent(part.slice(i + 1).trim());
      } catch {
        return undefined;
      }
    }
  }
  const auth = /^Bearer\s+(\S+)$/i.exec(req.headers.authorization ?? '');
  return auth?.[1];
}

const UNAUTHORIZED_PAGE = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer"><title>Access token needed</title>
<style>body{font:16px/1.5 system-ui,sans-serif;max-width:40rem;margin:2rem auto;padding:0 1rem;color:#1f2328}</style></head>
<body><main id="unauthorized"><h1>Access token needed</h1>
<p>This migration dashboard is only shown with its access token. Open the address that <code>ums-migrate dashboard</code> printed when it started (it ends in <code>?token=…</code>), or ask the person running the migration.</p></main></body></html>
`;

function unauthorized(res: ServerResponse): void {
  res.setHeader('content-security-policy', "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'");
  res.setHeader('www-authenticate', 'Bearer realm="ums-migrate dashboard"');
  send(res, 401, 'text/html; charset=utf-8', UNAUTHORIZED_PAGE);
}

/** The model, or why it could not be read. */
async function settle(p: Promise<ProgressReport>): Promise<{ report: ProgressReport } | { error: string }> {
  try {
    return { report: await p };
  } catch (err) {
    return { error: coerceError(err).message };
  }
}

/** The state store cannot be read (yet): says why, and the page tries again by itself. */
function unavailable(res: ServerResponse, error: string, refreshSeconds: number): void {
  res.setHeader('content-security-policy', "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'");
  send(res, 503, 'text/html; charset=utf-8', `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="refresh" content="${refreshSeconds}"><title>Migration progress: not readable</title>
<style>body{font:16px/1.5 system-ui,sans-serif;max-width:40rem;margin:2rem auto;padding:0 1rem;color:#1f2328}</style></head>
<body><main id="unavailable"><h1>The migration's state cannot be read</h1><p>${esc(error)}</p>
<p>This page tries again every ${refreshSeconds} s.</p></main></body></html>
`);
}

function send(res: ServerResponse, status: number, type: string, body: string): void {
  for (const [k, v] of Object.entries(COMMON_HEADERS)) res.setHeader(k, v);
  res.setHeader('content-type', type);
  res.setHeader('content-length', Buffer.byteLength(body));
  res.statusCode = status;
  res.end(body);
}

/** The page's own CSP (from its meta tag), sent as a header too. */
function cspOf(page: string): string {
  return /<meta http-equiv="Content-Security-Policy" content="([^"]*)">/.exec(page)?.[1] ?? "default-src 'none'";
}

/** One read in flight at a time; a result younger than REUSE_MS is reused. */
function sharedLoader(load: () => Promise<ProgressReport>): () => Promise<ProgressReport> {
  let last: { at: number; report: ProgressReport } | undefined;
  let inFlight: Promise<ProgressReport> | undefined;
  return () => {
    if (last && Date.now() - last.at < REUSE_MS) return Promise.resolve(last.report);
    inFlight ??= load().then((report) => {
      last = { at: Date.now(), report };
      return report;
    }).finally(() => {
      inFlight = undefined;
    });
    return inFlight;
  };
}
