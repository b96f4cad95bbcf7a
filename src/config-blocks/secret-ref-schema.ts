/**
 * The one zod schema of a secret reference field (`env:NAME` / `file:PATH`), and the walk that
 * finds every such field of a document through the schema. Every config section declares its
 * secrets with `secretRefSchema`, so `validate` checks every secret of every connector and auth
 * mode without a list to keep up to date (secret-ref-schema.test.ts fails when a config module
 * builds a secret field of its own).
 */
import { z } from 'zod';
import { secretRefProblem, type SecretRef } from './secrets.js';

export const secretRefSchema = z
  .string()
  .superRefine((s, ctx) => {
    const problem = secretRefProblem(s);
    if (problem !== undefined) ctx.addIssue({ code: z.ZodIssueCode.custom, message: problem });
  })
  .transform((s) => s as SecretRef);

export interface FoundSecretRef {
  /** Where it is in the document, e.g. ['source', 'auth', 'clientSecret']. */
  path: (string | number)[];
  /** The reference as written (a string; maybe not even well-formed). */
  ref: string;
}

const isObj = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);

/** Every value of `data` (the raw document, before parsing) that `schema` reads as a secret reference. */
export function secretRefsIn(schema: z.ZodTypeAny, data: unknown, path: (string | number)[] = []): FoundSecretRef[] {
  const found: FoundSecretRef[] = [];
  const seen = new Set<string>();
  const walk = (s: z.ZodTypeAny, v: unknown, at: (string | number)[]): void => {
    if (v === undefined || v === null) return;
    for (;;) {
      if (s === secretRefSchema) {
        const key = JSON.stringify(at);
        if (typeof v === 'string' && !seen.has(key)) {
          seen.add(key);
          found.push({ path: at, ref: v });
        }
        return;
      }
      if (s instanceof z.ZodEffects) s = s._def.schema as z.ZodTypeAny;
      else if (s instanceof z.ZodDefault || s instanceof z.ZodCatch) s = s._def.innerType as z.ZodTypeAny;
      else if (s instanceof z.ZodOptional || s instanceof z.ZodNullable) s = s.unwrap() as z.ZodTypeAny;
      else if (s instanceof z.ZodBranded) s = s.unwrap() as z.ZodTypeAny;
      else if (s instanceof z.ZodReadonly) s = s._def.innerType as z.ZodTypeAny;
      else if (s instanceof z.ZodLazy) s = s.schema as z.ZodTypeAny;
      else if (s instanceof z.ZodPipeline) s = s._def.in as z.ZodTypeAny;
      else break;
    }
    if (s instanceof z.ZodObject) {
      if (!isObj(v)) return;
      for (const [key, field] of Object.entries(s.shape as Record<string, z.ZodTypeAny>)) walk(field, v[key], [...at, key]);
    } else if (s instanceof z.ZodDiscriminatedUnion) {
      if (!isObj(v)) return;
      const option = (s.optionsMap as Map<unknown, z.ZodTypeAny>).get(v[s.discriminator as string]);
      if (option) walk(option, v, at);
    } else if (s instanceof z.ZodUnion) {
      for (const option of s.options as z.ZodTypeAny[]) walk(option, v, at);
    } else if (s instanceof z.ZodIntersection) {
      walk(s._def.left as z.ZodTypeAny, v, at);
      walk(s._def.right as z.ZodTypeAny, v, at);
    } else if (s instanceof z.ZodArray) {
      if (Array.isArray(v)) v.forEach((item, i) => walk(s.element as z.ZodTypeAny, item, [...at, i]));
    } else if (s instanceof z.ZodTuple) {
      if (Array.isArray(v)) (s.items as z.ZodTypeAny[]).forEach((item, i) => walk(item, v[i], [...at, i]));
    } else if (s instanceof z.ZodRecord) {
      if (isObj(v)) for (const [key, item] of Object.entries(v)) walk(s._def.valueType as z.ZodTypeAny, item, [...at, key]);
    }
  };
  walk(schema, data, path);
  return found;
}
