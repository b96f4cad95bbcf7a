/** Builds the IMAP source from its config section (loaded by module.ts only when configured). */
import type { ConnectorContext } from '../../src/model/connector-context.js';
import type { SourceConnector } from '../../src/model/types.js';
import { imapEndpointFrom, serverKey } from '../imap-common/from-config.js';
import type { ImapSourceConfig } from './config.js';
import { ImapSource } from './index.js';

export function createImapSource(cfg: ImapSourceConfig, ctx: ConnectorContext): Promise<SourceConnector> {
  return Promise.resolve(new ImapSource(imapEndpointFrom(cfg, ctx, true), ctx.log, ctx.perMailbox.source, ctx.serverSlots?.(serverKey(cfg), cfg.maxConnections)));
}
