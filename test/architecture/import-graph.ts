/**
 * The repository's import graph, read with the TypeScript compiler's import scanner
 * (`ts.preProcessFile`: static and dynamic imports, re-exports, `import type` too), and the
 * cycles in it (Tarjan's strongly connected components). Used by import-cycles.test.ts.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import ts from 'typescript';

/** The folders whose code is layered (eslint.config.js); test/ and bench/ are only importers. */
export const CODE_ROOTS = ['src', 'connectors', 'mappings', 'jobs', 'reports', 'bin'];

export type Graph = Map<string, Set<string>>;

function listFiles(root: string, dir: string, out: string[]): void {
  for (const e of readdirSync(path.join(root, dir), { withFileTypes: true })) {
    const rel = `${dir}/${e.name}`;
    if (e.isDirectory()) listFiles(root, rel, out);
    else if (/\.(ts|js)$/.test(e.name) && !e.name.endsWith('.d.ts')) out.push(rel);
  }
}

/** Every code file (repository-relative, '/'-separated). */
export function codeFiles(root: string): string[] {
  const out: string[] = [];
  for (const d of CODE_ROOTS) listFiles(root, d, out);
  return out.sort();
}

/** File → the code files it imports (relative specifiers only; `.js` resolved to the `.ts` source). */
export function fileGraph(root: string, files: readonly string[]): Graph {
  const known = new Set(codeFiles(root));
  const g: Graph = new Map();
  for (const f of files) {
    const edges = new Set<string>();
    for (const imp of ts.preProcessFile(readFileSync(path.join(root, f), 'utf8'), true, true).importedFiles) {
      if (!imp.fileName.startsWith('.')) continue;
      const target = path.posix.normalize(path.posix.join(path.posix.dirname(f), imp.fileName));
      const ts_ = target.replace(/\.js$/, '.ts');
      const resolved = known.has(ts_) ? ts_ : known.has(target) ? target : undefined;
      if (resolved !== undefined && resolved !== f) edges.add(resolved);
    }
    g.set(f, edges);
  }
  return g;
}

/**
 * The folder a file belongs to for the folder-level check: a folder under src/ or connectors/
 * (a file directly in them is its own unit: src/cli.ts, connectors/registry.ts), a folder under
 * mappings/ (its top-level files: 'mappings'), else the top-level folder (jobs, reports, bin).
 */
export function folderOf(file: string): string {
  const p = file.split('/');
  if (p[0] === 'src' || p[0] === 'connectors' || p[0] === 'mappings') {
    if (p.length > 2) return `${p[0]}/${p[1]}`;
    return p[0] === 'mappings' ? 'mappings' : file;
  }
  return p[0]!;
}

/** The graph with every node replaced by `unitOf(node)` (edges inside one unit dropped). */
export function collapse(g: Graph, unitOf: (node: string) => string): Graph {
  const out: Graph = new Map();
  for (const [from, tos] of g) {
    const a = unitOf(from);
    if (!out.has(a)) out.set(a, new Set());
    for (const to of tos) {
      const b = unitOf(to);
      if (b !== a) out.get(a)!.add(b);
    }
  }
  return out;
}

/** The cycles: strongly connected components with more than one node, each sorted, in a stable order. */
export function cycles(g: Graph): string[][] {
  let next = 0;
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const found: string[][] = [];
  const visit = (v: string): void => {
    index.set(v, next);
    low.set(v, next);
    next++;
    stack.push(v);
    onStack.add(v);
    for (const w of g.get(v) ?? []) {
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, index.get(w)!));
    }
    if (low.get(v) === index.get(v)) {
      const scc: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        onStack.delete(w);
        scc.push(w);
      } while (w !== v);
      if (scc.length > 1) found.push(scc.sort());
    }
  };
  for (const v of [...g.keys()].sort()) if (!index.has(v)) visit(v);
  return found.sort((a, b) => a[0]!.localeCompare(b[0]!));
}

/** One path around a cycle, for the message: a → b → … → a. */
export function describeCycle(g: Graph, scc: readonly string[]): string {
  const members = new Set(scc);
  const start = scc[0]!;
  const prev = new Map<string, string>([[start, start]]);
  const queue = [start];
  while (queue.length > 0) {
    const v = queue.shift()!;
    for (const w of g.get(v) ?? []) {
      if (w === start) {
        const back: string[] = [v];
        for (let x = v; x !== start; x = prev.get(x)!) back.push(prev.get(x)!);
        return [...back.reverse(), start].join(' → ');
      }
      if (members.has(w) && !prev.has(w)) {
        prev.set(w, v);
        queue.push(w);
      }
    }
  }
  return scc.join(', ');
}

/**
 * The files `file` loads when it is loaded: its value imports and re-exports, followed (type-only
 * imports and `import()` left out: those load nothing, or only when called). Relative specifiers only.
 */
export function loadedWith(root: string, file: string, into = new Set<string>()): Set<string> {
  if (into.has(file)) return into;
  into.add(file);
  const source = ts.createSourceFile(file, readFileSync(path.join(root, file), 'utf8'), ts.ScriptTarget.ES2022, false);
  for (const node of source.statements) {
    let spec: ts.Expression | undefined;
    if (ts.isImportDeclaration(node) && !node.importClause?.isTypeOnly) spec = node.moduleSpecifier;
    else if (ts.isExportDeclaration(node) && !node.isTypeOnly) spec = node.moduleSpecifier;
    if (!spec || !ts.isStringLiteral(spec) || !spec.text.startsWith('.')) continue;
    const target = path.posix.normalize(path.posix.join(path.posix.dirname(file), spec.text)).replace(/\.js$/, '.ts');
    loadedWith(root, target, into);
  }
  return into;
}
