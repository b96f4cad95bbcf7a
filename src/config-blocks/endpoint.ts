/**
 * The IMAP endpoint section shared by the IMAP source and the UMS target (host, port, TLS, auth):
 * its schema, resolved types and TLS rules (the transport policy, src/util/transport-policy.ts).
 */
import { z } from 'zod';
import { secretRefSchema } from './secret-ref-schema.js';
import type { SecretRef } from './secrets.js';
import { caFileHooks } from './connector-module.js';
import { int, nonEmpty } from './fields.js';
import { IMAP_PLAINTEXT, transportProblems } from '../util/transport-policy.js';

export type TlsMode = 'implicit' | 'starttls' | 'none';
export type MasterStyle = 'authzid' | 'separator';

/** Each mailbox logs in with its own password (`sourcePassword` / `targetPassword`). */
export interface UserAuthConfig {
  mode: 'user';
}

/** One admin/master login for all mailboxes. */
export interface MasterAuthConfig {
  mode: 'master';
  masterUser: string;
  masterPassword: SecretRef;
  /** authzid: SASL PLAIN with the mailbox as authorization id; separator: login "user<sep>master". */
  masterStyle: MasterStyle;
  masterSeparator: string;
}

export type AuthConfig = UserAuthConfig | MasterAuthConfig;

/** Connection settings shared by the IMAP source and the UMS target. */
export interface EndpointConfig {
  host: string;
  /** Defaults to 993 for tls=implicit, 143 otherwise. */
  port: number;
  tls: TlsMode;
  /** Required (true) for tls=none and for tlsVerify=false. */
  allowInsecure: boolean;
  tlsVerify: boolean;
  /** Extra CA bundle (absolute after loading). */
  caFile?: string;
  /** Connections to this server across the whole run. */
  maxConnections: number;
  auth: AuthConfig;
  /** Seconds a connection may stay silent while a command waits (a stalled link, a hung server) before it is dropped and retried. */
  timeoutSeconds: number;
}

const authSchema = z
  .object({
    mode: z.enum(['user', 'master']).default('user'),
    masterUser: nonEmpty.optional(),
    masterPassword: secretRefSchema.optional(),
    masterStyle: z.enum(['authzid', 'separator']).default('authzid'),
    masterSeparator: nonEmpty.default('*'),
  })
  .strict()
  .superRefine((a, ctx) => {
    if (a.mode !== 'master') return;
    if (a.masterUser === undefined) ctx.addIssue({ code: z.ZodIssueCode.custom, path: ['masterUser'], message: 'required when mode is master' });
    if (a.masterPassword === undefined) ctx.addIssue({ code: z.ZodIssueCode.custom, path: ['masterPassword'], message: 'required when mode is master' });
  })
  .transform((a): AuthConfig =>
    a.mode === 'master'
      ? { mode: 'master', masterUser: a.masterUser!, masterPassword: a.masterPassword!, masterStyle: a.masterStyle, masterSeparator: a.masterSeparator }
      : { mode: 'user' },
  );

/** The fields of an IMAP endpoint section (each connector adds its `type` and maxConnections default). */
export const endpointShape = {
  host: nonEmpty.refine((s) => !/[\s/\p{Cc}\p{Cf}]/u.test(s), 'expected a host name or address (no spaces, control or format characters, no scheme or path)'),
  port: int(1, 65535).optional(),
  tls: z.enum(['implicit', 'starttls', 'none']).default('implicit'),
  allowInsecure: z.boolean().default(false),
  tlsVerify: z.boolean().default(true),
  caFile: nonEmpty.optional(),
  auth: authSchema.default({}),
  timeoutSeconds: int(5, 3600).default(300),
};

type EndpointInput = { tls: TlsMode; allowInsecure: boolean; tlsVerify: boolean; port?: number };

/**
 * The TLS rules of one endpoint (the transport policy, src/util/transport-policy.ts): plaintext
 * and unverified certificates need allowInsecure. Also used on the raw document (load.ts) so the
 * rules are reported even when another field of the same endpoint is invalid.
 */
export function endpointProblems(e: { tls?: unknown; allowInsecure?: unknown; tlsVerify?: unknown }): { field: 'tls' | 'tlsVerify'; message: string }[] {
  return transportProblems({ plaintext: e.tls === 'none' ? IMAP_PLAINTEXT : undefined, tlsVerify: e.tlsVerify, allowInsecure: e.allowInsecure })
    .map((p) => ({ field: p.field === 'plaintext' ? 'tls' : 'tlsVerify', message: p.message }));
}

/** endpointProblems as a module's raw check (paths below the section). */
export function rawEndpointProblems(e: Record<string, unknown>): { path: string[]; message: string }[] {
  return endpointProblems(e).map((p) => ({ path: [p.field], message: p.message }));
}

export function checkEndpoint(e: EndpointInput, ctx: z.RefinementCtx): void {
  for (const p of endpointProblems(e)) ctx.addIssue({ code: z.ZodIssueCode.custom, path: [p.field], message: p.message });
}

export function defaultPort<T extends EndpointInput>(e: T): T & { port: number } {
  return { ...e, port: e.port ?? (e.tls === 'implicit' ? 993 : 143) };
}

/** Whether each mailbox logs in with its own password on an endpoint with this auth, and why (config messages quote it). */
export function authLogin(side: string, auth: { mode: string }): { ownPassword: boolean; why: string } {
  return { ownPassword: auth.mode === 'user', why: `${side}.auth.mode is ${auth.mode}` };
}

/** The module hooks an IMAP endpoint section has, whichever side it is on (the IMAP source, the UMS target). */
export const imapEndpointHooks = {
  check: checkEndpoint,
  finish: defaultPort,
  rawProblems: rawEndpointProblems,
  ...caFileHooks,
  mailboxLogin: (cfg: { auth: { mode: string } }, side: string) => authLogin(side, cfg.auth),
};
