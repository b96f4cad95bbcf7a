/** A `directory.source` / `directory.target` section turned into the connection settings of ldap-common. */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { DirectoryEndpointConfig } from '../../src/config/directory-schema.js';
import { resolveSecret } from '../../src/config-blocks/secrets.js';
import type { LdapEndpoint } from './connection.js';

/** The bind password resolved and the CA file (relative to the config's directory) read. */
export function ldapEndpointFrom(cfg: DirectoryEndpointConfig, baseDir: string, env: NodeJS.ProcessEnv = process.env): LdapEndpoint {
  const ep: LdapEndpoint = {
    url: cfg.url, bindDn: cfg.bindDn, password: resolveSecret(cfg.bindPassword, { baseDir, env }),
    tlsVerify: cfg.tlsVerify, startTls: cfg.startTls, allowInsecure: cfg.allowInsecure,
  };
  if (cfg.caFile !== undefined) ep.ca = readFileSync(path.resolve(baseDir, cfg.caFile));
  return ep;
}
