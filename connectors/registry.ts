/**
 * Builds connectors from the config: the one place that knows which folder serves which `type`.
 * Each connector's module is loaded only when its type is configured (a worker or a run of IMAP →
 * Courier does not load the PST, EWS, Kopano or DAV code: about a third of a process's start-up CPU).
 */
import { readFileSync } from 'node:fs';
import type { Logger } from 'pino';
import type { EndpointConfig, EwsSourceConfig, GroupwareTargetConfig, SourceConfig, TargetConfig } from '../src/config/schema.js';
import { resolveSecret } from '../src/config-blocks/secrets.js';
import type { SourceConnector, TargetConnector } from '../src/model/types.js';
import type { SlotGate } from '../src/util/semaphore.js';
import type { EwsAuth, EwsEndpoint } from './ews/client.js';
import type { ImapEndpoint } from './imap-common/endpoint.js';

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

export async function createSource(cfg: SourceConfig, ctx: ConnectorContext): Promise<SourceConnector> {
  switch (cfg.type) {
    case 'imap': {
      const { ImapSource } = await import('./imap-source/index.js');
      return new ImapSource(imapEndpoint(cfg, ctx, true), ctx.log, ctx.perMailbox.source, ctx.serverSlots?.(serverKey(cfg), cfg.maxConnections));
    }
    case 'ews': {
      const { EwsSource } = await import('./ews/source.js');
      return new EwsSource(ewsEndpoint(cfg, ctx, ctx.retry ?? { attempts: 8, baseDelayMs: 1000, maxDelayMs: 60_000 }), ctx.log, ctx.perMailbox.source, { vcardVersion: cfg.vcardVersion, legacyDnTable: ctx.legacyDnTable });
    }
    case 'kopano-backup': {
      const { KopanoBackupSource } = await import('./kopano/index.js');
      return new KopanoBackupSource(cfg.path, ctx.log);
    }
    case 'kopano-tree': {
      const { KopanoTreeSource } = await import('./kopano/tree-source.js');
      return new KopanoTreeSource(cfg.path, ctx.log);
    }
    case 'pst': {
      const { PstSource } = await import('./pst/index.js');
      return new PstSource({ directory: cfg.directory, files: cfg.files, codepage: cfg.codepage, groupware: cfg.groupware }, ctx.log);
    }
    case 'msg': {
      const { MsgSource } = await import('./msg/index.js');
      return new MsgSource({ directory: cfg.directory, folders: cfg.folders, codepage: cfg.codepage, groupware: cfg.groupware }, ctx.log);
    }
  }
}

export async function createTarget(cfg: TargetConfig, ctx: ConnectorContext): Promise<TargetConnector> {
  switch (cfg.type) {
    case 'ums-imap': {
      const { UmsImapTarget } = await import('./ums-imap/index.js');
      return new UmsImapTarget(imapEndpoint(cfg, ctx, cfg.utf8Accept), ctx.log, ctx.perMailbox.target, ctx.serverSlots?.(serverKey(cfg), cfg.maxConnections));
    }
  }
}

/** The CalDAV/CardDAV target of `groupwareTarget`. */
export async function createGroupwareTarget(cfg: GroupwareTargetConfig, ctx: ConnectorContext): Promise<TargetConnector> {
  switch (cfg.type) {
    case 'dav': {
      const { DavTarget } = await import('./dav/index.js');
      return new DavTarget({
        url: cfg.url, allowInsecure: cfg.allowInsecure, tlsVerify: cfg.tlsVerify, maxConnections: cfg.maxConnections,
        ca: cfg.caFile ? readFileSync(cfg.caFile, 'utf8') : undefined,
      }, ctx.log, { vcardVersion: cfg.vcardVersion, maxAttachmentBytes: cfg.maxAttachmentSize, maxObjectBytes: cfg.maxObjectSize });
    }
  }
}

/** The target of a job: the mail target, joined by the groupware target when one is configured. */
export async function createTargets(cfg: { target: TargetConfig; groupwareTarget?: GroupwareTargetConfig }, ctx: ConnectorContext): Promise<TargetConnector> {
  const mail = await createTarget(cfg.target, ctx);
  if (!cfg.groupwareTarget) return mail;
  const { RoutedTarget } = await import('./groupware-router.js');
  return new RoutedTarget(mail, await createGroupwareTarget(cfg.groupwareTarget, ctx));
}
