/**
 * Field schemas shared by the config sections and the connectors' config modules
 * (connectors/<x>/config.ts): their messages are the config's messages, so they live once here.
 * This folder is apart from src/config because src/config imports the connectors' config modules
 * (the source/target sections are assembled from them): were their building blocks in src/config,
 * src/config and each connector folder would import each other (test/architecture forbids folder cycles).
 */
import { z } from 'zod';

export const DEFAULT_MAX_MESSAGE_SIZE = 50 * 1024 * 1024;

/** Short, value-safe description of a YAML value for messages. */
export function describeValue(v: unknown): string {
  if (v === undefined) return 'nothing';
  if (v === null) return 'an empty value';
  if (typeof v === 'string') return JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}…` : v);
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  if (v instanceof Date) return v.toISOString();
  if (Array.isArray(v)) return 'a list';
  return 'a mapping';
}

export const nonEmpty = z.string().min(1);

export const int = (min: number, max: number) => z.number().int().min(min).max(max);

const SIZE = /^(\d+(?:\.\d+)?)\s*(B|K|KB|KiB|M|MB|MiB|G|GB|GiB)?$/i;
const SIZE_FACTOR: Record<string, number> = { '': 1, b: 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3 };

/** "50MB" → 52428800 (1024-based); a number is bytes. Undefined when invalid. */
export function parseSize(v: unknown): number | undefined {
  if (typeof v === 'number') return Number.isInteger(v) && v > 0 ? v : undefined;
  if (typeof v !== 'string') return undefined;
  const m = SIZE.exec(v.trim());
  if (!m) return undefined;
  const unit = (m[2] ?? '').charAt(0).toLowerCase();
  const bytes = Math.floor(Number(m[1]) * (SIZE_FACTOR[unit] ?? 1));
  return bytes > 0 ? bytes : undefined;
}

export const sizeField = z.unknown().transform((v, ctx): number => {
  if (v === undefined) return DEFAULT_MAX_MESSAGE_SIZE;
  const n = parseSize(v);
  if (n === undefined) {
    ctx.addIssue({
      code: z.ZodIssueCode.custom,
      message: `expected a positive size in bytes or with KB/MB/GB, got ${describeValue(v)}`,
    });
    return z.NEVER;
  }
  return n;
});
