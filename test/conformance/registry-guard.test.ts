/**
 * Every connector the registry builds runs its conformance suite: for each module in
 * connectors/modules.ts (the list the registry builds through), this folder holds
 * `<type>.test.ts` calling the suite of its side. A new module without one fails here, naming the
 * file to write.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CONNECTOR_MODULES } from '../../connectors/modules.js';

const HERE = dirname(fileURLToPath(import.meta.url));

const entries = CONNECTOR_MODULES.map((m) => ({
  type: m.type,
  side: m.role === 'source' ? 'source' : m.role === 'target' ? 'target' : 'groupware target',
  suite: m.role === 'source' ? 'describeSourceConnector(' : 'describeTargetConnector(',
}));

test('the module list serves sources and targets', () => {
  expect(entries.filter((e) => e.side === 'source').length).toBeGreaterThan(0);
  expect(entries.filter((e) => e.side !== 'source').length).toBeGreaterThan(0);
});

test.each(entries)('$side $type has a conformance file in test/conformance calling its suite', ({ type, suite }) => {
  const file = join(HERE, `${type}.test.ts`);
  const text = existsSync(file) ? readFileSync(file, 'utf8') : '';
  expect({ file: `test/conformance/${type}.test.ts`, exists: existsSync(file), callsSuite: text.includes(suite) })
    .toEqual({ file: `test/conformance/${type}.test.ts`, exists: true, callsSuite: true });
});
