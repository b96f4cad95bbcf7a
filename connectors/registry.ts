/** Builds connectors from the config: the one place that knows which folder serves which `type`. */
import { readFileSync } from 'node:fs';
import type { Logger } from 'pino';
import type { EndpointConfig, SourceConfig, TargetConfig } from '../src/config/schema.js';
import { resolveSecret } from '../src/config/secrets.js';
import type { SourceConnector, TargetConnector } from '../src/model/types.js';
import type { ImapEndpoint } from './imap-common/endpoint.js';
import { ImapSource } from './imap-source/index.js';
import { MsgSource } from './msg/index.js';
import { PstSource } from './pst/index.js';
import { UmsImapTarget } from './ums-imap/index.js';

export interface ConnectorContext {
  baseDir: string;
  env: NodeJS.ProcessEnv;
  log: Logger;
  /** Connections one mailbox may use on each side (parallel folders × writers). */
  perMailbox: { source: number; target: number };
}

function imapEndpoint(cfg: EndpointConfig, ctx: ConnectorContext, autoEnable: boolean): ImapEndpoint {
  const auth: ImapEndpoint['auth'] = cfg.auth.mode === 'master'
    ? {
      mode: 'master', masterUser: cfg.auth.masterUser, style: cfg.auth.masterStyle, separator: cfg.auth.masterSeparator,
      masterPassword: resolveSecret(cfg.auth.masterPassword, { baseDir: ctx.baseDir, env: ctx.env }),
    }
    : { mode: 'user' };
  return {
    host: cfg.host, port: cfg.port, tls: cfg.tls, allowInsecure: cfg.allowInsecure, tlsVerify: cfg.tlsVerify,
    ca: cfg.caFile ? readFileSync(cfg.caFile, 'utf8') : undefined, maxConnections: cfg.maxConnections, auth, autoEnable,
  };
}

export function createSource(cfg: SourceConfig, ctx: ConnectorContext): SourceConnector {
  switch (cfg.type) {
    case 'imap':
      return new ImapSource(imapEndpoint(cfg, ctx, true), ctx.log, ctx.perMailbox.source);
    case 'pst':
      return new PstSource({ directory: cfg.directory, files: cfg.files, codepage: cfg.codepage }, ctx.log);
    case 'msg':
      return new MsgSource({ directory: cfg.directory, folders: cfg.folders, codepage: cfg.codepage }, ctx.log);
  }
}

export function createTarget(cfg: TargetConfig, ctx: ConnectorContext): TargetConnector {
  switch (cfg.type) {
    case 'ums-imap':
      return new UmsImapTarget(imapEndpoint(cfg, ctx, cfg.utf8Accept), ctx.log, ctx.perMailbox.target);
  }
}
