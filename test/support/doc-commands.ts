/**
 * The commands the documentation shows, for test/e2e/docs-commands.test.ts: every `ums-migrate …`
 * and `npm …` line of README.md's ```sh blocks and inline code, and the command lines and inline
 * code of migration.example.yaml's comments; expanded into argument lists to run (optional
 * `[--flag VALUE]` parts included, `a|b|c` alternatives one run each, placeholders filled); and
 * checked against the CLI's own `--help` (every command and option exists, option values and
 * positional arguments where the command expects them).
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO = fileURLToPath(new URL('../..', import.meta.url));
export const BIN = path.join(REPO, 'bin', 'ums-migrate.js');

export interface DocCommand {
  /** As shown, without a trailing `# comment`. */
  text: string;
  /** 'README.md:12' */
  where: string;
}

const COMMAND = /^(ums-migrate|npm)( |$)/;

/** README.md: lines of ```sh blocks (split at &&) and inline code spans that are commands. */
export function readmeCommands(file = path.join(REPO, 'README.md')): DocCommand[] {
  const found: DocCommand[] = [];
  const lines = readFileSync(file, 'utf8').split('\n');
  let fence: string | undefined;
  lines.forEach((line, i) => {
    const where = `${path.basename(file)}:${i + 1}`;
    const open = /^```(\w*)/.exec(line);
    if (open) {
      fence = fence === undefined ? open[1] : undefined;
      return;
    }
    if (fence !== undefined) {
      // Only shell blocks hold commands; others are output (benchmark figures), crontab or ini.
      if (fence !== 'sh') return;
      for (const part of line.replace(/\s+#.*$/, '').split('&&')) {
        const text = part.trim();
        if (COMMAND.test(text)) found.push({ text, where });
      }
      return;
    }
    for (const m of line.matchAll(/`([^`]+)`/g)) if (COMMAND.test(m[1]!)) found.push({ text: m[1]!, where });
  });
  return found;
}

/** migration.example.yaml: comment lines that are commands (`#   ums-migrate …`) and inline code in comments. */
export function exampleCommands(file = path.join(REPO, 'migration.example.yaml')): DocCommand[] {
  const found: DocCommand[] = [];
  readFileSync(file, 'utf8').split('\n').forEach((line, i) => {
    const where = `${path.basename(file)}:${i + 1}`;
    const comment = /^\s*#(.*)$/.exec(line)?.[1];
    if (comment === undefined) return;
    const asLine = /^\s{2,}((?:ums-migrate|npm) .*)$/.exec(comment)?.[1];
    if (asLine !== undefined) found.push({ text: asLine.replace(/\s+#.*$/, '').trim(), where });
    for (const m of comment.matchAll(/`([^`]+)`/g)) if (COMMAND.test(m[1]!)) found.push({ text: m[1]!, where });
  });
  return found;
}

/** Shell-like words: double-quoted strings are one word. */
export function words(text: string): string[] {
  return [...text.matchAll(/"([^"]*)"|(\S+)/g)].map((m) => m[1] ?? m[2]!);
}

export interface Expanded {
  argv: string[];
  /** The command ends in "…" (e.g. `routing …`): only the command itself can be checked. */
  prefixOnly: boolean;
}

/**
 * Argument lists for a shown command (without the leading program name): `[…]` parts included,
 * each `a|b|c` a variant of its own, placeholder values (LOGIN, N, FILE, NAME, `login…`) filled
 * by `fill(flag, placeholder)`.
 */
export function expand(text: string, fill: (flag: string | undefined, placeholder: string) => string, opts: { withoutOptional?: boolean } = {}): Expanded[] {
  const variants = expandOne(text, fill);
  // With `withoutOptional`, also the command without its `[…]` parts (after the one with them).
  const bare = text.replace(/\s*\[[^\]]*\]/g, '');
  if (!opts.withoutOptional || bare === text) return variants;
  return [...variants, ...expandOne(bare, fill)];
}

function expandOne(text: string, fill: (flag: string | undefined, placeholder: string) => string): Expanded[] {
  const all = words(text.replace(/[[\]]/g, ' ')).slice(1);
  const prefixOnly = all[all.length - 1] === '…';
  const ws = prefixOnly ? all.slice(0, -1) : all;
  let variants: string[][] = [[]];
  ws.forEach((w, i) => {
    const prev = ws[i - 1];
    const flag = prev?.startsWith('-') ? prev : undefined;
    const options = /^[a-z]+(\|[a-z]+)+$/.test(w) ? w.split('|') : [/^[A-Z]+$|…$/.test(w) ? fill(flag, w) : w];
    variants = variants.flatMap((v) => options.map((o) => [...v, o]));
  });
  return variants.map((argv) => ({ argv, prefixOnly }));
}

// ---------------------------------------------------------------------------------------------
// The CLI's own description of its commands

export interface Help {
  usage: string;
  /** Option name (short and long) → takes a value. */
  options: Map<string, boolean>;
  commands: Set<string>;
}

export function run(cmd: string, args: string[], opts: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { cwd: opts.cwd ?? REPO, env: { ...process.env, ...opts.env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => { stdout += d.toString(); });
    child.stderr.on('data', (d: Buffer) => { stderr += d.toString(); });
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

const helpCache = new Map<string, Promise<Help>>();

/** `ums-migrate <commandPath> --help`, parsed. */
export function helpOf(commandPath: string[]): Promise<Help> {
  const key = commandPath.join(' ');
  let p = helpCache.get(key);
  if (!p) {
    p = run(process.execPath, [BIN, ...commandPath, '--help']).then(({ code, stdout, stderr }) => {
      if (code !== 0) throw new Error(`ums-migrate ${key} --help: exit ${code}: ${stderr}`);
      return parseHelp(stdout);
    });
    helpCache.set(key, p);
  }
  return p;
}

export function parseHelp(text: string): Help {
  const usage = /^Usage: (.*)$/m.exec(text)?.[1] ?? '';
  const options = new Map<string, boolean>();
  const commands = new Set<string>();
  let section = '';
  for (const line of text.split('\n')) {
    const head = /^(\w[\w ]*):$/.exec(line);
    if (head) { section = head[1]!; continue; }
    if (section === 'Options') {
      const m = /^ {2}(?:(-\w), )?(--[\w-]+)( [<[])?/.exec(line);
      if (m) {
        if (m[1]) options.set(m[1], m[3] !== undefined);
        options.set(m[2]!, m[3] !== undefined);
      }
    } else if (section === 'Commands') {
      const m = /^ {2}([a-z][\w-]*)/.exec(line);
      if (m && m[1] !== 'help') commands.add(m[1]!);
    }
  }
  return { usage, options, commands };
}

/**
 * What is wrong with `argv` by the CLI's help (undefined when nothing): an unknown command or
 * option, an option without its value, too many or too few positional arguments. Returns the
 * command path too.
 */
export async function checkAgainstHelp(argv: string[], prefixOnly: boolean): Promise<{ commandPath: string[]; problem?: string }> {
  const commandPath: string[] = [];
  let i = 0;
  for (;;) {
    const help = await helpOf(commandPath);
    const next = argv[i];
    if (next !== undefined && !next.startsWith('-') && help.commands.has(next)) {
      commandPath.push(next);
      i++;
      continue;
    }
    if (help.commands.size > 0 && !(next?.startsWith('-') ?? true)) return { commandPath, problem: `unknown command ${JSON.stringify(next)} (ums-migrate ${commandPath.join(' ')} has: ${[...help.commands].join(', ')})` };
    if (prefixOnly) return { commandPath };
    const positionals: string[] = [];
    for (; i < argv.length; i++) {
      const w = argv[i]!;
      if (!w.startsWith('-')) { positionals.push(w); continue; }
      const [name, inline] = w.split('=', 2) as [string, string | undefined];
      const takesValue = help.options.get(name);
      if (takesValue === undefined) return { commandPath, problem: `unknown option ${name} for ums-migrate ${commandPath.join(' ')}` };
      if (takesValue && inline === undefined) {
        if (argv[i + 1] === undefined || argv[i + 1]!.startsWith('-')) return { commandPath, problem: `option ${name} needs a value` };
        i++;
      }
    }
    const required = (help.usage.match(/<[^>]+>/g) ?? []).length;
    const optional = (help.usage.replace(/\[options\]|\[command\]/g, '').match(/\[[^\]]+\]/g) ?? []).length;
    if (positionals.length < required || positionals.length > required + optional) {
      return { commandPath, problem: `${positionals.length} argument(s) (${positionals.join(' ')}), usage: ${help.usage}` };
    }
    return { commandPath };
  }
}
