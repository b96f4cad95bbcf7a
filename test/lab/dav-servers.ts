/**
 * The lab's two CalDAV/CardDAV servers behind one interface, so the DAV tests run against both
 * (`describe.each(DAV_SERVERS)`): Radicale (lenient: stores what it can parse) and Cyrus IMAP 3.6's
 * httpd (strict: validates like sabre/NextCloud and more, 403 with a precondition element).
 */
import { createCyrusDavUser, startCyrus } from './cyrus.js';
import { createDavUser, startRadicale } from './radicale.js';

export interface DavLabServer {
  name: 'Radicale' | 'Cyrus';
  /** True for a server that refuses objects outside the CalDAV/CardDAV profile (Cyrus). */
  strict: boolean;
  url: string;
  tlsUrl: string;
  /** PEM file of the CA behind tlsUrl. */
  caFile: string;
  /** Collections every new user already has (Cyrus: "personal" calendar and address book). */
  defaults: string[];
  createUser(prefix: string): Promise<{ login: string; password: string }>;
}

export interface DavLabEntry {
  name: DavLabServer['name'];
  start(): Promise<DavLabServer>;
}

export const DAV_SERVERS: DavLabEntry[] = [
  {
    name: 'Radicale',
    start: async () => {
      const r = await startRadicale();
      return { name: 'Radicale', strict: false, url: r.url, tlsUrl: r.tlsUrl, caFile: r.ca, defaults: [], createUser: (p) => createDavUser(p) };
    },
  },
  {
    name: 'Cyrus',
    start: async () => {
      const c = await startCyrus();
      return {
        name: 'Cyrus', strict: true, url: c.url, tlsUrl: c.tlsUrl, caFile: c.caFile,
        defaults: ['addressbook:personal', 'calendar:personal'], createUser: (p) => createCyrusDavUser(p),
      };
    },
  },
];
