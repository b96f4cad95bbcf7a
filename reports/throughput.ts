/**
 * The report's throughput: items written per time bucket, the active periods a rate is measured
 * over, the recent rate an ETA uses, and the chart's series (see the definitions in model.ts).
 * Pure.
 */
import type { ThroughputRow } from '../src/state/store.js';

/** Pauses longer than this between written items split a mailbox's active period. */
export const ACTIVE_GAP_SECONDS = 300;
/** The window, at the end of the last active period, that "recent throughput" is measured over. */
export const RECENT_SECONDS = 600;
/** The throughput chart gets at most about this many points. */
export const MAX_SERIES_POINTS = 60;

export interface ThroughputPoint {
  /** Start of the bucket, ISO time. */
  at: string;
  items: number;
  bytes: number;
  /** items / bucketSeconds */
  itemsPerSecond: number;
}

export interface ThroughputSeries {
  bucketSeconds: number;
  points: ThroughputPoint[];
}

export interface Bucket {
  /** Start, seconds since the epoch. */
  t: number;
  items: number;
  bytes: number;
}

export function rates(buckets: Bucket[], size: number): { throughput: number | null; recent: number | null; firstAt: string | null } {
  const sorted = [...buckets].filter((b) => b.items > 0 && Number.isFinite(b.t)).sort((a, b) => a.t - b.t);
  const first = sorted[0];
  if (!first) return { throughput: null, recent: null, firstAt: null };
  // Active periods: runs of buckets whose gaps are at most ACTIVE_GAP_SECONDS.
  const spans: { start: number; end: number; buckets: Bucket[] }[] = [];
  for (const b of sorted) {
    const last = spans.at(-1);
    if (last && b.t - last.end <= ACTIVE_GAP_SECONDS) {
      last.end = Math.max(last.end, b.t + size);
      last.buckets.push(b);
    } else {
      spans.push({ start: b.t, end: b.t + size, buckets: [b] });
    }
  }
  const items = sorted.reduce((n, b) => n + b.items, 0);
  const active = spans.reduce((n, s) => n + (s.end - s.start), 0);
  const lastSpan = spans.at(-1) as (typeof spans)[number];
  const windowStart = Math.max(lastSpan.start, lastSpan.end - Math.ceil(RECENT_SECONDS / size) * size);
  const recentItems = lastSpan.buckets.filter((b) => b.t >= windowStart).reduce((n, b) => n + b.items, 0);
  return {
    throughput: items / active,
    recent: recentItems / (lastSpan.end - windowStart),
    firstAt: new Date(first.t * 1000).toISOString(),
  };
}

export function eta(remaining: number, recent: number | null): number | null {
  if (remaining === 0) return 0;
  if (recent === null || recent <= 0) return null;
  return Math.round(remaining / recent);
}

export function combine(rows: ThroughputRow[]): Bucket[] {
  const byTime = new Map<number, Bucket>();
  for (const r of rows) {
    const t = Date.parse(r.at) / 1000;
    const b = byTime.get(t) ?? { t, items: 0, bytes: 0 };
    b.items += r.items;
    b.bytes += r.bytes;
    byTime.set(t, b);
  }
  return [...byTime.values()].sort((a, b) => a.t - b.t);
}

const NICE_BUCKETS = [1, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 10800, 21600, 43200, 86400, 7 * 86400, 30 * 86400];

/** Re-buckets the combined series to at most about MAX_SERIES_POINTS points, with empty buckets as zeros. */
export function series(buckets: Bucket[], inputSize: number): ThroughputSeries {
  const valid = buckets.filter((b) => Number.isFinite(b.t));
  const first = valid[0];
  const last = valid.at(-1);
  if (!first || !last) return { bucketSeconds: inputSize, points: [] };
  const span = last.t + inputSize - first.t;
  const size = NICE_BUCKETS.find((s) => s >= inputSize && s % inputSize === 0 && Math.ceil(span / s) <= MAX_SERIES_POINTS)
    ?? Math.ceil(span / MAX_SERIES_POINTS / inputSize) * inputSize;
  const start = Math.floor(first.t / size) * size;
  const count = Math.floor(last.t / size) - Math.floor(first.t / size) + 1;
  const points: ThroughputPoint[] = Array.from({ length: count }, (_, i) => ({
    at: new Date((start + i * size) * 1000).toISOString(), items: 0, bytes: 0, itemsPerSecond: 0,
  }));
  for (const b of valid) {
    const p = points[Math.floor(b.t / size) - Math.floor(first.t / size)];
    if (!p) continue;
    p.items += b.items;
    p.bytes += b.bytes;
  }
  for (const p of points) p.itemsPerSecond = p.items / size;
  return { bucketSeconds: size, points };
}
