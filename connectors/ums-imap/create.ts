/** Builds the UMS target from its config section (loaded by module.ts only when called). */
import type { ConnectorContext } from '../../src/model/connector-context.js';
import type { TargetConnector } from '../../src/model/types.js';
import { imapEndpointFrom, serverKey } from '../imap-common/from-config.js';
import type { UmsImapTargetConfig } from './config.js';
import { UmsImapTarget } from './index.js';

export function createUmsImapTarget(cfg: UmsImapTargetConfig, ctx: ConnectorContext): Promise<TargetConnector> {
  return Promise.resolve(new UmsImapTarget(imapEndpointFrom(cfg, ctx, cfg.utf8Accept), ctx.log, ctx.perMailbox.target, ctx.serverSlots?.(serverKey(cfg), cfg.maxConnections), { stagingFrom: cfg.stagingFrom, stagingAfter: cfg.stagingAfter, stagingLanes: cfg.stagingLanes }));
}
