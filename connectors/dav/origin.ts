/**
 * The one rule for every URL the DAV target builds from server text (redirect Locations,
 * multistatus hrefs, current-user-principal, calendar-home-set, addressbook-home-set): it must
 * stay on the configured origin (scheme, host and port of groupwareTarget.url), because every
 * request carries the user's password. Anything else is a CrossOriginError naming the URL and the
 * configured origin; it is never requested. An https → http downgrade on the same host is another
 * origin too. Pure.
 */
import { FatalError } from '../../src/util/errors.js';

export class CrossOriginError extends FatalError {
  constructor(readonly url: string, readonly origin: string, what: string) {
    super(`${what}: ${url} is outside the configured groupware server ${origin}; it was not contacted, because credentials are only ever sent to ${origin}. `
      + 'If that server is the right one, set groupwareTarget.url to it; otherwise fix the server\'s own base URL (reverse proxy, overwrite.cli.url, …)', 'CROSS_ORIGIN');
  }
}

/** A URL for messages: without user:password@ (which a server could put into an href). */
export function shown(url: URL): string {
  if (url.username === '' && url.password === '') return url.href;
  const copy = new URL(url.href);
  copy.username = '';
  copy.password = '';
  return copy.href;
}

/** `href` resolved against `base`; a CrossOriginError when it leaves `origin` (or is no http(s) URL at all). */
export function resolveOnOrigin(href: string, base: URL, origin: string, what: string): URL {
  let url: URL;
  try {
    url = new URL(href, base);
  } catch {
    throw new FatalError(`${what}: ${JSON.stringify(href.slice(0, 200))} is not a URL`, 'PROTOCOL');
  }
  if (url.origin !== origin) throw new CrossOriginError(shown(url), origin, what);
  return url;
}
