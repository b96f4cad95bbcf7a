/** The CalDAV/CardDAV groupware target as a connector module (connectors/modules.ts). */
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { caFileHooks, type ConnectorModule } from '../../src/config-blocks/connector-module.js';
import { httpPlaintext, transportProblems } from '../../src/util/transport-policy.js';
import { davTargetSchema, type DavTargetConfig } from './config.js';

export const davTargetModule: ConnectorModule<'groupware-target', DavTargetConfig> = {
  type: 'dav',
  role: 'groupware-target',
  schema: davTargetSchema,
  check(g, ctx) {
    const plaintext = /^http:/i.test(g.url) ? httpPlaintext('passwords') : undefined;
    for (const p of transportProblems({ plaintext, tlsVerify: g.tlsVerify, allowInsecure: g.allowInsecure })) {
      ctx.addIssue({ code: z.ZodIssueCode.custom, path: [p.field === 'plaintext' ? 'url' : 'tlsVerify'], message: p.message });
    }
  },
  ...caFileHooks,
  // HTTP Basic as the mailbox's own target login: every mailbox needs its targetPassword.
  mailboxLogin: (_cfg, side) => ({ ownPassword: true, why: `${side} logs in as each mailbox` }),
  async create(cfg, ctx) {
    const { DavTarget } = await import('./index.js');
    return new DavTarget({
      url: cfg.url, allowInsecure: cfg.allowInsecure, tlsVerify: cfg.tlsVerify, maxConnections: cfg.maxConnections, timeoutMs: cfg.timeoutSeconds * 1000,
      ca: cfg.caFile ? readFileSync(cfg.caFile, 'utf8') : undefined,
    }, ctx.log, { vcardVersion: cfg.vcardVersion, maxAttachmentBytes: cfg.maxAttachmentSize, maxObjectBytes: cfg.maxObjectSize });
  },
};
