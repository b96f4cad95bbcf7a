/**
 * Builds connectors from the config through the connector modules (connectors/modules.ts: which
 * folder serves which `type`). Each module imports its implementation only when its type is
 * configured (a worker or a run of IMAP → Courier does not load the PST, EWS, Kopano or DAV code:
 * about a third of a process's start-up CPU).
 */
import type { ConnectorContext } from '../src/model/connector-context.js';
import type { SourceConnector, TargetConnector } from '../src/model/types.js';
import { moduleFor, type GroupwareTargetConfig, type SourceConfig, type TargetConfig } from './modules.js';
import type { ConnectorRole } from '../src/config-blocks/connector-module.js';

export type { ConnectorContext } from '../src/model/connector-context.js';

function moduleOf<Role extends ConnectorRole>(role: Role, type: string) {
  const m = moduleFor(role, type);
  // The config schema accepts only the listed types: a miss is a config built by hand.
  if (!m) throw new Error(`no ${role} connector of type ${JSON.stringify(type)}`);
  return m;
}

export async function createSource(cfg: SourceConfig, ctx: ConnectorContext): Promise<SourceConnector> {
  return moduleOf('source', cfg.type).create(cfg, ctx);
}

export async function createTarget(cfg: TargetConfig, ctx: ConnectorContext): Promise<TargetConnector> {
  return moduleOf('target', cfg.type).create(cfg, ctx);
}

/** The CalDAV/CardDAV target of `groupwareTarget`. */
export async function createGroupwareTarget(cfg: GroupwareTargetConfig, ctx: ConnectorContext): Promise<TargetConnector> {
  return moduleOf('groupware-target', cfg.type).create(cfg, ctx);
}

/** The target of a job: the mail target, joined by the groupware target when one is configured. */
export async function createTargets(cfg: { target: TargetConfig; groupwareTarget?: GroupwareTargetConfig }, ctx: ConnectorContext): Promise<TargetConnector> {
  const mail = await createTarget(cfg.target, ctx);
  if (!cfg.groupwareTarget) return mail;
  const { SplitTarget } = await import('./split-target.js');
  return new SplitTarget(mail, await createGroupwareTarget(cfg.groupwareTarget, ctx));
}
