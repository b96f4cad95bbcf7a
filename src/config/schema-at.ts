/** Schema introspection for "did you mean" on unknown keys, following `source.type` through the unions. */
import { z } from 'zod';
import { migrationConfigSchema } from './schema.js';

/**
 * The schema that reads the value at `path` of the raw document `data` (following `data` through
 * discriminated unions, so `source.auth` is the auth schema of the source's type), if any.
 */
export function schemaAt(path: readonly (string | number)[], data: unknown): z.ZodTypeAny | undefined {
  let schema: z.ZodTypeAny = migrationConfigSchema;
  let value: unknown = data;
  let i = 0;
  for (;;) {
    if (i >= path.length) return schema;
    let s = unwrapSchema(schema, value);
    if (!s) return undefined;
    if (s instanceof z.ZodArray && typeof path[i] === 'number') {
      s = s.element as z.ZodTypeAny;
      value = Array.isArray(value) ? value[path[i] as number] : undefined;
    } else if (s instanceof z.ZodObject) {
      const next = (s.shape as Record<string, z.ZodTypeAny>)[String(path[i])];
      if (!next) return undefined;
      s = next;
      value = value !== null && typeof value === 'object' ? (value as Record<string, unknown>)[String(path[i])] : undefined;
    } else return undefined;
    schema = s;
    i++;
  }
}

/** The object or array schema under effects, defaults, optionals and the union option `value` selects. */
function unwrapSchema(schema: z.ZodTypeAny, value: unknown): z.ZodTypeAny | undefined {
  let s = schema;
  for (;;) {
    if (s instanceof z.ZodEffects) s = s._def.schema as z.ZodTypeAny;
    else if (s instanceof z.ZodDefault) s = s._def.innerType as z.ZodTypeAny;
    else if (s instanceof z.ZodOptional || s instanceof z.ZodNullable) s = s.unwrap() as z.ZodTypeAny;
    else if (s instanceof z.ZodDiscriminatedUnion) {
      const disc = value !== null && typeof value === 'object' ? (value as Record<string, unknown>)[s.discriminator as string] : undefined;
      const option = (s.optionsMap as Map<unknown, z.ZodTypeAny>).get(disc);
      if (!option) return undefined;
      s = option;
    } else return s;
  }
}

/** The known keys of the object schema found at `path` (following `data` through unions), if any. */
export function knownKeysAt(path: readonly (string | number)[], data: unknown): string[] | undefined {
  const schema = schemaAt(path, data);
  let value: unknown = data;
  for (const seg of path) value = value !== null && typeof value === 'object' ? (value as Record<string | number, unknown>)[seg] : undefined;
  const s = schema && unwrapSchema(schema, value);
  return s instanceof z.ZodObject ? Object.keys(s.shape as object) : undefined;
}
