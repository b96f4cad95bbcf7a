/**
 * The `directory:` section of migration.yaml (directory sync, `ums-migrate directory sync`):
 * where the source directory (Active Directory or any LDAP) and the UMS directory are, what is
 * selected, and how entries are written. Documented in migration.example.yaml. Paths (caFile,
 * overrides) are kept as written; the directory command resolves them against the config file's
 * directory. Secrets are `env:`/`file:` references.
 */
import { z } from 'zod';
import type { SecretRef } from '../config-blocks/secrets.js';
import { secretRefSchema } from '../config-blocks/secret-ref-schema.js';
import { noUrlCredentials } from '../config-blocks/url-credentials.js';
import { transportProblem } from '../util/ldap-transport.js';

export interface DirectoryEndpointConfig {
  url: string;
  bindDn: string;
  bindPassword: SecretRef;
  caFile?: string;
  tlsVerify: boolean;
  startTls: boolean;
  allowInsecure: boolean;
  pageSize: number;
}

export interface DirectorySourceConfig extends DirectoryEndpointConfig {
  base: string;
  filter?: string;
  group?: string;
  kind: 'auto' | 'ad' | 'ldap';
  overrides?: string;
  /** Where a user's mailbox type is read (Exchange: msExchRecipientTypeDetails). */
  recipientTypeAttribute: string;
}

export type DirectoryProfileConfig =
  | 'ums' | 'kopano' | 'ad'
  | (Partial<Record<string, string>> & { objectClasses?: string[] });

export interface DirectoryTargetConfig extends DirectoryEndpointConfig {
  base: string;
  profile: DirectoryProfileConfig;
  entryObjectClasses: string[];
  extraObjectClasses: string[];
  allowMailChange: boolean;
  concurrency: number;
  /** Mail-enabled groups are written here when set. */
  groups?: { base: string; objectClasses: string[] };
  /** Mail contacts are written here when set. */
  contacts?: { base: string; objectClasses: string[] };
  /** An attribute that gets each account's mailbox type (user, shared, room, equipment, other). */
  mailboxTypeAttribute?: string;
}

export interface DeprovisionConfig {
  policy: 'ignore' | 'disable' | 'delete';
  graceDays: number;
  disable: { attribute: string; value: string };
  minSourceRatio: number;
}

export interface DirectoryConfig {
  source: DirectorySourceConfig;
  target: DirectoryTargetConfig;
  domainRewrite: { from: string; to: string }[];
  /** How a directory user becomes a UMS login, for the directory sync and discover alike (mappings/directory/login-rule.ts). */
  loginRule: { from: 'login' | 'mailLocalPart' | 'mail'; case: 'keep' | 'lower'; spaces: 'refuse' | '.' | '-' | '_' };
  mailboxTypes: { shared: 'sync' | 'skip'; room: 'sync' | 'skip'; equipment: 'sync' | 'skip' };
  deprovision: DeprovisionConfig;
  coexistence?: { galContacts?: { base: string; objectClasses: string[] } };
}

const nonEmpty = z.string().min(1);
const secretRef = secretRefSchema; // the shared one: validate finds every secret field through it

const endpointShape = {
  url: nonEmpty.superRefine(noUrlCredentials),
  bindDn: nonEmpty,
  bindPassword: secretRef,
  caFile: nonEmpty.optional(),
  tlsVerify: z.boolean().default(true),
  startTls: z.boolean().default(false),
  allowInsecure: z.boolean().default(false),
  pageSize: z.number().int().min(1).max(10_000).default(500),
};

function checkTransport(e: { url: string; tlsVerify: boolean; startTls: boolean; allowInsecure: boolean }, ctx: z.RefinementCtx): void {
  const problem = transportProblem(e);
  if (problem !== undefined) ctx.addIssue({ code: z.ZodIssueCode.custom, path: [/tlsVerify/.test(problem) ? 'tlsVerify' : 'url'], message: problem });
}

const LOGICAL_FIELDS = ['login', 'mail', 'aliases', 'proxyAddresses', 'displayName', 'givenName', 'sn', 'title', 'department', 'company', 'telephoneNumber', 'mobile', 'l', 'st', 'street'] as const;
const attrName = z.string().regex(/^[A-Za-z][A-Za-z0-9-]*$/, 'expected an LDAP attribute name');

const syncOrSkip = z.enum(['sync', 'skip']).default('sync');

const customProfile = z.object({
  ...Object.fromEntries(LOGICAL_FIELDS.map((f) => [f, attrName.optional()])),
  objectClasses: z.array(attrName).optional(),
}).strict();

export const directorySchema = z.object({
  source: z.object({
    ...endpointShape,
    base: nonEmpty,
    filter: nonEmpty.optional(),
    group: nonEmpty.optional(),
    kind: z.enum(['auto', 'ad', 'ldap']).default('auto'),
    overrides: nonEmpty.optional(),
    recipientTypeAttribute: attrName.default('msExchRecipientTypeDetails'),
  }).strict().superRefine(checkTransport),
  target: z.object({
    ...endpointShape,
    base: nonEmpty,
    profile: z.union([z.enum(['ums', 'kopano', 'ad']), customProfile]).default('ums'),
    entryObjectClasses: z.array(attrName).default(['inetOrgPerson']),
    extraObjectClasses: z.array(attrName).default([]),
    allowMailChange: z.boolean().default(false),
    concurrency: z.number().int().min(1).max(64).default(8),
    groups: z.object({
      base: nonEmpty,
      objectClasses: z.array(attrName).min(1).default(['groupOfNames', 'ruPostMailAccount']),
    }).strict().optional(),
    contacts: z.object({
      base: nonEmpty,
      objectClasses: z.array(attrName).min(1).default(['inetOrgPerson', 'ruPostMailAccount']),
    }).strict().optional(),
    mailboxTypeAttribute: attrName.optional(),
  }).strict().superRefine(checkTransport),
  domainRewrite: z.array(z.object({ from: nonEmpty, to: nonEmpty }).strict()).default([]),
  loginRule: z.object({
    from: z.enum(['login', 'mailLocalPart', 'mail']).default('login'),
    case: z.enum(['keep', 'lower']).default('keep'),
    spaces: z.enum(['refuse', '.', '-', '_']).default('refuse'),
  }).strict().default({}),
  mailboxTypes: z.object({
    shared: syncOrSkip, room: syncOrSkip, equipment: syncOrSkip,
  }).strict().default({}),
  deprovision: z.object({
    policy: z.enum(['ignore', 'disable', 'delete']).default('ignore'),
    graceDays: z.number().int().min(0).max(3650).default(30),
    disable: z.object({ attribute: attrName, value: nonEmpty }).strict().default({ attribute: 'nsAccountLock', value: 'TRUE' }),
    minSourceRatio: z.number().min(0).max(1).default(0.5),
  }).strict().default({}),
  coexistence: z.object({
    galContacts: z.object({
      base: nonEmpty,
      objectClasses: z.array(attrName).min(1).default(['inetOrgPerson']),
    }).strict().optional(),
  }).strict().optional(),
}).strict().superRefine((d, ctx) => {
  const gal = d.coexistence?.galContacts?.base;
  if (gal === undefined) return;
  const same = (a: string | undefined): boolean => a !== undefined && a.replace(/\s+/g, '').toLowerCase() === gal.replace(/\s+/g, '').toLowerCase();
  for (const [name, base] of [['target.base', d.target.base], ['target.groups.base', d.target.groups?.base], ['target.contacts.base', d.target.contacts?.base]] as const) {
    if (same(base)) ctx.addIssue({ code: z.ZodIssueCode.custom, path: ['coexistence', 'galContacts', 'base'], message: `must differ from directory.${name}: the sync deletes GAL contacts there once their users are cut over` });
  }
}) as unknown as z.ZodType<DirectoryConfig, z.ZodTypeDef, unknown>;
