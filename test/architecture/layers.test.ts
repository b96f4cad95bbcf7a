/**
 * The layering rule of eslint.config.js (eslint-rules/layers.js) fires: each case lints a snippet
 * as if it were a file at that place in the repository, through ESLint's Node API with the
 * project's own config, as `npm run lint` does.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ESLint } from 'eslint';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const eslint = new ESLint({ cwd: root, overrideConfigFile: path.join(root, 'eslint.config.js') });

/** The layering messages for `code` placed at `file` (repository-relative). */
async function layering(file: string, code: string): Promise<string[]> {
  const [result] = await eslint.lintText(code, { filePath: path.join(root, file) });
  return (result?.messages ?? []).filter((m) => m.ruleId === 'local/layers').map((m) => m.message);
}

const use = (spec: string) => `import { x } from '${spec}';\nexport const y = x;\n`;

test('mappings import core only: an import of a connector fails lint', async () => {
  const problems = await layering('mappings/tnef/snippet.ts', use('../../connectors/kopano/mapi-props.js'));
  expect(problems).toEqual([expect.stringMatching(/^mappings\/tnef\/snippet\.ts \(mappings\) must not import connectors\/kopano\/mapi-props\.ts \(connectors\)/)]);
  expect(await layering('mappings/snippet.ts', use('../src/engine/content-transform.js'))).toHaveLength(1);
  expect(await layering('mappings/snippet.ts', use('../reports/csv.js'))).toHaveLength(1);
});

test('mappings may import core and other mappings', async () => {
  expect(await layering('mappings/tnef/snippet.ts', use('../../src/model/mail-message.js'))).toEqual([]);
  expect(await layering('mappings/tnef/snippet.ts', use('../mapi/prop-list.js'))).toEqual([]);
  expect(await layering('mappings/snippet.ts', use('../src/util/errors.js'))).toEqual([]);
});

test('a connector imports no other connector, feature or the app; shared helpers and the config schema are fine', async () => {
  expect(await layering('connectors/msg/snippet.ts', use('../pst/ndb.js'))).toEqual([expect.stringMatching(/one connectors unit does not import another \(connectors\/msg\/ → connectors\/pst\/\)/)]);
  expect(await layering('connectors/pst/snippet.ts', use('../../src/engine/job.js'))).toHaveLength(1);
  expect(await layering('connectors/pst/snippet.ts', use('../../src/state/store.js'))).toHaveLength(1);
  expect(await layering('connectors/ldap-source/snippet.ts', use('../../src/config/load.js'))).toHaveLength(1);
  expect(await layering('connectors/kopano/snippet.ts', use('../../src/commands/context.js'))).toHaveLength(1);
  expect(await layering('connectors/msg/snippet.ts', use('../file-tree/tree-walk.js'))).toEqual([]);
  expect(await layering('connectors/ums-imap/snippet.ts', use('../imap-common/session.js'))).toEqual([]);
  expect(await layering('connectors/ldap-source/snippet.ts', use('../../src/config/directory-schema.js'))).toEqual([]);
});

test('features do not import the app; the app imports anything', async () => {
  expect(await layering('src/cutover/snippet.ts', use('../commands/routing.js'))).toHaveLength(1);
  expect(await layering('src/routing/snippet.ts', use('../config/load.js'))).toHaveLength(1);
  expect(await layering('jobs/snippet.ts', use('../src/commands/context.js'))).toHaveLength(1);
  expect(await layering('src/state/snippet.ts', use('../cli/exit-codes.js'))).toHaveLength(1);
  expect(await layering('src/cutover/snippet.ts', use('../config/loaded.js'))).toEqual([]);
  expect(await layering('src/commands/snippet.ts', use('../../connectors/registry.js'))).toEqual([]);
});

test('re-exports and dynamic imports are checked too', async () => {
  expect(await layering('mappings/snippet.ts', "export { x } from '../connectors/pst/ndb.js';\n")).toHaveLength(1);
  expect(await layering('mappings/snippet.ts', "export * from '../connectors/pst/ndb.js';\n")).toHaveLength(1);
  expect(await layering('src/engine/snippet.ts', "export const m = () => import('../commands/run.js');\n")).toHaveLength(1);
});

test('the core imports nothing above it, and the config schema no connector', async () => {
  expect(await layering('src/util/snippet.ts', use('../../mappings/folders.js'))).toHaveLength(1);
  expect(await layering('src/config/snippet.ts', use('../../connectors/ldap-common/connection.js'))).toHaveLength(1);
  expect(await layering('src/config/snippet.ts', use('../state/pg-locks.js'))).toHaveLength(1);
});

test("a connector's config half is config layer: the schema assembles from it, and only its module's import() reaches its own implementation", async () => {
  const lazy = (spec: string) => `export const m = () => import('${spec}');\n`;
  expect(await layering('src/config/snippet.ts', use('../../connectors/modules.js'))).toEqual([]);
  expect(await layering('connectors/modules.ts', use('./pst/module.js'))).toEqual([]);
  expect(await layering('connectors/pst/module.ts', use('./config.js'))).toEqual([]);
  expect(await layering('connectors/pst/module.ts', lazy('./index.js'))).toEqual([]);
  // Statically, or into another connector's folder, or from the schema file: refused.
  expect(await layering('connectors/pst/module.ts', use('./index.js'))).toHaveLength(1);
  expect(await layering('connectors/pst/module.ts', lazy('../msg/index.js'))).toHaveLength(1);
  expect(await layering('connectors/pst/config.ts', lazy('./index.js'))).toHaveLength(1);
  expect(await layering('connectors/modules.ts', lazy('./pst/index.js'))).toHaveLength(1);
  expect(await layering('connectors/pst/config.ts', use('../../src/config/load.js'))).toHaveLength(1);
});
