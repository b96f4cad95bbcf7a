/**
 * The `routing:` section of migration.yaml: split-domain coexistence of the UMS with Exchange
 * (Postfix maps, cutover state, Exchange-side plan). Optional; the `cutover` and `routing`
 * commands need it. Paths (mapDir, postfixConfigDir, addressBook.file, auditFile) become absolute
 * against the config file's directory when loaded (load.ts).
 */
import { z } from 'zod';
import { asciiDomain } from '../../mappings/directory/smtp-address.js';

export type PostfixMapType = 'hash' | 'lmdb' | 'cdb' | 'btree';

/**
 * Where the routing's users, addresses and groups come from: the directory sync's state (what the
 * last `directory sync` read from AD/LDAP: written `addressBook: directory`), or a CSV file
 * (`addressBook: ./book.csv`, or `{ format: csv, file: … }`).
 */
export type AddressBookConfig =
  | {
    format: 'csv';
    /** Absolute after loading. */
    file: string;
  }
  | { format: 'directory' };

export interface RoutingConfig {
  /** The shared SMTP domains, split between Exchange and the UMS. */
  domains: string[];
  /** Delivered only on the UMS; Exchange forwards cut-over users to <login>@<routingSubdomain>. */
  routingSubdomain: string;
  /** Relay next hop of Exchange, e.g. "[exchange.corp.example]:25". */
  exchangeHost: string;
  /** transport(5) result for UMS delivery, e.g. "lmtp:unix:private/courier-lmtp" or "local:". */
  umsTransport: string;
  /** Published map versions live here (versions/…, `current` symlink). Absolute after loading. */
  mapDir: string;
  /** Postfix lookup table type used with postmap(1). */
  mapType: PostfixMapType;
  /** Postfix config dir: `postfix -c <dir> reload` after publish/rollback. Absolute after loading. */
  postfixConfigDir?: string;
  /** Directory of the postmap and postfix programs (default: from PATH, then /usr/sbin). */
  postfixBinDir?: string;
  addressBook: AddressBookConfig;
  /** JSON-lines mirror of the audit log. Default: routing-audit.jsonl beside the SQLite state file, or in the config's directory. */
  auditFile?: string;
  /** Published versions kept (the current one and older ones for rollback), 2..1000. */
  keepVersions: number;
}

const domain = z.string().min(1).superRefine((s, ctx) => {
  if (asciiDomain(s) === undefined) ctx.addIssue({ code: z.ZodIssueCode.custom, message: `not a valid mail domain: ${JSON.stringify(s)}` });
});

export const routingSchema = z
  .object({
    domains: z.array(domain).min(1),
    routingSubdomain: domain,
    exchangeHost: z.string().min(1).regex(/^\S+$/, 'expected a next hop such as "[exchange.corp.example]:25" (no spaces)'),
    umsTransport: z.string().regex(/^[A-Za-z0-9_-]+:\S*$/, 'expected a transport(5) result such as "lmtp:unix:private/courier-lmtp" or "local:"').default('local:'),
    mapDir: z.string().min(1).default('./routing'),
    mapType: z.enum(['hash', 'lmdb', 'cdb', 'btree']).default('hash'),
    postfixConfigDir: z.string().min(1).optional(),
    postfixBinDir: z.string().min(1).optional(),
    addressBook: z.union([
      z.literal('directory').transform((): AddressBookConfig => ({ format: 'directory' })),
      z.string().min(1).transform((file): AddressBookConfig => ({ format: 'csv', file })),
      z.object({ format: z.literal('directory') }).strict(),
      z.object({ format: z.literal('csv').default('csv'), file: z.string().min(1) }).strict(),
    ], { errorMap: () => ({ message: 'expected "directory" (the directory sync\'s state), a CSV file path, or { format: csv, file: PATH }' }) }),
    auditFile: z.string().min(1).optional(),
    keepVersions: z.number().int().min(2).max(1000).default(20),
  })
  .strict()
  .superRefine((r, ctx) => {
    const sub = asciiDomain(r.routingSubdomain);
    if (sub !== undefined && r.domains.some((d) => asciiDomain(d) === sub)) {
      ctx.addIssue({ code: z.ZodIssueCode.custom, path: ['routingSubdomain'], message: `must differ from the coexistence domains (${sub} is one of them)` });
    }
  });
