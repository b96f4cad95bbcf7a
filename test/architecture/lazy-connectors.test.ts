/**
 * Loading the config schema or the registry loads no connector's implementation: of the connector
 * folders only the config half (connectors/modules.ts, each connector's config.ts and module.ts)
 * comes with them; a module's create() imports the rest when a run is configured with it.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadedWith } from './import-graph.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const configHalf = (f: string) => f === 'connectors/modules.ts' || /^connectors\/[^/]+\/(config|module)\.ts$/.test(f);

test.each(['src/config/load.ts', 'connectors/registry.ts', 'src/commands/context.ts'])('%s loads only the config half of the connectors', (file) => {
  const loaded = [...loadedWith(root, file)];
  expect(loaded).toContain('connectors/modules.ts');
  expect(loaded.filter((f) => f.startsWith('connectors/') && f !== 'connectors/registry.ts' && !configHalf(f))).toEqual([]);
});
