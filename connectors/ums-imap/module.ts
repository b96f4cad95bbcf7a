/** The UMS (Courier-IMAP) target as a connector module (connectors/modules.ts). */
import type { z } from 'zod';
import type { ConnectorModule } from '../../src/config-blocks/connector-module.js';
import { authLogin, checkEndpoint, defaultPort, rawEndpointProblems } from '../../src/config-blocks/endpoint.js';
import { umsImapTargetSchema, type UmsImapTargetConfig } from './config.js';

export const umsImapTargetModule: ConnectorModule<'target', UmsImapTargetConfig, z.output<typeof umsImapTargetSchema>> = {
  type: 'ums-imap',
  role: 'target',
  schema: umsImapTargetSchema,
  check: checkEndpoint,
  finish: defaultPort,
  rawProblems: rawEndpointProblems,
  normalise: (cfg, abs) => (cfg.caFile !== undefined ? { ...cfg, caFile: abs(cfg.caFile) } : cfg),
  caFile: (cfg) => cfg.caFile,
  mailboxLogin: (cfg, side) => authLogin(side, cfg.auth),
  create: async (cfg, ctx) => (await import('./create.js')).createUmsImapTarget(cfg, ctx),
};
