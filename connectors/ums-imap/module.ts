/** The UMS (Courier-IMAP) target as a connector module (connectors/modules.ts). */
import type { z } from 'zod';
import type { ConnectorModule } from '../../src/config-blocks/connector-module.js';
import { imapEndpointHooks } from '../../src/config-blocks/endpoint.js';
import { umsImapTargetSchema, type UmsImapTargetConfig } from './config.js';

export const umsImapTargetModule: ConnectorModule<'target', UmsImapTargetConfig, z.output<typeof umsImapTargetSchema>> = {
  type: 'ums-imap',
  role: 'target',
  schema: umsImapTargetSchema,
  ...imapEndpointHooks,
  create: async (cfg, ctx) => (await import('./create.js')).createUmsImapTarget(cfg, ctx),
};
