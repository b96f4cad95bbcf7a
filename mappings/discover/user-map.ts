/**
 * The user map `discover` writes, and how it differs from the config's current mailbox list.
 * Pure: no I/O.
 *
 * Rows are the discovered mailboxes (mailboxes.ts). Kept from the current config for the same
 * source (case-insensitive): the wave (unless the directory gives it: `waveAttribute`) and the
 * password references (`env:`/`file:` references, never secrets). Columns:
 * `source,target,wave,mailboxType` and, when the config needs them or has them, `sourcePassword`
 * and `targetPassword` (empty for new mailboxes: `validate` then names each row to fill in).
 *
 * The diff: added (in the directory, not in the config), removed (in the config, not a mailbox
 * of the directory any more: with the reason the directory gives — disabled, not a mailbox — or
 * "not found"), changed (another UMS login by the rule, or another wave from the directory).
 */
import type { DiscoveredMailbox, Discovery } from './mailboxes.js';

export interface CurrentMailbox {
  source: string;
  target: string;
  wave?: string;
  sourcePassword?: string;
  targetPassword?: string;
  /** Where the config defines it ('mailboxes[0]', 'users.csv:4'). */
  origin: string;
}

export interface UserMapRow {
  source: string;
  target: string;
  wave: string;
  mailboxType: DiscoveredMailbox['type'];
  sourcePassword: string;
  targetPassword: string;
}

export interface UserMapDiff {
  added: DiscoveredMailbox[];
  removed: (CurrentMailbox & { reason: string })[];
  changed: { source: string; changes: string[] }[];
  unchanged: number;
}

const lower = (s: string) => s.toLowerCase();

export function userMapRows(found: readonly DiscoveredMailbox[], current: readonly CurrentMailbox[], waveFromDirectory: boolean): UserMapRow[] {
  const now = new Map(current.map((c) => [lower(c.source), c]));
  return found.map((m) => {
    const c = now.get(lower(m.source));
    return {
      source: m.source, target: m.target, mailboxType: m.type,
      wave: (waveFromDirectory ? m.wave : c?.wave) ?? '',
      sourcePassword: c?.sourcePassword ?? '', targetPassword: c?.targetPassword ?? '',
    };
  });
}

export function diffUserMap(d: Discovery, current: readonly CurrentMailbox[], waveFromDirectory: boolean): UserMapDiff {
  const found = new Map(d.mailboxes.map((m) => [lower(m.source), m]));
  const why = new Map([...d.leftOut, ...d.problems].filter((l) => l.source !== undefined).map((l) => [lower(l.source!), l.reason]));
  const now = new Set(current.map((c) => lower(c.source)));
  const diff: UserMapDiff = { added: d.mailboxes.filter((m) => !now.has(lower(m.source))), removed: [], changed: [], unchanged: 0 };
  for (const c of current) {
    const m = found.get(lower(c.source));
    if (m === undefined) {
      diff.removed.push({ ...c, reason: why.get(lower(c.source)) ?? 'not found in the directory selection (deleted, moved, or not a user)' });
      continue;
    }
    const changes: string[] = [];
    if (m.target !== c.target) changes.push(`UMS login ${c.target} → ${m.target}`);
    if (waveFromDirectory && (m.wave ?? '') !== (c.wave ?? '')) changes.push(`wave ${c.wave ?? '(none)'} → ${m.wave ?? '(none)'}`);
    if (changes.length > 0) diff.changed.push({ source: c.source, changes });
    else diff.unchanged++;
  }
  return diff;
}

/** An RFC 4180 field (quoted when it holds a comma, quote, line break or outer space). */
function field(v: string): string {
  return /[",\r\n]|^\s|\s$/.test(v) ? `"${v.replace(/"/g, '""')}"` : v;
}

export function renderUserMap(rows: readonly UserMapRow[], passwords: { source: boolean; target: boolean }): string {
  const cols: (keyof UserMapRow)[] = ['source', 'target', 'wave', 'mailboxType'];
  if (passwords.source || rows.some((r) => r.sourcePassword !== '')) cols.push('sourcePassword');
  if (passwords.target || rows.some((r) => r.targetPassword !== '')) cols.push('targetPassword');
  return [cols.join(','), ...rows.map((r) => cols.map((c) => field(r[c])).join(','))].map((l) => `${l}\r\n`).join('');
}
