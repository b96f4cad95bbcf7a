/**
 * What `discover` reads from the source directory (`directory.source`): every user of the
 * directory sync's selection (same base, filter, group and recipient type attribute, through the
 * same LdapDirectorySource: account state and mailbox type included), plus the few attributes
 * discovery needs beyond that (wave, mailbox marker, userPrincipalName), read in a second paged
 * search of the base and joined by DN. Read-only.
 */
import { allValues, openLdap } from '../../connectors/ldap-common/connection.js';
import { ldapEndpointFrom } from '../../connectors/ldap-common/from-config.js';
import { directorySourceFrom } from '../../connectors/ldap-source/from-config.js';
import type { SourceError } from '../../connectors/ldap-source/index.js';
import type { DiscoverInput } from '../../mappings/discover/mailboxes.js';
import type { DirectoryConfig } from '../config/directory-schema.js';

export interface DirectoryUsersRead {
  users: DiscoverInput[];
  /** Entries the read could not use (no stable key…), by DN. */
  errors: SourceError[];
  /** Where it was read, for messages. */
  where: string;
}

export async function readDirectoryUsers(dir: DirectoryConfig, baseDir: string, extraAttributes: readonly string[], env: NodeJS.ProcessEnv = process.env): Promise<DirectoryUsersRead> {
  const ep = ldapEndpointFrom(dir.source, baseDir, env);
  const source = directorySourceFrom(dir.source, ep);
  const read = await source.read();
  const extras = new Map<string, Map<string, string>>();
  const wanted = [...new Set(extraAttributes.map((a) => a.toLowerCase()))];
  if (wanted.length > 0) {
    const client = await openLdap(ep);
    try {
      const filter = read.flavor === 'ad' ? '(&(objectClass=user)(!(objectClass=computer)))' : '(|(objectClass=inetOrgPerson)(objectClass=person))';
      const { searchEntries } = await client.search(dir.source.base, { scope: 'sub', filter, attributes: [...extraAttributes], paged: { pageSize: dir.source.pageSize } });
      for (const e of searchEntries) {
        const values = new Map<string, string>();
        for (const [k, v] of Object.entries(e)) {
          const first = allValues(v).find((x) => x.trim() !== '');
          if (k !== 'dn' && wanted.includes(k.toLowerCase()) && first !== undefined) values.set(k.toLowerCase(), first);
        }
        extras.set(e.dn.toLowerCase(), values);
      }
    } finally {
      await client.unbind().catch(() => undefined);
    }
  }
  const users = read.objects.filter((o) => o.kind === 'user').map((object) => ({ object, extra: extras.get(object.dn.toLowerCase()) ?? new Map<string, string>() }));
  return { users, errors: read.errors, where: `${dir.source.url} ${dir.source.base}` };
}
