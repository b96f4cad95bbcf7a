import type { ImapFlow, ListResponse } from 'imapflow';
import type { Logger } from 'pino';
import type { Account } from '../../src/model/types.js';
import { ConnectionPool } from '../../src/util/pool.js';
import type { SlotGate } from '../../src/util/semaphore.js';
import { connectImap, type ImapEndpoint } from './endpoint.js';
import { imapError } from './errors.js';

export interface ImapConn {
  client: ImapFlow;
  /** Folder currently open on this connection, and its UIDVALIDITY. */
  selected?: string;
  epoch?: string;
  /** Which folder list of the session this connection's folder cache holds (see ImapSession.rememberFolders). */
  foldersSeen?: number;
}

/**
 * The connections of one account on one IMAP server (a pool under the server-wide cap), and
 * `run`, which executes one operation on a pooled connection and classifies its errors.
 */
export class ImapSession {
  readonly pool: ConnectionPool<ImapConn>;
  capabilities = new Set<string>();
  namespace: { prefix: string; delimiter: string } | undefined;
  private folders: { version: number; list: ListResponse[] } = { version: 0, list: [] };

  constructor(readonly ep: ImapEndpoint, readonly account: Account, slots: SlotGate, readonly log: Logger, max: number, readonly side: 'source' | 'target') {
    this.pool = new ConnectionPool<ImapConn>({
      open: async () => ({ client: await connectImap(ep, account, log, side) }),
      close: async (c) => { await c.client.logout().catch(() => c.client.close()); },
      usable: (c) => c.client.usable,
      max,
      slots,
    });
  }

  /** Logs in once (errors surface here) and reads the capabilities and personal namespace. */
  async open(): Promise<void> {
    await this.pool.use(async (c) => {
      this.capabilities = new Set(c.client.capabilities.keys());
      const ns = c.client.namespace;
      if (ns && typeof ns.delimiter === 'string') this.namespace = { prefix: ns.prefix ?? '', delimiter: ns.delimiter };
    });
  }

  /** Runs `fn` on a connection (one with `folder` open if possible); errors come back classified. */
  run<T>(what: string, fn: (c: ImapConn) => Promise<T>, folder?: string): Promise<T> {
    return this.pool.use(async (c) => {
      if (c.foldersSeen !== this.folders.version) this.seedFolders(c);
      try {
        return await fn(c);
      } catch (err) {
        c.selected = undefined;
        throw imapError(err, `${this.side} ${this.account.login}: ${what}`);
      }
    }, folder ? (c) => c.selected === folder : undefined);
  }

  /**
   * Keeps the result of a LIST for every connection of the session: imapflow opens a folder it
   * has not listed on that very connection only after a LIST (and LSUB) of its own, two round
   * trips per connection and folder. Its per-connection folder cache is not public API: if it is
   * not there, imapflow just lists as before.
   */
  rememberFolders(list: ListResponse[]): void {
    this.folders = { version: this.folders.version + 1, list };
  }

  private seedFolders(c: ImapConn): void {
    c.foldersSeen = this.folders.version;
    const cache = (c.client as unknown as { folders?: unknown }).folders;
    if (!(cache instanceof Map)) return;
    for (const f of this.folders.list) if (!cache.has(f.path)) cache.set(f.path, f);
  }

  close(): Promise<void> {
    return this.pool.close();
  }
}

/**
 * Leaves the selected mailbox WITHOUT expunging: CLOSE on a read-write selection would remove
 * every message flagged \\Deleted (migrated ones included). So a read-write selection is first
 * switched to a read-only EXAMINE, where CLOSE expunges nothing (RFC 3501 6.4.2).
 */
export async function deselect(c: ImapConn): Promise<void> {
  const mb = c.client.mailbox;
  c.selected = undefined;
  if (!mb) return;
  if (!mb.readOnly) await c.client.mailboxOpen(mb.path, { readOnly: true });
  if (c.client.mailbox) await c.client.mailboxClose();
}
