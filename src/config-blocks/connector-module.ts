/**
 * The contract of a connector module (connectors/<x>/module.ts, listed in connectors/modules.ts):
 * everything the app knows about one `type` of source, target or groupware target. The config
 * schema's `source`, `target` and `groupwareTarget` sections are assembled from the modules'
 * schemas, load.ts and the commands ask the module instead of naming types, and the registry
 * builds the connector through `create`, which imports the implementation only when called (a
 * run loads no code of a connector it is not configured with).
 */
import type { z } from 'zod';
import type { ConnectorContext } from '../model/connector-context.js';
import type { SourceConnector, TargetConnector } from '../model/types.js';

export type ConnectorRole = 'source' | 'target' | 'groupware-target';

/** A problem of a raw section, its path below the section. */
export interface SectionProblem {
  path: string[];
  message: string;
}

export interface ConnectorModule<Role extends ConnectorRole, Config extends { type: string }, Parsed = Config> {
  /** The value of the section's `type`. */
  type: Config['type'];
  role: Role;
  /** The section's strict object schema with its `type` literal: one option of the role's union. */
  schema: z.AnyZodObject;
  /** Rules across the section's fields, once every field parsed. */
  check?(parsed: Parsed, ctx: z.RefinementCtx): void;
  /** Defaults that depend on other fields (parsed → resolved). */
  finish?(parsed: Parsed): Config;
  /**
   * The transport rules again on the raw section, for when the schema stopped before `check`
   * (zod skips an object's refinements when one of its fields is invalid).
   */
  rawProblems?(raw: Record<string, unknown>): SectionProblem[];
  /** Relative paths (directories, CA files) made absolute with `abs` (against the config's directory). */
  normalise(cfg: Config, abs: (p: string) => string): Config;
  /** The CA bundle the section names (absolute after `normalise`), for `validate` to read. */
  caFile?(cfg: Config): string | undefined;
  /**
   * Whether each mailbox logs in with its own password (`sourcePassword` / `targetPassword`), and
   * why, for messages ("required because source.auth.mode is user"). `side`: the section's key.
   */
  mailboxLogin(cfg: Config, side: string): { ownPassword: boolean; why: string };
  /** `discover` with sourceLogin auto: the directory attribute a mailbox's source login is ('mail' or the login name). */
  discoverLogin?: 'mail' | 'login';
  /** The connector resolves EX (legacyExchangeDN) addresses with the routing address book's table. */
  wantsLegacyDnTable?: boolean;
  /** Builds the connector; imports its implementation on the first call. */
  create(cfg: Config, ctx: ConnectorContext): Promise<Role extends 'source' ? SourceConnector : TargetConnector>;
}

/** Any module of a role (its config type erased: the lists hold modules of different types). */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnyConnectorModule<Role extends ConnectorRole = ConnectorRole> = ConnectorModule<Role, any, any>;

/** The resolved config of a module. */
export type ConfigOf<M> = M extends ConnectorModule<ConnectorRole, infer C, unknown> ? C : never;

/** The hooks of a section with an optional `caFile` (made absolute; read by `validate`). */
export const caFileHooks = {
  normalise: <C extends { caFile?: string }>(cfg: C, abs: (p: string) => string): C => (cfg.caFile !== undefined ? { ...cfg, caFile: abs(cfg.caFile) } : cfg),
  caFile: (cfg: { caFile?: string }): string | undefined => cfg.caFile,
};

/** A module without the password question answered by its auth (a file reader: no login at all). */
export const noLogin = (cfg: { type: string }, side: string) => ({ ownPassword: false, why: `${side}.type ${cfg.type} needs no password` });

/**
 * Compile-time check that a connector's hand-written config interface (kept for its doc comments)
 * and its schema's output are the same type: `type _Same = Expect<SameType<z.output<typeof s>, C>>`
 * fails to compile when a field is added, dropped or retyped on one side only.
 */
export type SameType<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
export type Expect<T extends true> = T;
