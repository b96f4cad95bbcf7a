/**
 * The `discover:` section of migration.yaml: how `ums-migrate discover` turns the mailboxes of
 * the source directory (`directory.source`) into user map rows. Optional; every field has a
 * default. The UMS login is then shaped by `directory.loginRule` (case, spaces), as the
 * directory sync shapes it.
 */
import { z } from 'zod';

export interface DiscoverConfig {
  /**
   * What the `source` column holds, i.e. what the mail migration logs in as on the source:
   * `login` (sAMAccountName / uid), `mail` (the primary SMTP address: what EWS impersonation
   * uses), `userPrincipalName`; `auto`: mail for an ews source, else login.
   */
  sourceLogin: 'auto' | 'login' | 'mail' | 'userPrincipalName';
  /** What the UMS login (`target`) is made from: the directory login, the primary address's local part, or the primary address. */
  targetLogin: 'login' | 'mailLocalPart' | 'mail';
  /** A directory attribute whose value is the mailbox's wave (e.g. extensionAttribute1); unset: the wave column is kept as the config has it (empty for new mailboxes). */
  waveAttribute?: string;
  /**
   * An attribute a user must have to count as a mailbox (e.g. homeMDB); unset: a mailbox
   * recipient type (directory.source.recipientTypeAttribute) or, in a directory without any
   * recipient types (no Exchange schema), a mail address.
   */
  mailboxAttribute?: string;
  /** Also list disabled user mailboxes (leavers). Shared, room and equipment mailboxes are always listed (their accounts are disabled by design). */
  includeDisabled: boolean;
}

const attrName = z.string().regex(/^[A-Za-z][A-Za-z0-9-]*$/, 'expected an LDAP attribute name');

export const discoverSchema = z
  .object({
    sourceLogin: z.enum(['auto', 'login', 'mail', 'userPrincipalName']).default('auto'),
    targetLogin: z.enum(['login', 'mailLocalPart', 'mail']).default('login'),
    waveAttribute: attrName.optional(),
    mailboxAttribute: attrName.optional(),
    includeDisabled: z.boolean().default(false),
  })
  .strict();

/** The section with its defaults (configs built in code may leave it out). */
export function discoverSettings(c: { discover?: DiscoverConfig }): DiscoverConfig {
  return c.discover ?? { sourceLogin: 'auto', targetLogin: 'login', includeDisabled: false };
}
