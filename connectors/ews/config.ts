/** The `source:` section of Exchange Web Services (type ews): on-premises Exchange or Exchange Online. */
import { z } from 'zod';
import type { Expect, SameType } from '../../src/config-blocks/connector-module.js';
import type { UserAuthConfig } from '../../src/config-blocks/endpoint.js';
import { int, nonEmpty } from '../../src/config-blocks/fields.js';
import { secretRefSchema } from '../../src/config-blocks/secret-ref-schema.js';
import type { SecretRef } from '../../src/config-blocks/secrets.js';
import { noUrlCredentials } from '../../src/config-blocks/url-credentials.js';
import { httpPlaintext, transportProblems, type TransportSettings } from '../../src/util/transport-policy.js';

/** How the EWS source logs in (see migration.example.yaml). */
export type EwsAuthConfig =
  | UserAuthConfig
  /** One service account (Basic or NTLMv2) that impersonates every mailbox. */
  | { mode: 'master'; masterUser: string; masterPassword: SecretRef; method: 'basic' | 'ntlm'; domain?: string }
  /** OAuth2 client credentials (Exchange Online app registration with full_access_as_app). */
  | { mode: 'oauth2'; tokenUrl: string; clientId: string; clientSecret: SecretRef; scope: string };

/** Exchange Web Services (on-premises Exchange or Exchange Online). */
export interface EwsSourceConfig {
  type: 'ews';
  /** https://mail.example.org/EWS/Exchange.asmx */
  url: string;
  auth: EwsAuthConfig;
  /** ExchangeImpersonation for each mailbox (default: on unless auth.mode is user). */
  impersonation: boolean;
  /** RequestServerVersion. */
  exchangeVersion: string;
  /** Required (true) for http:// URLs and for tlsVerify=false. */
  allowInsecure: boolean;
  tlsVerify: boolean;
  caFile?: string;
  /** EWS requests in flight across all mailboxes (Exchange's EWSMaxConcurrency is per user: keep it modest). */
  maxConnections: number;
  /** Upper bound for one wait asked for by ErrorServerBusy (BackOffMilliseconds) or Retry-After. */
  maxBackoffMs: number;
  /** Seconds before an unanswered request is given up (and retried). */
  timeoutSeconds: number;
  /** vCard version written for contacts. */
  vcardVersion: '3.0' | '4.0';
}

const ewsAuthSchema = z
  .object({
    mode: z.enum(['user', 'master', 'oauth2']).default('master'),
    method: z.enum(['basic', 'ntlm']).default('basic'),
    domain: nonEmpty.optional(),
    masterUser: nonEmpty.optional(),
    masterPassword: secretRefSchema.optional(),
    tenant: nonEmpty.optional(),
    tokenUrl: z.string().url('expected an https:// URL, e.g. https://login.microsoftonline.com/<tenant>/oauth2/v2.0/token')
      .refine((u) => /^https?:\/\//i.test(u), 'expected an https:// (or, with allowInsecure, http://) URL').superRefine(noUrlCredentials).optional(),
    clientId: nonEmpty.optional(),
    clientSecret: secretRefSchema.optional(),
    scope: nonEmpty.default('https://outlook.office365.com/.default'),
  })
  .strict()
  .superRefine((a, ctx) => {
    const need = (field: keyof typeof a, why: string) => {
      if (a[field] === undefined) ctx.addIssue({ code: z.ZodIssueCode.custom, path: [field], message: `required when mode is ${why}` });
    };
    if (a.mode === 'master') { need('masterUser', 'master'); need('masterPassword', 'master'); }
    if (a.mode === 'oauth2') {
      need('clientId', 'oauth2'); need('clientSecret', 'oauth2');
      if (a.tenant === undefined && a.tokenUrl === undefined) ctx.addIssue({ code: z.ZodIssueCode.custom, path: ['tenant'], message: 'tenant or tokenUrl is required when mode is oauth2' });
    }
  })
  .transform((a): EwsAuthConfig => {
    if (a.mode === 'master') {
      return { mode: 'master', masterUser: a.masterUser!, masterPassword: a.masterPassword!, method: a.method, ...(a.domain !== undefined ? { domain: a.domain } : {}) };
    }
    if (a.mode === 'oauth2') {
      const tokenUrl = a.tokenUrl ?? `https://login.microsoftonline.com/${encodeURIComponent(a.tenant!)}/oauth2/v2.0/token`;
      return { mode: 'oauth2', tokenUrl, clientId: a.clientId!, clientSecret: a.clientSecret!, scope: a.scope };
    }
    return { mode: 'user' };
  });

export const ewsSourceSchema = z
  .object({
    type: z.literal('ews'),
    url: z.string().url().refine((u) => /^https?:\/\//i.test(u), 'expected an http(s) URL, e.g. https://mail.example.org/EWS/Exchange.asmx').superRefine(noUrlCredentials),
    auth: ewsAuthSchema,
    impersonation: z.boolean().optional(),
    exchangeVersion: nonEmpty.default('Exchange2013_SP1'),
    allowInsecure: z.boolean().default(false),
    tlsVerify: z.boolean().default(true),
    caFile: nonEmpty.optional(),
    maxConnections: int(1, 100).default(8),
    maxBackoffMs: int(0, 3_600_000).default(300_000),
    timeoutSeconds: int(1, 3600).default(120),
    vcardVersion: z.enum(['3.0', '4.0']).default('3.0'),
  })
  .strict();

/**
 * The TLS rules of the EWS source (its URL, the OAuth2 token endpoint that receives the client
 * secret, certificate checks): plaintext and unverified certificates need allowInsecure. On the
 * raw document too (load.ts), like endpointProblems.
 */
export function ewsTransportProblems(e: { url?: unknown; allowInsecure?: unknown; tlsVerify?: unknown; auth?: unknown }): { path: string[]; message: string }[] {
  const isHttp = (u: unknown) => typeof u === 'string' && /^http:/i.test(u);
  const auth = e.auth !== null && typeof e.auth === 'object' ? (e.auth as Record<string, unknown>) : {};
  const at = (path: string[], t: TransportSettings) => transportProblems({ ...t, allowInsecure: e.allowInsecure }).map((p) => ({ path, message: p.message }));
  return [
    ...at(['url'], { plaintext: isHttp(e.url) ? httpPlaintext('credentials') : undefined }),
    ...at(['auth', 'tokenUrl'], { plaintext: auth['mode'] === 'oauth2' && isHttp(auth['tokenUrl']) ? httpPlaintext('the client secret') : undefined }),
    ...at(['tlsVerify'], { tlsVerify: e.tlsVerify }),
  ];
}

/** The schema's output and the interface above agree (SameType). */
type _SameType = Expect<SameType<Omit<z.output<typeof ewsSourceSchema>, 'impersonation'> & { impersonation: boolean }, EwsSourceConfig>>;
