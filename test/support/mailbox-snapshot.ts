/**
 * Reads every message of a real IMAP mailbox (for assertions): per folder, a sorted list of
 * "content hash | flags | internal date" lines. Comparing a source and a target snapshot proves
 * exactly-once with flags and dates equal.
 */
import { ImapFlow } from 'imapflow';
import { readFileSync } from 'node:fs';
import { contentHash } from '../../mappings/content-hash.js';

export interface Endpoint { host: string; port: number; caFile: string }
export type Snapshot = Map<string, string[]>;

export async function snapshotMailbox(ep: Endpoint, user: string, pass: string): Promise<Snapshot> {
  const client = new ImapFlow({ host: ep.host, port: ep.port, secure: true, tls: { ca: readFileSync(ep.caFile, 'utf8') }, auth: { user, pass }, logger: false });
  await client.connect();
  const out: Snapshot = new Map();
  try {
    for (const f of await client.list()) {
      if (f.flags.has('\\Noselect') || f.flags.has('\\NonExistent')) continue;
      const lines: string[] = [];
      const mb = await client.mailboxOpen(f.path, { readOnly: true });
      if (mb.exists > 0) {
        for await (const m of client.fetch('1:*', { uid: true, flags: true, internalDate: true, source: true })) {
          const flags = [...(m.flags ?? [])].filter((x) => x !== '\\Recent').sort().join(' ');
          const date = m.internalDate ? Math.floor(new Date(m.internalDate).getTime() / 1000) : 0;
          lines.push(`${contentHash(m.source as Buffer)} | ${flags} | ${date}`);
        }
      }
      out.set(f.path, lines.sort());
    }
  } finally {
    await client.logout();
  }
  return out;
}

/** Merges source folders into the target folders they map to. */
export function regroup(snap: Snapshot, targetOf: (sourceFolder: string) => string | undefined): Snapshot {
  const out: Snapshot = new Map();
  for (const [folder, lines] of snap) {
    const t = targetOf(folder);
    if (t === undefined) continue;
    out.set(t, [...(out.get(t) ?? []), ...lines].sort());
  }
  return out;
}

export function total(snap: Snapshot): number {
  return [...snap.values()].reduce((n, l) => n + l.length, 0);
}

/** Message count of every folder, from STATUS (cheap; no message is read). */
export async function countMessages(ep: Endpoint, user: string, pass: string): Promise<number> {
  const client = new ImapFlow({ host: ep.host, port: ep.port, secure: true, tls: { ca: readFileSync(ep.caFile, 'utf8') }, auth: { user, pass }, logger: false });
  await client.connect();
  let n = 0;
  try {
    for (const f of await client.list()) {
      if (f.flags.has('\\Noselect') || f.flags.has('\\NonExistent')) continue;
      const st = await client.status(f.path, { messages: true });
      n += st ? (st.messages ?? 0) : 0;
    }
  } finally {
    await client.logout();
  }
  return n;
}
