/**
 * No import cycle between folders (production code: tests may reach up, nothing imports them) and
 * none between files (tests included). The layering itself is lint's (eslint-rules/layers.js);
 * this catches what a layer table allows but a cycle forbids: two features, or two mappings
 * folders, importing each other.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { codeFiles, collapse, cycles, describeCycle, fileGraph, folderOf, type Graph } from './import-graph.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const isTestCode = (f: string) => /\.test\.ts$/.test(f) || f.endsWith('/test-support.ts');

const graphOf = (edges: Record<string, string[]>): Graph => new Map(Object.entries(edges).map(([k, v]) => [k, new Set(v)]));

test('the cycle finder finds a cycle, through several nodes too, and passes a layered graph', () => {
  expect(cycles(graphOf({ a: ['b'], b: ['a'] }))).toEqual([['a', 'b']]);
  const ring = graphOf({ 'src/engine': ['src/state'], 'src/state': ['jobs'], jobs: ['src/engine'], reports: ['src/state'] });
  expect(cycles(ring)).toEqual([['jobs', 'src/engine', 'src/state']]);
  expect(describeCycle(ring, cycles(ring)[0]!)).toBe('jobs → src/engine → src/state → jobs');
  expect(cycles(graphOf({ app: ['feature', 'core'], feature: ['core'], core: [] }))).toEqual([]);
  expect(folderOf('src/engine/job.ts')).toBe('src/engine');
  expect(folderOf('src/cli.ts')).toBe('src/cli.ts');
  expect(folderOf('mappings/mapi/build-mime.ts')).toBe('mappings/mapi');
  expect(folderOf('mappings/folders.ts')).toBe('mappings');
  expect(folderOf('jobs/queue.ts')).toBe('jobs');
});

test('no cycle between folders', () => {
  const files = codeFiles(root).filter((f) => !isTestCode(f));
  expect(files.length).toBeGreaterThan(300);
  const folders = collapse(fileGraph(root, files), folderOf);
  expect(folders.get('mappings/tnef')).toContain('mappings/mapi');
  expect(cycles(folders).map((c) => `${c.join(', ')} (e.g. ${describeCycle(folders, c)})`)).toEqual([]);
});

test('no cycle between files', () => {
  const g = fileGraph(root, codeFiles(root));
  expect(g.get('src/engine/job.ts')).toContain('src/engine/container-task.ts');
  expect(cycles(g).map((c) => `${c.join(', ')} (e.g. ${describeCycle(g, c)})`)).toEqual([]);
});
