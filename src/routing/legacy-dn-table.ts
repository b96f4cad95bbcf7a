/**
 * The directory's legacyExchangeDN → SMTP table for an EWS run (EX organizers and attendees
 * resolved without asking the server), from the routing address book as `routing.addressBook`
 * says: the directory sync's state (`directory`) or the CSV file. A book that cannot be read only
 * costs ResolveNames requests: said in the log, never fatal.
 */
import type { Logger } from 'pino';
import { legacyDnTable } from '../../mappings/routing/from-directory.js';
import type { MigrationConfig } from '../config/schema.js';
import { openStateStore } from '../state/open.js';
import { reasonOf } from '../util/errors.js';
import { loadRoutingAddressBook, readAddressBook } from './address-book.js';

export async function legacyDnTableFor(config: MigrationConfig, baseDir: string, log: Logger): Promise<Map<string, string> | undefined> {
  const where = config.routing?.addressBook;
  if (where === undefined) return undefined;
  const from = where.format === 'csv' ? where.file : 'the directory sync\'s state';
  try {
    const read = async () => {
      if (where.format === 'csv') return readAddressBook(where.file);
      const store = await openStateStore(config.state, { baseDir, env: process.env });
      try {
        return await loadRoutingAddressBook(config, store);
      } finally {
        await store.close();
      }
    };
    const { book, problems } = await read();
    if (problems.length > 0) log.warn({ from, problems: problems.slice(0, 5), count: problems.length }, 'address book: rows left out of the legacyExchangeDN table');
    return legacyDnTable(book);
  } catch (err) {
    log.warn({ from, err: reasonOf(err) }, 'address book unreadable: EX addresses are resolved through EWS ResolveNames only');
    return undefined;
  }
}
