/**
 * Every connector the registry builds runs its conformance suite: for each `type` the registry's
 * create functions serve, this folder holds `<type>.test.ts` calling the suite of its side. A new
 * registry entry without one fails here, naming the file to write.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const HERE = dirname(fileURLToPath(import.meta.url));
const REGISTRY = join(HERE, '..', '..', 'connectors', 'registry.ts');

/** The `case '<type>':` labels inside the body of `export [async] function <name>(…)` of the registry. */
function typesServedBy(source: string, name: string): string[] {
  const start = source.search(new RegExp(`export (async )?function ${name}\\(`));
  if (start < 0) return [];
  const next = source.indexOf('\nexport ', start + 1);
  const body = source.slice(start, next < 0 ? undefined : next);
  return [...body.matchAll(/case '([^']+)':/g)].map((m) => m[1]!);
}

const registry = readFileSync(REGISTRY, 'utf8');
const entries = [
  ...typesServedBy(registry, 'createSource').map((type) => ({ type, side: 'source', suite: 'describeSourceConnector(' })),
  ...typesServedBy(registry, 'createTarget').map((type) => ({ type, side: 'target', suite: 'describeTargetConnector(' })),
  ...typesServedBy(registry, 'createGroupwareTarget').map((type) => ({ type, side: 'groupware target', suite: 'describeTargetConnector(' })),
];

test('the registry is read: it serves sources and targets', () => {
  // If the registry changes shape (say, a list of connector modules), teach typesServedBy to read it.
  expect(entries.filter((e) => e.side === 'source').length).toBeGreaterThan(0);
  expect(entries.filter((e) => e.side !== 'source').length).toBeGreaterThan(0);
});

test.each(entries)('$side $type has a conformance file in test/conformance calling its suite', ({ type, suite }) => {
  const file = join(HERE, `${type}.test.ts`);
  const text = existsSync(file) ? readFileSync(file, 'utf8') : '';
  expect({ file: `test/conformance/${type}.test.ts`, exists: existsSync(file), callsSuite: text.includes(suite) })
    .toEqual({ file: `test/conformance/${type}.test.ts`, exists: true, callsSuite: true });
});
