/**
 * The commands README.md and migration.example.yaml show work as shown. Each one is checked
 * against the CLI's own help (command, options, their values, arguments), and run in a directory
 * holding migration.yaml (so the commands without -c run as shown too): against the lab (Dovecot →
 * Courier, SQLite state, a routing section whose maps postmap builds) in the order a project uses
 * them; `db`, `enqueue` and `worker` with the state in the lab PostgreSQL; `directory` and
 * `discover` from the lab's Samba AD into its slapd; `npm run ews-sim` with the options shown; the
 * demo. What is not run here (npm ci, npm test, the benchmarks) is listed with the reason; a
 * command the docs gain that is neither run nor listed fails the test, and so does an unknown
 * command, option or npm script.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { generateCorpus, seedSource } from '../lab/corpus.js';
import { addSourceUser, addTargetUser, startLab, uniqueLogin, type Lab } from '../lab/lab.js';
import { createTestDatabase, dropTestDatabase } from '../lab/pg.js';
import { LAB_RECIPIENT_TYPE_ATTRIBUTE, seedAd } from '../lab/ad-seed.js';
import { adClient, freshOu, startAd } from '../lab/samba-ad.js';
import { freshUmsOu, slapdClient, startSlapd, UMS_SUFFIX } from '../lab/slapd.js';
import { BIN, checkAgainstHelp, exampleCommands, expand, readmeCommands, REPO, run, type DocCommand, type Expanded } from '../support/doc-commands.js';
import { writeLabConfig } from '../support/lab-config.js';

/** Commands run against the lab (Dovecot → Courier-IMAP, SQLite state), by their first word. */
const LAB = new Set(['validate', 'plan', 'run', 'resume', 'sync', 'retry', 'status', 'report', 'reconcile', 'db', 'approve', 'routing', 'cutover', '--version']);
/** Commands run against the lab's Samba AD (source directory) and slapd (UMS directory), by their first word. */
const DIRECTORY = new Set(['directory', 'discover']);
/** Commands run against the lab with the state in PostgreSQL (the scale-out), by their first word. */
const PG = new Set(['enqueue', 'worker']);
/** The order of a project: these first, the rest in the order the docs show them. */
const FIRST = ['validate', 'plan', 'run'];

/** Shown but not run here, and why (each is run against its servers by the test named). */
const NOT_RUN_HERE: Record<string, string> = {
  'npm ci': 'reinstalls node_modules under every other process using this checkout',
  'npm test': 'the whole suite, this test included (15 minutes)',
  'npm run lint': 'run by npm test before the tests (and the layering rule it holds is tested by test/architecture/layers.test.ts)',
  'npm run bench:': 'minutes of CPU on the shared 2-core lab machine; each benchmark checks its own run',
  dashboard: 'serves until stopped: started, opened with its token and read in Chromium by src/dashboard/dashboard-browser.test.ts',
};
/** Mentions in prose, not commands to type as they are; each is run in full where the README shows it. */
const MENTIONS: Record<string, string> = {
  'ums-migrate cutover': 'needs --user, --batch or --wave: run as README shows it',
  'ums-migrate approve': 'needs --mailbox and --reason: run as README shows it',
  'ums-migrate routing …': 'the routing commands: each run as README shows it',
};
/**
 * State the next shown command needs that the shown commands before it do not leave: an earlier
 * published version for `routing rollback`; the batch's user back on Exchange, so that the wave
 * (the same user) has someone to move and maps to publish and roll back.
 */
const BEFORE: Record<string, string[][]> = {
  'ums-migrate cutover -c migration.yaml --batch wave1.csv': [['routing', 'publish', '-c', 'migration.yaml']],
  'ums-migrate cutover -c migration.yaml --wave wave1 --final-sync': [['cutover', '-c', 'migration.yaml', '--batch', 'wave1.csv', '--undo']],
};
/** `npm run demo` is `npm run build` (tsc, as `npm test`'s typecheck) then `ums-migrate demo`: the demo is run as that. */
const DEMO = 'npm run demo';

const docs: DocCommand[] = [...readmeCommands(), ...exampleCommands()];
const where = (c: DocCommand) => `${c.where}: ${c.text}`;
const firstWord = (c: DocCommand) => c.text.split(/\s+/)[1] ?? '';
const notRunReason = (c: DocCommand): string | undefined =>
  Object.entries(NOT_RUN_HERE).find(([k]) => (k.startsWith('npm') ? c.text.startsWith(k) : c.text.startsWith('ums-migrate') && firstWord(c) === k))?.[1];

/** Lines of stderr that report a problem ("errors 0", "failed 0" in a summary do not). */
const problemLines = (stderr: string) => stderr.split('\n').filter((l) => /\b(error|unknown|invalid|cannot|denied|refused|failed)\b(?!s? 0\b)/i.test(l));

let lab: Lab;
let login: string;
let dir: string;
const password = 'pw-docs-1';

function fill(flag: string | undefined, placeholder: string): string {
  if (flag === '--mailbox' || flag === '-m' || flag === '--user' || placeholder === 'LOGIN' || placeholder.startsWith('login')) return login;
  if (placeholder === 'N') return '2';
  if (placeholder === 'NAME') return 'wave1';
  if (placeholder === 'FILE') return 'docs-out.txt';
  throw new Error(`no value for ${placeholder} (after ${flag ?? 'nothing'}): add it to fill()`);
}

/** argv with the shown mailbox names (bob, alice…) replaced by the lab's mailbox. */
function forLab(e: Expanded): string[] {
  return e.argv.map((w, i) => (['--mailbox', '-m', '--user'].includes(e.argv[i - 1] ?? '') ? login : w));
}

beforeAll(async () => {
  lab = await startLab();
  login = uniqueLogin('docs');
  await addSourceUser(login, password);
  await addTargetUser(login, password);
  await seedSource(lab, login, password, generateCorpus({ messages: 40, maxSize: 64 * 1024, seed: 17 }));
  // The mailbox in wave1, and a routing section (maps published with postmap; no postfixConfigDir:
  // nothing to reload), so the cutover and routing commands run as shown.
  dir = writeLabConfig(lab, { source: login, target: login, password }, [
    '    wave: wave1',
    'routing:',
    '  domains: [corp.example]',
    '  routingSubdomain: ums.corp.example',
    '  exchangeHost: "[127.0.0.1]:25"',
    '  mapDir: ./routing',
    '  addressBook: ./address-book.csv',
    // A config dir of its own for postmap (it reads main.cf); no Postfix runs from it.
    '  postfixConfigDir: ./postfix',
  ]).dir;
  mkdirSync(path.join(dir, 'postfix'));
  writeFileSync(path.join(dir, 'postfix', 'main.cf'), '');
  writeFileSync(path.join(dir, 'address-book.csv'), [
    'type,key,login,mail,proxyAddresses,legacyExchangeDN,members',
    `user,${login},${login},${login}@corp.example,,,`,
    'user,a.smith,a.smith,a.smith@corp.example,smtp:andrea.smith@corp.example,,',
    '',
  ].join('\n'));
  writeFileSync(path.join(dir, 'wave1.csv'), `login\n${login}\n`);
}, 300_000);

test('the docs show commands (the extraction finds them)', () => {
  expect(docs.length).toBeGreaterThan(30);
  expect(docs.map((c) => c.text)).toEqual(expect.arrayContaining([
    'ums-migrate validate -c migration.yaml', 'npm run ews-sim -- --port 8443', 'ums-migrate status -c migration.yaml --problems',
  ]));
  expect(exampleCommands().map((c) => c.text)).toContain('ums-migrate validate -c migration.yaml');
});

/** What is wrong with the shown commands by the CLI's help and package.json's scripts. */
async function syntaxProblems(commands: DocCommand[]): Promise<string[]> {
  const scripts = (JSON.parse(readFileSync(path.join(REPO, 'package.json'), 'utf8')) as { scripts: Record<string, string> }).scripts;
  const problems: string[] = [];
  for (const c of commands) {
    if (c.text.startsWith('npm ')) {
      const [, verb, script] = c.text.split(/\s+/);
      if (verb === 'run' ? !(script! in scripts) : !['ci', 'test'].includes(verb!)) problems.push(`${where(c)}: no such npm script`);
      continue;
    }
    for (const e of expand(c.text, (flag, p) => (p.startsWith('login') || p === 'LOGIN' ? 'someone' : p === 'N' ? '2' : p))) {
      const { problem } = await checkAgainstHelp(e.argv, e.prefixOnly);
      if (problem) problems.push(`${where(c)}: ${problem}`);
    }
  }
  return problems;
}

test('every command, option and npm script the docs show exists, with the values and arguments it needs', async () => {
  expect(await syntaxProblems(docs)).toEqual([]);
}, 300_000);

test('the check fails for an unknown command, option, option value or npm script in the README', async () => {
  const file = path.join(dir, 'README.md');
  writeFileSync(file, [
    'Run `ums-migrate status -c migration.yaml --bogus` or:', '', '```sh',
    'ums-migrate frobnicate -c migration.yaml   # a comment', 'ums-migrate report -c migration.yaml --out', 'ums-migrate routing check -c migration.yaml',
    'npm run no-such-script', 'ums-migrate status -c migration.yaml --folders', '```', '',
  ].join('\n'));
  const bad = readmeCommands(file);
  expect(bad.map((c) => c.text)).toEqual([
    'ums-migrate status -c migration.yaml --bogus', 'ums-migrate frobnicate -c migration.yaml', 'ums-migrate report -c migration.yaml --out',
    'ums-migrate routing check -c migration.yaml', 'npm run no-such-script', 'ums-migrate status -c migration.yaml --folders',
  ]);
  expect(await syntaxProblems(bad)).toEqual([
    'README.md:1: ums-migrate status -c migration.yaml --bogus: unknown option --bogus for ums-migrate status',
    expect.stringMatching(/^README\.md:4: ums-migrate frobnicate -c migration\.yaml: unknown command "frobnicate"/),
    'README.md:5: ums-migrate report -c migration.yaml --out: option --out needs a value',
    expect.stringMatching(/^README\.md:6: ums-migrate routing check -c migration\.yaml: 0 argument\(s\) \(\), usage: ums-migrate routing check \[options\] <address>/),
    'README.md:7: npm run no-such-script: no such npm script',
  ]);
}, 300_000);

test('every command is run here or says why not', () => {
  const unclassified = docs.filter((c) => {
    if (c.text.startsWith('npm')) return !(c.text === DEMO || c.text.startsWith('npm run ews-sim') || notRunReason(c));
    return !(LAB.has(firstWord(c)) || PG.has(firstWord(c)) || DIRECTORY.has(firstWord(c)) || notRunReason(c) || MENTIONS[c.text]);
  });
  expect(Object.keys(MENTIONS).filter((m) => !docs.some((c) => c.text === m))).toEqual([]);
  expect(Object.keys(BEFORE).filter((m) => !docs.some((c) => c.text === m))).toEqual([]);
  expect(unclassified.map(where)).toEqual([]);
});

test('the lab commands, as shown, in a project\'s order: exit 0, no error', async () => {
  const seen = new Set<string>();
  const steps: { c: DocCommand; argv: string[] }[] = [];
  for (const c of docs.filter((d) => d.text.startsWith('ums-migrate') && LAB.has(firstWord(d)) && MENTIONS[d.text] === undefined)) {
    for (const e of expand(c.text, fill)) {
      const argv = forLab(e);
      const key = argv.join('\0');
      if (!seen.has(key)) { seen.add(key); steps.push({ c, argv }); }
    }
  }
  const rank = (s: { argv: string[] }) => { const i = FIRST.indexOf(s.argv[0]!); return i < 0 ? FIRST.length : i; };
  steps.sort((a, b) => rank(a) - rank(b));
  expect(steps.map((s) => s.argv[0])).toEqual(expect.arrayContaining([...FIRST, 'status', 'report', 'reconcile', 'sync', 'retry', 'resume', 'approve', 'db', 'routing', 'cutover', '--version']));

  const failures: string[] = [];
  for (const { c, argv } of steps) {
    for (const setup of BEFORE[c.text] ?? []) {
      const r = await run(process.execPath, [BIN, ...setup], { cwd: dir });
      if (r.code !== 0) failures.push(`setup before ${where(c)}: ums-migrate ${setup.join(' ')}: exit ${r.code}\n${r.stderr}${r.stdout}`);
    }
    const r = await run(process.execPath, [BIN, ...argv], { cwd: dir });
    if (r.code !== 0 || problemLines(r.stderr).length > 0) failures.push(`${where(c)} → ums-migrate ${argv.join(' ')}: exit ${r.code}\n${r.stderr}${r.stdout.slice(0, 2000)}`);
    if (argv[0] === 'report') {
      const out = argv[argv.indexOf('--out') + 1]!;
      if (!existsSync(path.join(dir, out))) failures.push(`${where(c)}: ${out} not written`);
    }
    if (argv[0] === '--version' && r.stdout.trim() !== (JSON.parse(readFileSync(path.join(REPO, 'package.json'), 'utf8')) as { version: string }).version) {
      failures.push(`${where(c)}: printed ${JSON.stringify(r.stdout)}`);
    }
  }
  expect(failures).toEqual([]);
  // The run copied the mailbox: status says so (not just "exit 0").
  const status = await run(process.execPath, [BIN, 'status', '--json'], { cwd: dir });
  const { mailboxes } = JSON.parse(status.stdout) as { mailboxes: { source: string; totalItems: number; doneItems: number; failedItems: number }[] };
  expect(mailboxes).toEqual([expect.objectContaining({ source: login, totalItems: 40, doneItems: 40, failedItems: 0 })]);
}, 900_000);

test('the scale-out commands, as shown, with the state in PostgreSQL: enqueue, then workers until the queue is done', async () => {
  const url = await createTestDatabase('ums_docs');
  try {
    const pgLogin = uniqueLogin('docspg');
    await addSourceUser(pgLogin, password);
    await addTargetUser(pgLogin, password);
    await seedSource(lab, pgLogin, password, generateCorpus({ messages: 30, maxSize: 64 * 1024, seed: 23 }));
    const pg = writeLabConfig(lab, { source: pgLogin, target: pgLogin, password });
    writeFileSync(pg.file, readFileSync(pg.file, 'utf8').replace('state:\n  path: ./state.sqlite\n', 'state:\n  driver: postgres\n  url: env:UMS_STATE_URL\n'));
    const env = { UMS_STATE_URL: url };
    const steps: { c: DocCommand; argv: string[] }[] = [];
    const seen = new Set<string>();
    for (const c of docs.filter((d) => d.text.startsWith('ums-migrate') && (PG.has(firstWord(d)) || firstWord(d) === 'db'))) {
      // With the optional parts, then without: the last enqueue is a whole mailbox's job, not --failed's.
      for (const e of expand(c.text, (flag, p) => (p.startsWith('login') || p === 'LOGIN' ? pgLogin : fill(flag, p)), { withoutOptional: true })) {
        const argv = e.argv.map((w, i) => (['--mailbox', '-m'].includes(e.argv[i - 1] ?? '') ? pgLogin : w));
        if (!seen.has(argv.join('\0'))) { seen.add(argv.join('\0')); steps.push({ c, argv }); }
      }
    }
    expect(steps.map((s) => s.argv[0])).toEqual(expect.arrayContaining(['db', 'enqueue', 'worker']));
    const done = async () => {
      const s = await run(process.execPath, [BIN, 'status', '--json'], { cwd: pg.dir, env });
      const m = (JSON.parse(s.stdout || '{"mailboxes":[]}') as { mailboxes: { totalItems: number; doneItems: number }[] }).mailboxes[0];
      return m !== undefined && m.totalItems === 30 && m.doneItems === 30;
    };
    const failures: string[] = [];
    for (const { c, argv } of steps) {
      if (argv[0] !== 'worker') {
        const r = await run(process.execPath, [BIN, ...argv], { cwd: pg.dir, env });
        if (r.code !== 0 || problemLines(r.stderr).length > 0) failures.push(`${where(c)} → ums-migrate ${argv.join(' ')}: exit ${r.code}\n${r.stderr}${r.stdout}`);
        continue;
      }
      // A worker runs until stopped (as a service would): stopped once it has started and the mailbox
      // is done; a graceful stop is exit 130. (Not sooner: a SIGTERM before runWorker listens for it
      // is not acted on until a second one, src/commands/worker-loop.ts.)
      const started = () => (readFileSync(path.join(pg.dir, 'run.log'), 'utf8').match(/"msg":"worker started"/g) ?? []).length;
      const before = existsSync(path.join(pg.dir, 'run.log')) ? started() : 0;
      const child = spawn(process.execPath, [BIN, ...argv], { cwd: pg.dir, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
      let stderr = '';
      child.stderr.on('data', (d: Buffer) => { stderr += d.toString(); });
      const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
      const deadline = Date.now() + 180_000;
      while (!(existsSync(path.join(pg.dir, 'run.log')) && started() > before && await done()) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 1000));
      child.kill('SIGTERM');
      const killer = setTimeout(() => child.kill('SIGKILL'), 60_000);
      const code = await exited;
      clearTimeout(killer);
      if (code !== 130 || problemLines(stderr).length > 0) failures.push(`${where(c)} → ums-migrate ${argv.join(' ')}: exit ${code} after SIGTERM\n${stderr}`);
    }
    expect(failures).toEqual([]);
    expect(await done()).toBe(true);
  } finally {
    await dropTestDatabase(url);
  }
}, 900_000);

test('the directory commands, as shown, from the lab AD into the lab UMS directory', async () => {
  const [ad, slapd] = await Promise.all([startAd(), startSlapd()]);
  const adc = await adClient(ad);
  const ums = await slapdClient(slapd);
  try {
    const adOu = await freshOu(adc, 'docs');
    const umsOu = await freshUmsOu(ums, 'docs');
    // sAMAccountName is unique domain-wide and the lab AD outlives a run.
    const people = [uniqueLogin('dca').slice(0, 18), uniqueLogin('dcb').slice(0, 18)];
    await seedAd(adc, adOu, { users: people.map((p) => ({ login: p, mail: `${p}@corp.example`, recipientType: '1', sn: p, proxyAddresses: [`SMTP:${p}@corp.example`] })) });
    const d = writeLabConfig(lab, { source: people[0]!, target: people[0]!, password }, [
      'directory:',
      '  source:',
      `    url: ${ad.url}`,
      `    bindDn: ${ad.bindDn}`,
      '    bindPassword: file:./ad-pw',
      `    caFile: ${ad.caFile}`,
      `    base: "${adOu}"`,
      `    recipientTypeAttribute: ${LAB_RECIPIENT_TYPE_ATTRIBUTE}`,
      '  target:',
      `    url: ${slapd.url}`,
      `    bindDn: ${slapd.bindDn(UMS_SUFFIX)}`,
      '    bindPassword: file:./ums-pw',
      `    caFile: ${slapd.caFile}`,
      `    base: "${umsOu}"`,
    ]);
    writeFileSync(path.join(d.dir, 'ad-pw'), ad.password, { mode: 0o600 });
    writeFileSync(path.join(d.dir, 'ums-pw'), slapd.password, { mode: 0o600 });
    const seen = new Set<string>();
    const failures: string[] = [];
    for (const c of docs.filter((x) => x.text.startsWith('ums-migrate') && DIRECTORY.has(firstWord(x)))) {
      for (const e of expand(c.text, fill, { withoutOptional: true })) {
        if (seen.has(e.argv.join('\0'))) continue;
        seen.add(e.argv.join('\0'));
        const r = await run(process.execPath, [BIN, ...e.argv], { cwd: d.dir });
        if (r.code !== 0 || problemLines(r.stderr).length > 0) failures.push(`${where(c)} → ums-migrate ${e.argv.join(' ')}: exit ${r.code}\n${r.stderr}${r.stdout.slice(0, 2000)}`);
      }
    }
    expect(failures).toEqual([]);
    expect([...seen].map((k) => k.split('\0').slice(0, 2).join(' '))).toEqual(expect.arrayContaining(['directory sync', expect.stringMatching(/^discover/)]));
    // The sync wrote both people into the UMS directory; discover's user map lists them.
    const { searchEntries } = await ums.search(umsOu, { scope: 'one', filter: '(objectClass=*)', attributes: ['uid'] });
    expect(searchEntries.map((e) => String(e['uid'])).sort()).toEqual([...people].sort());
    expect(readFileSync(path.join(d.dir, 'users.csv'), 'utf8')).toContain(people[1]!);
  } finally {
    await adc.unbind();
    await ums.unbind();
  }
}, 600_000);

test('npm run ews-sim, as shown: --help, and serving what it prints, which validates', async () => {
  const shown = docs.filter((c) => c.text.startsWith('npm run ews-sim')).map((c) => c.text);
  expect(shown).toEqual(expect.arrayContaining(['npm run ews-sim -- --port 8443', 'npm run ews-sim -- --help']));
  for (const text of shown) {
    const args = text.split(/\s+/).slice(1);
    if (args.includes('--help')) {
      const r = await run('npm', args);
      expect([r.code, r.stderr.includes('Error')]).toEqual([0, false]);
      expect(r.stdout).toMatch(/Usage: npm run ews-sim -- \[options\][\s\S]*EWS_SIM_PASSWORD/);
      continue;
    }
    // A server: read what it prints, then stop it (its process group: npm and node).
    const child = spawn('npm', args, { cwd: REPO, detached: true, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, EWS_SIM_PASSWORD: '' } });
    let out = '';
    let err = '';
    child.stderr.on('data', (d: Buffer) => { err += d.toString(); });
    const printed = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`ews-sim printed no config within 60 s: ${out}${err}`)), 60_000);
      child.stdout.on('data', (d: Buffer) => {
        out += d.toString();
        if (/\nmailboxes:\n( {2}.*\n)+$/.test(out)) { clearTimeout(timer); resolve(out); }
      });
      child.on('close', (code) => { clearTimeout(timer); reject(new Error(`ews-sim ended (${code}): ${out}${err}`)); });
    });
    process.kill(-child.pid!, 'SIGINT');
    expect(printed).toMatch(/listening on http:\/\/127\.0\.0\.1:8443\//);
    expect(printed).toMatch(/^mailboxes: alice@example\.org, bob@example\.org /m);
    expect(printed).toMatch(/password: the value of EWS_SIM_PASSWORD, unset: "sim-password"/);
    const yaml = printed.slice(printed.indexOf('\nsource:') + 1);
    const file = path.join(dir, 'ews-sim.yaml');
    writeFileSync(file, `version: 1\nstate: { path: ./ews-state.sqlite }\n${yaml}target:\n  host: ${lab.target.host}\n  port: ${lab.target.tlsPort}\n  caFile: ${lab.target.caFile}\n`);
    const v = await run(process.execPath, [BIN, 'validate', '-c', file], { cwd: dir, env: { EWS_SIM_PASSWORD: 'sim-password', UMS_PW_ALICE: 'a', UMS_PW_BOB: 'b' } });
    expect([v.code, v.stderr]).toEqual([0, '']);
    expect(v.stdout).toContain(': valid (2 mailboxes)');
  }
}, 180_000);

test('npm run demo (its demo step): starts the lab, migrates a sample mailbox, exit 0', async () => {
  expect(docs.map((c) => c.text)).toContain(DEMO);
  const r = await run(process.execPath, [BIN, 'demo']);
  expect(r.code).toBe(0);
  expect(r.stdout).toMatch(/### ums-migrate status --problems/);
  expect(problemLines(r.stderr)).toEqual([]);
}, 600_000);
