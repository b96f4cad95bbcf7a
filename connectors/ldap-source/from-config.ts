/** The directory source of `directory.source`: the one mapping of its settings, for the directory sync and `discover` alike (same selection). */
import type { DirectorySourceConfig } from '../../src/config/directory-schema.js';
import type { LdapEndpoint } from '../ldap-common/connection.js';
import { LdapDirectorySource } from './index.js';

export function directorySourceFrom(cfg: DirectorySourceConfig, endpoint: LdapEndpoint): LdapDirectorySource {
  return new LdapDirectorySource({
    endpoint, base: cfg.base, flavor: cfg.kind, pageSize: cfg.pageSize,
    ...(cfg.filter !== undefined ? { filter: cfg.filter } : {}),
    ...(cfg.group !== undefined ? { groupDn: cfg.group } : {}),
    recipientTypeAttribute: cfg.recipientTypeAttribute,
  });
}
