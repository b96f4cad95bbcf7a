/** Small formatting helpers shared by the report renderers (English, UTC, deterministic). */
import { formatBytes } from '../src/util/format.js';
import { ITEM_TYPES, type ByteCount, type ByType, type ItemType } from './kinds.js';

const INT = new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 });

export function fmtInt(n: number): string {
  return INT.format(n);
}

/** Items per second: one decimal below 10, whole numbers above; "–" when unknown. */
export function fmtRate(r: number | null): string {
  if (r === null || !Number.isFinite(r)) return '–';
  return r < 10 ? r.toFixed(1) : INT.format(Math.round(r));
}

/** Whole percent, rounded down so that 99.9 % never shows as 100 %. */
export function fmtPercent(fraction: number): string {
  return `${Math.floor(Math.max(0, Math.min(1, fraction)) * 100)}%`;
}

/** A duration for people: "45 s", "12 min", "3 h 20 min", "2 d 4 h"; "–" when unknown. */
export function fmtDuration(seconds: number | null): string {
  if (seconds === null || !Number.isFinite(seconds)) return '–';
  const s = Math.max(0, Math.round(seconds));
  if (s < 60) return `${s} s`;
  const totalMin = Math.round(s / 60);
  if (totalMin < 60) return `${totalMin} min`;
  const h = Math.floor(totalMin / 60);
  const m = totalMin % 60;
  if (h < 24) return m === 0 ? `${h} h` : `${h} h ${m} min`;
  const totalH = Math.round(s / 3600);
  const d = Math.floor(totalH / 24);
  const hh = totalH % 24;
  return hh === 0 ? `${d} d` : `${d} d ${hh} h`;
}

/** "2025-05-01 14:03 UTC" (with seconds when asked); "–" for null. */
export function fmtTime(iso: string | null, opts: { seconds?: boolean; zone?: boolean } = {}): string {
  if (iso === null) return '–';
  const t = Date.parse(iso);
  if (Number.isNaN(t)) return iso;
  const s = new Date(t).toISOString();
  return `${s.slice(0, 10)} ${s.slice(11, opts.seconds ? 19 : 16)}${opts.zone === false ? '' : ' UTC'}`;
}

export const TYPE_LABEL: Record<ItemType, string> = { mail: 'messages', events: 'events', contacts: 'contacts', tasks: 'tasks' };

/** The item types worth showing: mail always, the others once they have anything. */
export function shownTypes(items: ByType): ItemType[] {
  return ITEM_TYPES.filter((t) => t === 'mail' || items[t].total > 0 || items[t].done > 0);
}

/** "1.1 MiB / 2.0 MiB"; the total is "unknown" while items of unknown size are left to copy (never "0 B" for a size not known). */
export function fmtBytesOf(b: ByteCount): { done: string; total: string } {
  return { done: formatBytes(b.done), total: b.total === null ? 'unknown' : formatBytes(b.total) };
}
