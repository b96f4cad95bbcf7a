/** Builds the EWS source from its config section (loaded by module.ts only when configured). */
import { readFileSync } from 'node:fs';
import { resolveSecret } from '../../src/config-blocks/secrets.js';
import type { ConnectorContext } from '../../src/model/connector-context.js';
import type { SourceConnector } from '../../src/model/types.js';
import type { EwsAuth, EwsEndpoint } from './client.js';
import type { EwsSourceConfig } from './config.js';
import { EwsSource } from './source.js';

function ewsEndpoint(cfg: EwsSourceConfig, ctx: ConnectorContext, retryPolicy: EwsEndpoint['retry']): EwsEndpoint {
  const secret = (ref: string) => resolveSecret(ref, { baseDir: ctx.baseDir, env: ctx.env });
  const a = cfg.auth;
  const auth: EwsAuth = a.mode === 'master'
    ? (a.method === 'ntlm'
      ? { mode: 'ntlm', username: a.masterUser, password: secret(a.masterPassword), domain: a.domain }
      : { mode: 'basic', username: a.masterUser, password: secret(a.masterPassword) })
    : a.mode === 'oauth2' ? { mode: 'oauth2', tokenUrl: a.tokenUrl, clientId: a.clientId, clientSecret: secret(a.clientSecret), scope: a.scope }
      : { mode: 'user' };
  return {
    url: cfg.url, auth, impersonation: cfg.impersonation, tlsVerify: cfg.tlsVerify, allowInsecure: cfg.allowInsecure, ca: cfg.caFile ? readFileSync(cfg.caFile, 'utf8') : undefined,
    version: cfg.exchangeVersion, maxConcurrent: cfg.maxConnections, retry: retryPolicy, maxBackoffMs: cfg.maxBackoffMs, timeoutMs: cfg.timeoutSeconds * 1000,
  };
}

export function createEwsSource(cfg: EwsSourceConfig, ctx: ConnectorContext): Promise<SourceConnector> {
  const retry = ctx.retry ?? { attempts: 8, baseDelayMs: 1000, maxDelayMs: 60_000 };
  return Promise.resolve(new EwsSource(ewsEndpoint(cfg, ctx, retry), ctx.log, ctx.perMailbox.source, { vcardVersion: cfg.vcardVersion, legacyDnTable: ctx.legacyDnTable }));
}
