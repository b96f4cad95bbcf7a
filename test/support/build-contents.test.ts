/**
 * What `npm run build` compiles into dist/ (tsconfig.build.json's files and every file they
 * import, e.g. test/lab for the demo command) and what bin/ums-migrate.js loads: no test code,
 * and every package it imports is a runtime dependency (a devDependency is missing after
 * `npm ci --omit=dev`). Reads the sources only; no build, no server.
 */
import { existsSync, readFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const pkg = JSON.parse(readFileSync(path.join(repo, 'package.json'), 'utf8')) as { dependencies: Record<string, string>; devDependencies: Record<string, string> };

/** The files the build compiles: the config's own, plus what they import (relative imports, .js → .ts). */
function buildFiles(): string[] {
  const configFile = path.join(repo, 'tsconfig.build.json');
  const { config } = ts.readConfigFile(configFile, (f) => ts.sys.readFile(f));
  const parsed = ts.parseJsonConfigFileContent(config, ts.sys, repo, undefined, configFile);
  const seen = new Set<string>();
  const visit = (file: string): void => {
    if (seen.has(file)) return;
    seen.add(file);
    for (const spec of importsOf(file)) {
      if (!spec.startsWith('.')) continue;
      const target = path.resolve(path.dirname(file), spec).replace(/\.js$/, '.ts');
      if (existsSync(target)) visit(target);
    }
  };
  for (const f of parsed.fileNames) visit(path.resolve(f));
  return [...seen];
}

/** The module specifiers a file loads at run time (type-only imports left out). */
function importsOf(file: string): string[] {
  const source = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.ES2022, false);
  const specs: string[] = [];
  const visit = (node: ts.Node): void => {
    if (ts.isImportDeclaration(node) && !node.importClause?.isTypeOnly && ts.isStringLiteral(node.moduleSpecifier)) specs.push(node.moduleSpecifier.text);
    else if (ts.isExportDeclaration(node) && !node.isTypeOnly && node.moduleSpecifier && ts.isStringLiteral(node.moduleSpecifier)) specs.push(node.moduleSpecifier.text);
    else if (ts.isCallExpression(node) && node.expression.kind === ts.SyntaxKind.ImportKeyword && node.arguments[0] && ts.isStringLiteral(node.arguments[0])) specs.push(node.arguments[0].text);
    ts.forEachChild(node, visit);
  };
  visit(source);
  return specs;
}

const packageOf = (spec: string) => (spec.startsWith('@') ? spec.split('/').slice(0, 2).join('/') : spec.split('/')[0]!);
const rel = (f: string) => path.relative(repo, f);

describe('the build (dist/) and the bin script', () => {
  const files = buildFiles();

  test('compile no test code: no *.test.ts, nothing importing jest', () => {
    expect(files.length).toBeGreaterThan(100);
    const offenders = files
      .filter((f) => f.endsWith('.test.ts') || importsOf(f).some((s) => s === '@jest/globals' || s === 'jest' || s.startsWith('@jest/')))
      .map(rel);
    expect(offenders).toEqual([]);
  });

  test('import only runtime dependencies (tsx too: the bin script runs the sources through it when the build is stale)', () => {
    const bin = path.join(repo, 'bin', 'ums-migrate.js');
    const used = new Map<string, string>();
    for (const f of [...files, bin]) {
      for (const spec of importsOf(f)) {
        if (spec.startsWith('.') || spec.startsWith('node:') || builtinModules.includes(spec)) continue;
        if (!used.has(packageOf(spec))) used.set(packageOf(spec), rel(f));
      }
    }
    expect(used.get('tsx')).toBe('bin/ums-migrate.js');
    const missing = [...used].filter(([name]) => !(name in pkg.dependencies)).map(([name, f]) => `${name} (${f})`);
    expect(missing).toEqual([]);
  });
});
