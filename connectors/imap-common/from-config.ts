/** An endpoint config section (IMAP source, UMS target) turned into the connection settings the sessions use. */
import { readFileSync } from 'node:fs';
import type { EndpointConfig } from '../../src/config-blocks/endpoint.js';
import { resolveSecret } from '../../src/config-blocks/secrets.js';
import type { ConnectorContext } from '../../src/model/connector-context.js';
import type { ImapEndpoint } from './endpoint.js';

/** The key of the server's connection cap shared beyond this process (ConnectorContext.serverSlots). */
export const serverKey = (cfg: EndpointConfig) => `${cfg.host}:${cfg.port}`;

/** The section's secrets resolved and its CA file read. */
export function imapEndpointFrom(cfg: EndpointConfig, ctx: ConnectorContext, autoEnable: boolean): ImapEndpoint {
  const auth: ImapEndpoint['auth'] = cfg.auth.mode === 'master'
    ? {
      mode: 'master', masterUser: cfg.auth.masterUser, style: cfg.auth.masterStyle, separator: cfg.auth.masterSeparator,
      masterPassword: resolveSecret(cfg.auth.masterPassword, { baseDir: ctx.baseDir, env: ctx.env }),
    }
    : { mode: 'user' };
  return {
    host: cfg.host, port: cfg.port, tls: cfg.tls, allowInsecure: cfg.allowInsecure, tlsVerify: cfg.tlsVerify,
    ca: cfg.caFile ? readFileSync(cfg.caFile, 'utf8') : undefined, maxConnections: cfg.maxConnections, auth, autoEnable,
    timeoutMs: cfg.timeoutSeconds * 1000,
  };
}
