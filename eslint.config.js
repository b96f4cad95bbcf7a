import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import globals from 'globals';
import { fileURLToPath } from 'node:url';
import layers from './eslint-rules/layers.js';

/**
 * The folder layering (README "Layout"), lowest first; a layer imports only the layers below it
 * (and its own), checked by eslint-rules/layers.js on every relative import:
 * - core: the shared kernel (contracts and models in src/model, errors and pure helpers in
 *   src/util, including the one TLS/transport policy);
 * - mappings: pure conversions; core only;
 * - config: the config schema and its types (src/config, without the loader), the building blocks
 *   connectors share (src/config-blocks), and each connector's config half: its schema and type
 *   (`connectors/<x>/config.ts`), its module (`connectors/<x>/module.ts`: what the app asks of a
 *   type) and the one list of modules (`connectors/modules.ts`), from which src/config assembles
 *   the `source`/`target`/`groupwareTarget` sections;
 * - connector helpers (imap-common, ldap-common, file-tree) ← connectors: one connector never
 *   imports another, nor a feature or the app;
 * - features: engine, state, directory, routing, cutover, reconcile, discover, reports, jobs, the
 *   registry and the command log; they may use connectors (the directory sync and `discover`
 *   build the LDAP connectors directly, through ldap-common/from-config.ts and
 *   ldap-source/from-config.ts, not through connectors/modules.ts: `directory:` has no `type`);
 * - app: cli.ts, src/cli, src/commands, the config loader, src/dashboard, bin.
 * Tests (`*.test.ts`, `test-support.ts`, test/, bench/) may drive a module through higher layers
 * (a connector through the real job runner, a mapping against a connector's fixtures) and are not
 * checked; of production code only the `demo` command imports test/ (it starts the lab).
 * Cycles between folders and between files: test/architecture/import-cycles.test.ts.
 */
const LAYERS = {
  units: [
    { path: 'src/model/', layer: 'core' },
    { path: 'src/util/', layer: 'core' },
    { path: 'src/types/', layer: 'core' },
    { path: 'mappings/', layer: 'mappings' },
    { path: 'mappings/*/', layer: 'mappings' },
    { path: 'src/config/', layer: 'config' },
    { path: 'src/config-blocks/', layer: 'config' },
    { path: 'connectors/modules.ts', layer: 'config' },
    { path: 'connectors/*/config.ts', layer: 'config' },
    { path: 'connectors/*/module.ts', layer: 'config' },
    { path: 'connectors/imap-common/', layer: 'connector-helpers' },
    { path: 'connectors/ldap-common/', layer: 'connector-helpers' },
    { path: 'connectors/file-tree/', layer: 'connector-helpers' },
    { path: 'connectors/*/', layer: 'connectors' },
    { path: 'connectors/split-target.ts', layer: 'connectors' },
    { path: 'connectors/registry.ts', layer: 'features' },
    { path: 'src/engine/', layer: 'features' },
    { path: 'src/state/', layer: 'features' },
    { path: 'src/directory/', layer: 'features' },
    { path: 'src/discover/', layer: 'features' },
    { path: 'src/routing/', layer: 'features' },
    { path: 'src/cutover/', layer: 'features' },
    { path: 'src/reconcile/', layer: 'features' },
    { path: 'src/log.ts', layer: 'features' },
    { path: 'src/command-log.ts', layer: 'features' },
    { path: 'reports/', layer: 'features' },
    { path: 'jobs/', layer: 'features' },
    { path: 'src/cli.ts', layer: 'app' },
    { path: 'src/cli/', layer: 'app' },
    { path: 'src/commands/', layer: 'app' },
    { path: 'src/dashboard/', layer: 'app' },
    { path: 'bin/', layer: 'app' },
    // The config's assembly: reading the file, resolving references, checking files and stores.
    { path: 'src/config/load.ts', layer: 'app' },
    { path: 'src/config/ref-checks.ts', layer: 'app' },
    { path: 'src/config/mailboxes.ts', layer: 'app' },
    { path: 'src/config/package-files.ts', layer: 'app' },
    { path: 'src/config/index.ts', layer: 'app' },
  ],
  layers: {
    core: { mayImport: [] },
    mappings: { mayImport: ['core'] },
    config: { mayImport: ['core', 'mappings'] },
    'connector-helpers': { mayImport: ['core', 'mappings', 'config'], acrossUnits: false },
    connectors: { mayImport: ['core', 'mappings', 'config', 'connector-helpers'], acrossUnits: false },
    features: { mayImport: ['core', 'mappings', 'config', 'connector-helpers', 'connectors'] },
    app: { mayImport: ['core', 'mappings', 'config', 'connector-helpers', 'connectors', 'features'] },
  },
  // Imports kept against the layering on purpose, each with its reason ({ from, to, reason }).
  exceptions: [
    {
      from: 'connectors/*/module.ts',
      to: 'connectors/*/',
      dynamicOnly: true,
      reason: "a connector module's create() imports its own folder's implementation when called: loading the config schema loads no connector code",
    },
  ],
};

/** Test code: exempt from the layering (see above). */
export const TEST_FILES = ['**/*.test.ts', '**/test-support.ts'];

export default tseslint.config(
  { ignores: ['node_modules/', 'dist/', 'coverage/', '.lab/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { ...globals.node } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-constant-condition': ['error', { checkLoops: false }],
    },
  },
  {
    files: ['src/**/*.ts', 'connectors/**/*.ts', 'mappings/**/*.ts', 'jobs/**/*.ts', 'reports/**/*.ts', 'bin/**/*.js'],
    ignores: TEST_FILES,
    plugins: { local: { rules: { layers } } },
    rules: { 'local/layers': ['error', { root: fileURLToPath(new URL('.', import.meta.url)), ...LAYERS }] },
  },
  { files: ['**/*.cjs'], languageOptions: { sourceType: 'commonjs' }, rules: { '@typescript-eslint/no-require-imports': 'off' } },
);
