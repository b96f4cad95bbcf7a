/**
 * Endpoint URLs in the config (EWS `url` and `auth.tokenUrl`, `groupwareTarget.url`, the
 * directory's LDAP `url`s) never carry credentials. `https://user:password@host/` was accepted:
 * the password was not even used to log in (each connector sends its configured secret), but the
 * URL was copied as it was into error messages (a DAV redirect naming the URL it came from, an LDAP
 * bind failure), the log and the state store (the directory sync's checkpoint key), where the
 * scrubber could not know it as a secret. Passwords belong in their secret-reference fields.
 * (state.url is different: it is itself a secret reference, resolved and scrubbed as one.)
 */
import { z } from 'zod';

/** Why `url` is refused for the credentials in it; undefined when it has none (or is no URL: other checks say so). */
export function urlCredentialsProblem(url: string): string | undefined {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return undefined;
  }
  if (u.username === '' && u.password === '') return undefined;
  return `the URL contains ${u.password === '' ? 'a user name' : 'a user name and password'} before "@": it is not used to log in, `
    + 'and the URL is shown in messages, logs and the state store. Remove it and give the password as a secret reference (env:NAME or file:PATH) in its own field';
}

/** A zod refinement: the URL carries no `user:password@`. */
export function noUrlCredentials(url: string, ctx: z.RefinementCtx): void {
  const problem = urlCredentialsProblem(url);
  if (problem !== undefined) ctx.addIssue({ code: z.ZodIssueCode.custom, message: problem });
}
