/**
 * The migration config (migration.yaml): zod schema and the resolved TypeScript types.
 *
 * Every object is strict (unknown keys are errors) and every optional field gets its default
 * here, so consumers see a fully resolved `MigrationConfig`. The `source`, `target` and
 * `groupwareTarget` sections are assembled from the connector modules (connectors/modules.ts):
 * each connector's schema and type live in its folder. Paths (state.path, logging.file, caFile,
 * userMap) are kept as written by the schema; `loadConfig`/`validateConfigText` turn them into
 * absolute paths against the config file's directory. Secret fields hold `SecretRef`s, never
 * values: resolve them with `resolveSecret` just before use.
 *
 * Cross-section rules (per-mailbox passwords, at least one mailbox, duplicates, warnings) live in
 * load.ts because they need the CSV user map.
 */
import { z } from 'zod';
import { routingSchema } from './routing-schema.js';
import { cutoverSchema } from './cutover-schema.js';
import { discoverSchema } from './discover-schema.js';
import { secretRefSchema } from '../config-blocks/secret-ref-schema.js';
import { describeValue, int, nonEmpty, sizeField } from '../config-blocks/fields.js';
import { directorySchema } from './directory-schema.js';
import { modulesOf, moduleFor, type GroupwareTargetConfig, type SourceConfig, type TargetConfig } from '../../connectors/modules.js';
import type { ConnectorRole } from '../config-blocks/connector-module.js';
import { DEFAULT_STATE_PATH, DEFAULT_SPECIAL_USE, type MailConfig, type MigrationConfig, type StateConfig } from './config-types.js';

export * from './config-types.js';
export type { SourceConfig, TargetConfig, GroupwareTargetConfig } from '../../connectors/modules.js';

/** Courier-IMAP's default MAXPERIP. */
export const COURIER_MAX_PER_IP = 20;

/** Field names whose values are secrets (or refs to them): never echoed in messages. */
export const SECRET_FIELDS: ReadonlySet<string> = new Set(['sourcePassword', 'targetPassword', 'masterPassword', 'url', 'bindPassword', 'clientSecret']);

// ---------------------------------------------------------------------------------------------
// Building blocks of the config's own sections (the ones connectors share: src/config-blocks)

/** Every secret field uses this one schema: validate finds them all through it (config-blocks/secret-ref-schema.ts). */
const secretRef = secretRefSchema;

const login = nonEmpty.refine((s) => !/[\s\p{Cc}]/u.test(s), 'must not contain spaces or control characters');

/** A "/"-joined folder path: no empty segments. */
const folderPath = nonEmpty.superRefine((s, ctx) => {
  if (s.split('/').some((seg) => seg === '')) {
    ctx.addIssue({ code: z.ZodIssueCode.custom, message: `empty path segment in ${JSON.stringify(s)} (leading, trailing or double "/")` });
  }
});

const folderGlob = folderPath.superRefine((s, ctx) => {
  for (const seg of s.split('/')) {
    if (seg.includes('**') && seg !== '**') {
      ctx.addIssue({ code: z.ZodIssueCode.custom, message: `"**" must be a whole path segment in ${JSON.stringify(s)}` });
      return;
    }
  }
});

const ISO_DATE = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?)?$/i;

/**
 * Parses "YYYY-MM-DD" (UTC midnight) or an ISO date-time ("2024-01-01T12:00:00+01:00"; without
 * an offset it is taken as UTC). Returns undefined when invalid (including 2024-02-30).
 */
export function parseConfigDate(s: string): Date | undefined {
  const m = ISO_DATE.exec(s.trim());
  if (!m) return undefined;
  const [, y, mo, d, h = '00', mi = '00', sec = '00', frac = '', zone = 'Z'] = m;
  const daysInMonth = new Date(Date.UTC(Number(y), Number(mo), 0)).getUTCDate();
  if (Number(mo) < 1 || Number(mo) > 12 || Number(d) < 1 || Number(d) > daysInMonth) return undefined;
  if (Number(h) > 23 || Number(mi) > 59 || Number(sec) > 59) return undefined;
  const offset = /^[+-]\d{4}$/.test(zone) ? `${zone.slice(0, 3)}:${zone.slice(3)}` : zone.toUpperCase();
  const date = new Date(`${y}-${mo}-${d}T${h}:${mi}:${sec}${frac}${offset}`);
  return Number.isNaN(date.getTime()) ? undefined : date;
}

const dateField = z.unknown().transform((v, ctx): Date | undefined => {
  if (v === undefined) return undefined;
  if (v instanceof Date && !Number.isNaN(v.getTime())) return v;
  const d = typeof v === 'string' ? parseConfigDate(v) : undefined;
  if (d === undefined) {
    ctx.addIssue({
      code: z.ZodIssueCode.custom,
      message: `expected a date (YYYY-MM-DD or ISO date-time), got ${describeValue(v)}`,
    });
    return z.NEVER;
  }
  return d;
});

// ---------------------------------------------------------------------------------------------
// Sections

/**
 * The section of one role assembled from its modules: their object schemas (a discriminated
 * union on `type` when there are several; with one, its schema as it is, so a `type` it defaults
 * may be left out), then each module's cross-field check and late defaults.
 */
function roleSchema<C>(role: ConnectorRole): z.ZodType<C, z.ZodTypeDef, unknown> {
  const [first, ...rest] = modulesOf(role).map((m) => m.schema);
  if (!first) throw new Error(`no connector module of role ${role}`);
  const options: z.ZodTypeAny = rest.length === 0 ? first : z.discriminatedUnion('type', [first, ...rest]);
  return options
    .superRefine((s: { type: string }, ctx) => moduleFor(role, s.type)?.check?.(s, ctx))
    .transform((s: { type: string }): C => {
      const m = moduleFor(role, s.type);
      return (m?.finish ? m.finish(s) : s) as C;
    });
}

export const sourceSchema = roleSchema<SourceConfig>('source');
export const targetSchema = roleSchema<TargetConfig>('target');
export const groupwareTargetSchema = roleSchema<GroupwareTargetConfig>('groupware-target');

export const stateSchema = z
  .object({
    driver: z.enum(['sqlite', 'postgres']).default('sqlite'),
    path: nonEmpty.optional(),
    url: secretRef.optional(),
    caFile: nonEmpty.optional(),
    allowInsecure: z.boolean().default(false),
  })
  .strict()
  .superRefine((s, ctx) => {
    if (s.driver === 'postgres' && s.url === undefined) {
      ctx.addIssue({ code: z.ZodIssueCode.custom, path: ['url'], message: 'required when driver is postgres' });
    }
  })
  .transform((s): StateConfig => (s.driver === 'postgres'
    ? { driver: 'postgres', url: s.url!, ...(s.caFile !== undefined ? { caFile: s.caFile } : {}), allowInsecure: s.allowInsecure }
    : { driver: 'sqlite', path: s.path ?? DEFAULT_STATE_PATH }));

const loggingSchema = z
  .object({
    level: z.enum(['trace', 'debug', 'info', 'warn', 'error']).default('info'),
    file: nonEmpty.optional(),
  })
  .strict();

const mailboxSchema = z
  .object({
    source: login,
    target: login.optional(),
    sourcePassword: secretRef.optional(),
    targetPassword: secretRef.optional(),
    wave: z.string().trim().min(1).optional(),
  })
  .strict();

const specialUseName = folderPath;

const foldersSchema = z
  .object({
    include: z.array(folderGlob).min(1).default(['**']),
    exclude: z.array(folderGlob).default([]),
    rename: z.array(z.object({ from: folderPath, to: folderPath }).strict()).default([]),
    specialUse: z
      .object({
        sent: specialUseName.default(DEFAULT_SPECIAL_USE.sent),
        trash: specialUseName.default(DEFAULT_SPECIAL_USE.trash),
        junk: specialUseName.default(DEFAULT_SPECIAL_USE.junk),
        drafts: specialUseName.default(DEFAULT_SPECIAL_USE.drafts),
        archive: specialUseName.default(DEFAULT_SPECIAL_USE.archive),
      })
      .strict()
      .default({}),
    invalidCharReplacement: z
      .string()
      .min(1)
      .max(8)
      .refine((s) => !/[/.\p{Cc}]/u.test(s), 'must not contain "/", "." or control characters')
      .default('_'),
  })
  .strict()
  .superRefine((f, ctx) => {
    const seen = new Map<string, number>();
    f.rename.forEach((r, i) => {
      const prev = seen.get(r.from);
      if (prev !== undefined) {
        ctx.addIssue({ code: z.ZodIssueCode.custom, path: ['rename', i, 'from'], message: `duplicate rename of ${JSON.stringify(r.from)} (also folders.rename[${prev}])` });
      } else seen.set(r.from, i);
    });
  });

const filtersSchema = z
  .object({
    before: dateField,
    since: dateField,
    maxMessageSize: sizeField,
  })
  .strict()
  .superRefine((f, ctx) => {
    if (f.before !== undefined && f.since !== undefined && f.before.getTime() <= f.since.getTime()) {
      ctx.addIssue({
        code: z.ZodIssueCode.custom,
        path: ['before'],
        message: `must be later than filters.since (${f.before.toISOString()} <= ${f.since.toISOString()})`,
      });
    }
  });

const concurrencySchema = z
  .object({
    // Four mailboxes and two folders each at once: fills a WAN link (bench:wan) within the
    // default connection caps (source 6, target 8; Courier allows 20 per IP).
    mailboxes: int(1, 100).default(4),
    tasks: int(1, 1000).default(8),
    writersPerTask: int(1, 100).default(1),
    batchSize: int(1, 5000).default(100),
  })
  .strict();

const syncSchema = z
  .object({
    flags: z.boolean().default(true),
    deletions: z.enum(['ignore', 'mirror']).default('ignore'),
  })
  .strict();

const decodeTnefField = z.unknown().transform((v, ctx): MailConfig['decodeTnef'] => {
  if (v === undefined || v === false || v === 'off') return 'off';
  if (v === true || v === 'replace') return 'replace';
  if (v === 'keep-original') return 'keep-original';
  ctx.addIssue({ code: z.ZodIssueCode.custom, message: `expected off, replace (or true) or keep-original, got ${describeValue(v)}` });
  return z.NEVER;
});

const mailSchema = z
  .object({
    decodeTnef: decodeTnefField,
  })
  .strict();

const retrySchema = z
  .object({
    attempts: int(1, 100).default(5),
    baseDelayMs: int(0, 3_600_000).default(1000),
    maxDelayMs: int(0, 86_400_000).default(60000),
  })
  .strict()
  .superRefine((r, ctx) => {
    if (r.maxDelayMs < r.baseDelayMs) {
      ctx.addIssue({ code: z.ZodIssueCode.custom, path: ['maxDelayMs'], message: `must be at least retry.baseDelayMs (${r.baseDelayMs})` });
    }
  });

const workersSchema = z
  .object({
    leaseSeconds: int(5, 3600).default(30),
    heartbeatSeconds: int(1, 600).default(5),
    maxAttempts: int(1, 1000).default(10),
    concurrency: int(1, 100).optional(),
  })
  .strict()
  .superRefine((w, ctx) => {
    if (w.heartbeatSeconds * 2 > w.leaseSeconds) {
      ctx.addIssue({ code: z.ZodIssueCode.custom, path: ['heartbeatSeconds'], message: `must be at most half of workers.leaseSeconds (${w.leaseSeconds}), or live workers would look dead` });
    }
  });

const migrationConfigObject = z
  .object({
    version: z.literal(1),
    state: stateSchema.default({}),
    logging: loggingSchema.default({}),
    source: sourceSchema,
    target: targetSchema,
    groupwareTarget: groupwareTargetSchema.optional(),
    mailboxes: z.array(mailboxSchema).default([]),
    userMap: nonEmpty.optional(),
    folders: foldersSchema.default({}),
    filters: filtersSchema.default({}),
    concurrency: concurrencySchema.default({}),
    sync: syncSchema.default({}),
    mail: mailSchema.default({}),
    retry: retrySchema.default({}),
    workers: workersSchema.default({}),
    routing: routingSchema.optional(),
    cutover: cutoverSchema.optional(),
    discover: discoverSchema.optional(),
    directory: directorySchema.optional(),
  })
  .strict();

/** The whole file. Parse the YAML's plain JS value (`doc.toJS()`) with it. */
export const migrationConfigSchema: z.ZodType<MigrationConfig, z.ZodTypeDef, unknown> = migrationConfigObject;

/** The schema of each top-level section (the document has no rule across sections): to parse the valid ones of an invalid document. */
export const migrationConfigSections: Readonly<Record<string, z.ZodTypeAny>> = migrationConfigObject.shape;
