/** The IMAP source as a connector module (connectors/modules.ts). */
import type { z } from 'zod';
import type { ConnectorModule } from '../../src/config-blocks/connector-module.js';
import { imapEndpointHooks } from '../../src/config-blocks/endpoint.js';
import { imapSourceSchema, type ImapSourceConfig } from './config.js';

export const imapSourceModule: ConnectorModule<'source', ImapSourceConfig, z.output<typeof imapSourceSchema>> = {
  type: 'imap',
  role: 'source',
  schema: imapSourceSchema,
  ...imapEndpointHooks,
  discoverLogin: 'login',
  create: async (cfg, ctx) => (await import('./create.js')).createImapSource(cfg, ctx),
};
