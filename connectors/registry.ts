/** Builds connectors from the config: the one place that knows which folder serves which `type`. */
import { readFileSync } from 'node:fs';
import type { Logger } from 'pino';
import type { EndpointConfig, EwsSourceConfig, GroupwareTargetConfig, SourceConfig, TargetConfig } from '../src/config/schema.js';
import { resolveSecret } from '../src/config/secrets.js';
import type { SourceConnector, TargetConnector } from '../src/model/types.js';
import type { SlotGate } from '../src/util/semaphore.js';
import { DavTarget } from './dav/index.js';
import type { EwsAuth, EwsEndpoint } from './ews/client.js';
import { EwsSource } from './ews/source.js';
import { RoutedTarget } from './groupware-router.js';
import type { ImapEndpoint } from './imap-common/endpoint.js';
import { ImapSource } from './imap-source/index.js';
import { KopanoBackupSource } from './kopano/index.js';
import { KopanoTreeSource } from './kopano/tree-source.js';
import { MsgSource } from './msg/index.js';
import { PstSource } from './pst/index.js';
import { UmsImapTarget } from './ums-imap/index.js';

export interface ConnectorContext {
  baseDir: string;
  env: NodeJS.ProcessEnv;
  log: Logger;
  /** Connections one mailbox may use on each side (parallel folders × writers). */
  perMailbox: { source: number; target: number };
  /**
   * The connection cap of one server shared beyond this process (worker mode: PostgreSQL
   * advisory locks, src/state/pg-locks.ts); absent → a cap per process.
   */
  serverSlots?: (server: string, max: number) => SlotGate;
  /** The config's retry policy (connectors that retry requests themselves, e.g. EWS). */
  retry?: { attempts: number; baseDelayMs: number; maxDelayMs: number };
  /** legacyExchangeDN (lower case) → SMTP from the directory (routing address book): EX addresses resolved before EWS is asked. */
  legacyDnTable?: ReadonlyMap<string, string>;
}

const serverKey = (cfg: EndpointConfig) => `${cfg.host}:${cfg.port}`;

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
    timeoutMs: cfg.timeoutSeconds * 1000,
  };
}

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

export function createSource(cfg: SourceConfig, ctx: ConnectorContext): SourceConnector {
  switch (cfg.type) {
    case 'imap':
      return new ImapSource(imapEndpoint(cfg, ctx, true), ctx.log, ctx.perMailbox.source, ctx.serverSlots?.(serverKey(cfg), cfg.maxConnections));
    case 'ews':
      return new EwsSource(ewsEndpoint(cfg, ctx, ctx.retry ?? { attempts: 8, baseDelayMs: 1000, maxDelayMs: 60_000 }), ctx.log, ctx.perMailbox.source, { vcardVersion: cfg.vcardVersion, legacyDnTable: ctx.legacyDnTable });
    case 'kopano-backup':
      return new KopanoBackupSource(cfg.path, ctx.log);
    case 'kopano-tree':
      return new KopanoTreeSource(cfg.path, ctx.log);
    case 'pst':
      return new PstSource({ directory: cfg.directory, files: cfg.files, codepage: cfg.codepage, groupware: cfg.groupware }, ctx.log);
    case 'msg':
      return new MsgSource({ directory: cfg.directory, folders: cfg.folders, codepage: cfg.codepage, groupware: cfg.groupware }, ctx.log);
  }
}

export function createTarget(cfg: TargetConfig, ctx: ConnectorContext): TargetConnector {
  switch (cfg.type) {
    case 'ums-imap':
      return new UmsImapTarget(imapEndpoint(cfg, ctx, cfg.utf8Accept), ctx.log, ctx.perMailbox.target, ctx.serverSlots?.(serverKey(cfg), cfg.maxConnections));
  }
}

/** The CalDAV/CardDAV target of `groupwareTarget`. */
export function createGroupwareTarget(cfg: GroupwareTargetConfig, ctx: ConnectorContext): TargetConnector {
  switch (cfg.type) {
    case 'dav':
      return new DavTarget({
        url: cfg.url, allowInsecure: cfg.allowInsecure, tlsVerify: cfg.tlsVerify, maxConnections: cfg.maxConnections,
        ca: cfg.caFile ? readFileSync(cfg.caFile, 'utf8') : undefined,
      }, ctx.log, { vcardVersion: cfg.vcardVersion, maxAttachmentBytes: cfg.maxAttachmentSize, maxObjectBytes: cfg.maxObjectSize });
  }
}

/** The target of a job: the mail target, joined by the groupware target when one is configured. */
export function createTargets(cfg: { target: TargetConfig; groupwareTarget?: GroupwareTargetConfig }, ctx: ConnectorContext): TargetConnector {
  const mail = createTarget(cfg.target, ctx);
  return cfg.groupwareTarget ? new RoutedTarget(mail, createGroupwareTarget(cfg.groupwareTarget, ctx)) : mail;
}
