/**
 * The `discover:` section of migration.yaml: how `ums-migrate discover` turns the mailboxes of
 * the source directory (`directory.source`) into user map rows. Optional; every field has a
 * default. The UMS login (`target`) is made by `directory.loginRule` (from, case, spaces): the
 * directory sync's own rule, so the user map and the UMS accounts never disagree.
 */
import { z } from 'zod';

export interface DiscoverConfig {
  /**
   * What the `source` column holds, i.e. what the mail migration logs in as on the source:
   * `login` (sAMAccountName / uid), `mail` (the primary SMTP address: what EWS impersonation
   * uses), `userPrincipalName`; `auto`: the source module's `discoverLogin` (mail for ews, else login).
   */
  sourceLogin: 'auto' | 'login' | 'mail' | 'userPrincipalName';
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
    // Moved to directory.loginRule.from (one rule for discover and the directory sync): named, not just "unrecognized".
    targetLogin: z.unknown().optional().superRefine((v, ctx) => {
      if (v !== undefined) ctx.addIssue({ code: z.ZodIssueCode.custom, message: `discover.targetLogin is now directory.loginRule.from (one rule for discover and the directory sync): write "loginRule: { from: ${typeof v === 'string' ? v : 'login'} }" under directory:` });
    }),
    waveAttribute: attrName.optional(),
    mailboxAttribute: attrName.optional(),
    includeDisabled: z.boolean().default(false),
  })
  .strict()
  .transform(({ targetLogin: _moved, ...rest }): DiscoverConfig => rest);

/** The section with its defaults (configs built in code may leave it out). */
export function discoverSettings(c: { discover?: DiscoverConfig }): DiscoverConfig {
  return c.discover ?? { sourceLogin: 'auto', includeDisabled: false };
}
