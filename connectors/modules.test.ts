/**
 * The module list (modules.ts) and what it promises: every module has its example block in
 * migration.example.yaml, and that block validates as a config section of the module's role; the
 * config schema's source/target/groupwareTarget accept exactly the listed types.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { validateConfigText } from '../src/config/load.js';
import { groupwareTargetSchema, sourceSchema, targetSchema } from '../src/config/schema.js';
import { CONNECTOR_MODULES, modulesOf } from './modules.js';

const example = readFileSync(fileURLToPath(new URL('../migration.example.yaml', import.meta.url)), 'utf8').split('\n');

const SECTION = { source: 'source', target: 'target', 'groupware-target': 'groupwareTarget' } as const;

/**
 * The example's block of `type` in `section` (as written, or commented out with "#" / "# "), made
 * a YAML section: the `type:` line names it as its value or in a trailing "# or <type>".
 */
function exampleBlock(section: string, type: string): string | undefined {
  const typeLine = example.findIndex((l) => new RegExp(`^#?\\s+type: (${type}(\\s+# or \\S+)?|\\S+\\s+# or ${type})\\s*$`).test(l));
  if (typeLine < 0) return undefined;
  let start = typeLine;
  while (start >= 0 && !/^(#\s?)?\S+:\s*$/.test(example[start]!)) start--;
  const header = /^(#\s?)?(\S+):\s*$/.exec(example[start] ?? '');
  if (!header || header[2] !== section) return undefined;
  const prefix = header[1] ?? '';
  const lines = [example[start]!];
  for (let i = start + 1; i < example.length && example[i]!.startsWith(`${prefix} `); i++) lines.push(example[i]!);
  return lines.map((l) => l.slice(prefix.length)).join('\n').replace(/^(\s+type:) \S+\s+# or \S+/m, `$1 ${type}`);
}

const OTHER_SECTIONS: Record<string, string> = {
  source: 'source:\n  type: imap\n  host: imap.old.example',
  target: 'target:\n  host: imap.ums.example',
};
const MAILBOXES = 'mailboxes:\n  - { source: alice, sourcePassword: env:PW, targetPassword: env:PW }';

describe.each(CONNECTOR_MODULES.map((m) => ({ type: m.type, role: m.role, section: SECTION[m.role] })))('$role $type', ({ type, section }) => {
  test('has its example block in migration.example.yaml, and it validates', () => {
    const block = exampleBlock(section, type);
    expect({ section, type, block: block !== undefined }).toEqual({ section, type, block: true });
    const others = Object.entries(OTHER_SECTIONS).filter(([k]) => k !== section).map(([, v]) => v);
    const r = validateConfigText(['version: 1', ...others, block!, MAILBOXES].join('\n'), { checkRefs: false });
    expect(r.issues.filter((i) => i.severity === 'error')).toEqual([]);
    expect((r.config as unknown as Record<string, { type: string }>)[section]?.type).toBe(type);
  });
});

test('the schema of each role accepts exactly the types of its modules, in list order', () => {
  const typesOf = (schema: z.ZodTypeAny): unknown[] => {
    let s = schema;
    while (s instanceof z.ZodEffects) s = s._def.schema as z.ZodTypeAny;
    if (s instanceof z.ZodDiscriminatedUnion) return [...(s.optionsMap as Map<unknown, unknown>).keys()];
    const t = (s as z.AnyZodObject).shape['type'] as z.ZodTypeAny;
    return [(t instanceof z.ZodDefault ? t._def.innerType : t).value];
  };
  expect(typesOf(sourceSchema)).toEqual(modulesOf('source').map((m) => m.type));
  expect(typesOf(targetSchema)).toEqual(modulesOf('target').map((m) => m.type));
  expect(typesOf(groupwareTargetSchema)).toEqual(modulesOf('groupware-target').map((m) => m.type));
  expect(new Set(CONNECTOR_MODULES.map((m) => `${m.role}:${m.type}`)).size).toBe(CONNECTOR_MODULES.length);
});

test('an unknown source type is refused naming every listed one', () => {
  const r = validateConfigText(`version: 1\nsource:\n  type: lotus\n${OTHER_SECTIONS['target']}\n${MAILBOXES}`, { checkRefs: false });
  const message = r.issues.find((i) => i.path === 'source.type')?.message ?? '';
  for (const m of modulesOf('source')) expect(message).toContain(m.type);
});
