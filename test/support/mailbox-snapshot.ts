/**
 * Reads every message of a real IMAP mailbox (for assertions): per folder, a sorted list of
 * "content hash | flags | internal date" lines. Comparing a source and a target snapshot proves
 * exactly-once with flags and dates equal.
 */
import { ImapFlow } from 'imapflow';
import { readFileSync } from 'node:fs';
import { contentHash } from '../../mappings/content-hash.js';
import { planFolders } from '../../mappings/folders.js';
import type { Lab } from '../lab/lab.js';

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

const DEFAULT_RULES = { include: ['**'], exclude: [], rename: [], specialUse: { sent: 'Sent', trash: 'Trash', junk: 'Spam', drafts: 'Drafts', archive: 'Archive' }, invalidCharReplacement: '_' };

/**
 * (In jest only: uses the global `expect`.) Asserts that every message of the source mailbox is in the target exactly once, in the folder
 * the default folder rules map it to, with equal content, flags and INTERNALDATE.
 */
export async function expectExactlyOnce(lab: Lab, source: string, target: string, password: string): Promise<number> {
  const src = await snapshotMailbox({ ...lab.source, port: lab.source.tlsPort }, source, password);
  const tgt = await snapshotMailbox({ ...lab.target, port: lab.target.tlsPort }, target, password);
  const plan = planFolders([...src.keys()].map((p) => ({ id: p, path: p.toUpperCase() === 'INBOX' ? ['INBOX'] : p.split('/') })), DEFAULT_RULES, { prefix: 'INBOX.', delimiter: '.' });
  const map = new Map(plan.folders.map((f) => [f.sourceId, f.target]));
  const expected = regroup(src, (f) => map.get(f));
  for (const [folder, lines] of expected) expect({ folder, lines: tgt.get(folder) }).toEqual({ folder, lines });
  expect(total(tgt)).toBe(total(src));
  return total(src);
}
