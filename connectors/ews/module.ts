/** The EWS source as a connector module (connectors/modules.ts). */
import { z } from 'zod';
import { caFileHooks, type ConnectorModule } from '../../src/config-blocks/connector-module.js';
import { authLogin } from '../../src/config-blocks/endpoint.js';
import { ewsSourceSchema, ewsTransportProblems, type EwsSourceConfig } from './config.js';

export const ewsSourceModule: ConnectorModule<'source', EwsSourceConfig, z.output<typeof ewsSourceSchema>> = {
  type: 'ews',
  role: 'source',
  schema: ewsSourceSchema,
  check(s, ctx) {
    for (const p of ewsTransportProblems(s)) ctx.addIssue({ code: z.ZodIssueCode.custom, path: p.path, message: p.message });
  },
  finish: (s) => ({ ...s, impersonation: s.impersonation ?? s.auth.mode !== 'user' }),
  rawProblems: ewsTransportProblems,
  ...caFileHooks,
  mailboxLogin: (cfg, side) => authLogin(side, cfg.auth),
  // The primary SMTP address: what EWS impersonation opens a mailbox by.
  discoverLogin: 'mail',
  wantsLegacyDnTable: true,
  create: async (cfg, ctx) => (await import('./create.js')).createEwsSource(cfg, ctx),
};
