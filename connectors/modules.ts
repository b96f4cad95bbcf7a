/**
 * The connector modules: the one list of every `type` the config accepts for `source`, `target`
 * and `groupwareTarget`. The config schema is assembled from it (src/config/schema.ts) and the
 * registry builds connectors through it; a new connector is its folder with a module.ts, one line
 * here and its example block in migration.example.yaml (README "Adding a source").
 *
 * The order is the order of the types in the schema's messages ("expected 'imap' | 'ews' | …").
 */
import type { AnyConnectorModule, ConfigOf, ConnectorRole } from '../src/config-blocks/connector-module.js';
import { davTargetModule } from './dav/module.js';
import { ewsSourceModule } from './ews/module.js';
import { imapSourceModule } from './imap-source/module.js';
import { kopanoBackupSourceModule, kopanoTreeSourceModule } from './kopano/module.js';
import { msgSourceModule } from './msg/module.js';
import { pstSourceModule } from './pst/module.js';
import { umsImapTargetModule } from './ums-imap/module.js';

export const CONNECTOR_MODULES = [
  imapSourceModule,
  ewsSourceModule,
  pstSourceModule,
  kopanoBackupSourceModule,
  kopanoTreeSourceModule,
  msgSourceModule,
  umsImapTargetModule,
  davTargetModule,
] as const;

type Module = (typeof CONNECTOR_MODULES)[number];
type ModuleOf<Role extends ConnectorRole> = Extract<Module, { role: Role }>;

/** The resolved `source:` section: one member per source module, discriminated on `type`. */
export type SourceConfig = ConfigOf<ModuleOf<'source'>>;
export type TargetConfig = ConfigOf<ModuleOf<'target'>>;
export type GroupwareTargetConfig = ConfigOf<ModuleOf<'groupware-target'>>;

/** The modules of one role, in list order. */
export function modulesOf<Role extends ConnectorRole>(role: Role): AnyConnectorModule<Role>[] {
  return CONNECTOR_MODULES.filter((m): m is Module & AnyConnectorModule<Role> => m.role === role);
}

/** The module serving `type` in `role`, if any. */
export function moduleFor<Role extends ConnectorRole>(role: Role, type: unknown): AnyConnectorModule<Role> | undefined {
  return modulesOf(role).find((m) => m.type === type);
}

/**
 * The module that reads a raw section of `role`: by its `type`, or, when it names none, the role's
 * only module (whose schema may default the type, as the target's does: see roleSchema in
 * src/config/schema.ts).
 */
export function moduleForRaw<Role extends ConnectorRole>(role: Role, section: Record<string, unknown>): AnyConnectorModule<Role> | undefined {
  const modules = modulesOf(role);
  return section['type'] === undefined && modules.length === 1 ? modules[0] : moduleFor(role, section['type']);
}
