/**
 * The UMS directory target (ldapts): reads the entries below the sync base (paged, only the
 * attributes the sync manages) and applies planned writes — adds, modifications and deletions
 * (deprovisioning, GAL contacts of users cut over), a few at a time on one connection. A write the server refuses is a per-entry error with the server's
 * words; the others go on. Applied writes are returned so the report (and the tests) can compare
 * them with the dry run's LDIF.
 */
import { Attribute, Change, type Client } from 'ldapts';
import type { PlannedWrite, TargetEntry } from '../../mappings/directory/ldap-writes.js';
import { allValues, openLdap, type LdapEndpoint } from '../ldap-common/connection.js';
import { coerceError } from '../../src/util/errors.js';

export interface ApplyResult {
  applied: PlannedWrite[];
  failed: { write: PlannedWrite; reason: string }[];
}

export class LdapDirectoryTarget {
  private client: Client | undefined;

  constructor(private readonly endpoint: LdapEndpoint, private readonly opts: { pageSize: number; concurrency: number }) {}

  private async connection(): Promise<Client> {
    this.client ??= await openLdap(this.endpoint);
    return this.client;
  }

  /**
   * Every entry below `base` matching `filter` (built by the caller from fixed names), with
   * `attributes`. `missingOk`: a base that does not exist yet reads as empty (LDAP result 32).
   */
  async readExisting(base: string, filter: string, attributes: string[], missingOk = false): Promise<TargetEntry[]> {
    const client = await this.connection();
    const { searchEntries } = await client.search(base, {
      scope: 'sub',
      filter,
      attributes: [...new Set(['objectClass', ...attributes])],
      paged: { pageSize: this.opts.pageSize },
    }).catch((err: unknown) => {
      if (missingOk && (err as { code?: number }).code === 32) return { searchEntries: [] };
      throw err;
    });
    return searchEntries.map((e) => {
      const attrs: Record<string, string[]> = {};
      for (const [k, v] of Object.entries(e)) if (k !== 'dn') attrs[k] = allValues(v);
      return { dn: e.dn, attributes: attrs };
    });
  }

  async apply(writes: readonly PlannedWrite[], onDone?: (w: PlannedWrite, error?: string) => void): Promise<ApplyResult> {
    const client = await this.connection();
    const result: ApplyResult = { applied: [], failed: [] };
    const outcome = new Map<PlannedWrite, string | null>();
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < writes.length) {
        const w = writes[next++]!;
        try {
          if (w.kind === 'add') await client.add(w.dn, w.attributes);
          else if (w.kind === 'delete') await client.del(w.dn);
          else await client.modify(w.dn, w.changes.map((c) => new Change({ operation: c.op, modification: new Attribute({ type: c.attribute, values: c.values }) })));
          outcome.set(w, null);
          onDone?.(w);
        } catch (err) {
          const reason = `${w.kind} ${w.dn}: ${coerceError(err).message}`;
          outcome.set(w, reason);
          onDone?.(w, reason);
        }
      }
    };
    await Promise.all(Array.from({ length: Math.max(1, Math.min(this.opts.concurrency, writes.length)) }, worker));
    for (const w of writes) {
      const r = outcome.get(w);
      if (r === null) result.applied.push(w);
      else result.failed.push({ write: w, reason: r ?? 'not attempted' });
    }
    return result;
  }

  async close(): Promise<void> {
    await this.client?.unbind().catch(() => undefined);
    this.client = undefined;
  }
}
