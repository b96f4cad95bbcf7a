import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ConfigError, formatIssues, loadConfig, validateConfigText, type ConfigIssue } from './load.js';

const dir = mkdtempSync(path.join(tmpdir(), 'ums-config-'));
const env = { ALICE_SRC: 'a1', ALICE_TGT: 'a2', BOB_SRC: 'b1', BOB_TGT: 'b2', MASTER_PW: 'm' };

/** A valid config in user mode on both sides; `extra` is appended (top-level keys). */
function userModeConfig(extra = ''): string {
  return `version: 1
source:
  type: imap
  host: imap.old.example
target:
  host: imap.ums.example
mailboxes:
  - source: alice@old.example
    target: alice@ums.example
    sourcePassword: env:ALICE_SRC
    targetPassword: env:ALICE_TGT
${extra}`;
}

/** Master mode on the source, user mode on the target. */
function masterConfig(mailboxes: string, extra = ''): string {
  return `version: 1
source:
  type: imap
  host: imap.old.example
  auth:
    mode: master
    masterUser: admin
    masterPassword: env:MASTER_PW
target:
  host: imap.ums.example
${mailboxes}
${extra}`;
}

function validate(text: string, opts: { env?: NodeJS.ProcessEnv; checkRefs?: boolean } = {}) {
  return validateConfigText(text, { baseDir: dir, env: opts.env ?? env, checkRefs: opts.checkRefs });
}

function errors(issues: ConfigIssue[]): ConfigIssue[] {
  return issues.filter((i) => i.severity === 'error');
}

/** 1-based line of the first line containing `needle`. */
function lineOf(text: string, needle: string): number {
  const i = text.split('\n').findIndex((l) => l.includes(needle));
  if (i < 0) throw new Error(`not found: ${needle}`);
  return i + 1;
}

describe('validateConfigText: valid configs', () => {
  test('fills every default and resolves paths against the config dir', () => {
    const r = validate(userModeConfig());
    expect(r.issues).toEqual([]);
    expect(r.config).toEqual({
      version: 1,
      state: { driver: 'sqlite', path: path.join(dir, '.ums-migrate/state.sqlite') },
      logging: { level: 'info' },
      source: {
        type: 'imap',
        host: 'imap.old.example',
        port: 993,
        tls: 'implicit',
        allowInsecure: false,
        tlsVerify: true,
        maxConnections: 6,
        timeoutSeconds: 300,
        auth: { mode: 'user' },
      },
      target: {
        type: 'ums-imap',
        host: 'imap.ums.example',
        port: 993,
        tls: 'implicit',
        allowInsecure: false,
        tlsVerify: true,
        maxConnections: 8,
        timeoutSeconds: 300,
        auth: { mode: 'user' },
        utf8Accept: true,
        stagingFrom: 1000,
        stagingAfter: 500,
        stagingLanes: 3,
      },
      mailboxes: [{ source: 'alice@old.example', target: 'alice@ums.example', sourcePassword: 'env:ALICE_SRC', targetPassword: 'env:ALICE_TGT' }],
      folders: {
        include: ['**'],
        exclude: [],
        rename: [],
        specialUse: { sent: 'Sent', trash: 'Trash', junk: 'Spam', drafts: 'Drafts', archive: 'Archive' },
        invalidCharReplacement: '_',
      },
      filters: { maxMessageSize: 50 * 1024 * 1024 },
      concurrency: { mailboxes: 4, tasks: 8, writersPerTask: 1, batchSize: 100 },
      sync: { flags: true, deletions: 'ignore' },
      mail: { decodeTnef: 'off' },
      retry: { attempts: 5, baseDelayMs: 1000, maxDelayMs: 60000 },
      workers: { leaseSeconds: 30, heartbeatSeconds: 5, maxAttempts: 10 },
    });
    expect(r.mailboxes).toEqual([
      { source: 'alice@old.example', target: 'alice@ums.example', sourcePassword: 'env:ALICE_SRC', targetPassword: 'env:ALICE_TGT', origin: 'mailboxes[0]' },
    ]);
  });

  test('port defaults to 143 unless tls is implicit; explicit values win', () => {
    const text = userModeConfig().replace('  host: imap.ums.example\n', '  host: imap.ums.example\n  tls: starttls\n');
    expect(validate(text).config?.target.port).toBe(143);
    const text2 = userModeConfig().replace('  host: imap.old.example\n', '  host: imap.old.example\n  tls: starttls\n  port: 1143\n');
    expect(validate(text2).config?.source).toMatchObject({ tls: 'starttls', port: 1143 });
  });

  test('dates become Date objects, sizes become bytes, master auth is filled', () => {
    const r = validate(
      masterConfig(
        'mailboxes:\n  - source: bob@old.example\n    targetPassword: env:BOB_TGT',
        'filters:\n  before: 2024-01-01\n  since: "2020-01-01T08:30:00+02:00"\n  maxMessageSize: 1.5GB\n',
      ),
    );
    expect(r.issues).toEqual([]);
    expect(r.config?.filters.before).toEqual(new Date('2024-01-01T00:00:00Z'));
    expect(r.config?.filters.since).toEqual(new Date('2020-01-01T06:30:00Z'));
    expect(r.config?.filters.maxMessageSize).toBe(1610612736);
    expect(r.config?.source.type === 'imap' && r.config.source.auth).toEqual({ mode: 'master', masterUser: 'admin', masterPassword: 'env:MASTER_PW', masterStyle: 'authzid', masterSeparator: '*' });
    expect(r.mailboxes).toEqual([{ source: 'bob@old.example', target: 'bob@old.example', targetPassword: 'env:BOB_TGT', origin: 'mailboxes[0]' }]);
  });

  test.each([
    [1234, 1234],
    ['10KB', 10240],
    ['50MB', 52428800],
    ['2gb', 2147483648],
  ])('maxMessageSize %p → %p bytes', (input, bytes) => {
    const r = validate(userModeConfig(`filters:\n  maxMessageSize: ${input}\n`));
    expect(r.config?.filters.maxMessageSize).toBe(bytes);
  });
});

describe('validateConfigText: located errors', () => {
  test('port "abc" → source.port at its line and column', () => {
    const text = ['version: 1', 'source:', '  type: imap', '  host: imap.old.example', '  port: abc', 'target:', '  host: t', 'mailboxes:', '  - source: a', '    sourcePassword: env:ALICE_SRC', '    targetPassword: env:ALICE_TGT'].join('\n');
    const r = validate(text);
    expect(r.config).toBeUndefined();
    expect(r.issues).toEqual([{ path: 'source.port', line: 5, column: 9, message: 'expected a number, got "abc"', severity: 'error' }]);
    expect(formatIssues(r.issues, 'migration.yaml')).toBe('migration.yaml:5:9 error source.port: expected a number, got "abc"');
  });

  test('tls none without allowInsecure names source.tls; allowed with allowInsecure', () => {
    const text = userModeConfig().replace('  host: imap.old.example\n', '  host: imap.old.example\n  tls: none\n');
    const r = validate(text);
    expect(r.issues).toEqual([
      {
        path: 'source.tls',
        line: lineOf(text, 'tls: none'),
        column: 8,
        message: 'tls: none sends passwords in plaintext; use tls: implicit or starttls, or set allowInsecure: true to permit it',
        severity: 'error',
      },
    ]);
    const ok = validate(text.replace('  tls: none\n', '  tls: none\n  allowInsecure: true\n'));
    expect(ok.issues).toEqual([]);
    expect(ok.config?.source).toMatchObject({ tls: 'none', port: 143, allowInsecure: true });
  });

  test('tls rule is reported even when another field of the endpoint is invalid', () => {
    const text = userModeConfig().replace('  host: imap.ums.example\n', '  host: imap.ums.example\n  port: "x"\n  tlsVerify: false\n');
    expect(errors(validate(text).issues).map((i) => [i.path, i.line])).toEqual([
      ['target.port', lineOf(text, 'port: "x"')],
      ['target.tlsVerify', lineOf(text, 'tlsVerify: false')],
    ]);
  });

  test('inline secret → path and line, value never echoed', () => {
    const text = userModeConfig().replace('sourcePassword: env:ALICE_SRC', 'sourcePassword: hunter2');
    const r = validate(text);
    expect(r.issues).toEqual([
      {
        path: 'mailboxes[0].sourcePassword',
        line: lineOf(text, 'hunter2'),
        column: 21,
        message: 'inline secrets are not allowed; use env:NAME or file:/path',
        severity: 'error',
      },
    ]);
    expect(formatIssues(r.issues, 'm.yaml')).toBe(
      `m.yaml:${lineOf(text, 'hunter2')}:21 error mailboxes[0].sourcePassword: inline secrets are not allowed; use env:NAME or file:/path`,
    );
  });

  test('non-string secrets are described by kind only', () => {
    const text = masterConfig('mailboxes:\n  - source: a\n    targetPassword: 123456').replace('env:MASTER_PW', '987654');
    const r = validate(text);
    const messages = r.issues.map((i) => i.message).join('\n');
    expect(r.issues.map((i) => [i.path, i.message])).toEqual([
      ['source.auth.masterPassword', 'expected a string, got a number'],
      ['mailboxes[0].targetPassword', 'expected a string, got a number'],
    ]);
    expect(messages).not.toMatch(/987654|123456/);
  });

  test('unknown keys are errors at the key, with a suggestion', () => {
    const text = userModeConfig('concurency:\n  tasks: 2\n').replace('  host: imap.ums.example\n', '  host: imap.ums.example\n  maxConnection: 4\n');
    const r = validate(text);
    expect(r.issues).toEqual([
      { path: 'target.maxConnection', line: lineOf(text, 'maxConnection:'), column: 3, message: 'unknown key "maxConnection" (did you mean "maxConnections"?)', severity: 'error' },
      { path: 'concurency', line: lineOf(text, 'concurency:'), column: 1, message: 'unknown key "concurency" (did you mean "concurrency"?)', severity: 'error' },
    ]);
  });

  test('unknown key inside a mailbox entry', () => {
    const text = userModeConfig().replace('    targetPassword: env:ALICE_TGT', '    targetPassword: env:ALICE_TGT\n    pasword: x');
    expect(validate(text).issues).toEqual([
      { path: 'mailboxes[0].pasword', line: lineOf(text, 'pasword'), column: 5, message: expect.stringMatching(/^unknown key "pasword"/), severity: 'error' },
    ]);
  });

  test('filters.before must be after filters.since', () => {
    const text = userModeConfig('filters:\n  before: 2020-01-01\n  since: 2020-01-01\n');
    const r = validate(text);
    expect(r.issues).toEqual([
      {
        path: 'filters.before',
        line: lineOf(text, 'before:'),
        column: 11,
        message: 'must be later than filters.since (2020-01-01T00:00:00.000Z <= 2020-01-01T00:00:00.000Z)',
        severity: 'error',
      },
    ]);
  });

  test('bad date and size values', () => {
    const text = userModeConfig('filters:\n  since: 2024-02-30\n  maxMessageSize: 10 apples\n');
    expect(validate(text).issues.map((i) => [i.path, i.line, i.message])).toEqual([
      ['filters.since', lineOf(text, 'since:'), 'expected a date (YYYY-MM-DD or ISO date-time), got "2024-02-30"'],
      ['filters.maxMessageSize', lineOf(text, 'maxMessageSize'), 'expected a positive size in bytes or with KB/MB/GB, got "10 apples"'],
    ]);
  });

  test('enums, ranges, required fields, version', () => {
    const text = [
      'version: 2',
      'source:',
      '  type: pop3',
      '  host: x',
      'target:',
      '  port: 70000',
      'logging:',
      '  level: verbose',
      'concurrency:',
      '  batchSize: 0',
      'mailboxes:',
      '  - target: a',
    ].join('\n');
    expect(validate(text).issues.map((i) => `${i.line}:${i.column} ${i.path}: ${i.message}`)).toEqual([
      '1:10 version: unsupported config version 2; expected 1',
      '3:9 source.type: expected one of imap, ews, pst, kopano-backup, kopano-tree, msg, got "pop3"',
      '5:1 target.host: required',
      '6:9 target.port: must be at most 65535, got 70000',
      '8:10 logging.level: expected one of trace, debug, info, warn, error, got "verbose"',
      '10:14 concurrency.batchSize: must be at least 1, got 0',
      '12:5 mailboxes[0].source: required',
    ]);
  });

  test('master mode requires masterUser and masterPassword', () => {
    const text = userModeConfig().replace('  host: imap.old.example\n', '  host: imap.old.example\n  auth:\n    mode: master\n');
    expect(validate(text).issues.map((i) => [i.path, i.line, i.message])).toEqual([
      ['source.auth.masterUser', lineOf(text, 'auth:'), 'required when mode is master'],
      ['source.auth.masterPassword', lineOf(text, 'auth:'), 'required when mode is master'],
    ]);
  });

  test('user mode requires each mailbox password for that side', () => {
    const text = userModeConfig().replace('    sourcePassword: env:ALICE_SRC\n', '');
    expect(validate(text).issues).toEqual([
      {
        path: 'mailboxes[0].sourcePassword',
        line: lineOf(text, '- source: alice'),
        column: 5,
        message: 'required because source.auth.mode is user',
        severity: 'error',
      },
    ]);
  });

  test('postgres state requires url', () => {
    const text = userModeConfig('state:\n  driver: postgres\n');
    expect(validate(text).issues.map((i) => [i.path, i.line, i.message])).toEqual([['state.url', lineOf(text, 'state:'), 'required when driver is postgres']]);
    const ok = validate(userModeConfig('state:\n  driver: postgres\n  url: env:UMS_STATE_URL\n'), { env: { ...env, UMS_STATE_URL: 'postgres://u@h/db' } });
    expect(ok.config?.state).toEqual({ driver: 'postgres', url: 'env:UMS_STATE_URL', allowInsecure: false });
  });

  test('at least one mailbox', () => {
    const text = userModeConfig().split('mailboxes:')[0]!;
    expect(validate(text).issues).toEqual([
      { path: 'mailboxes', message: 'no mailboxes: list them under mailboxes or in a userMap CSV', severity: 'error' },
    ]);
  });

  test('duplicate sources and targets among inline mailboxes (case-insensitive)', () => {
    const text = masterConfig(
      [
        'mailboxes:',
        '  - source: alice@old.example',
        '    targetPassword: env:A',
        '  - source: Alice@old.example',
        '    target: alice2@ums.example',
        '    targetPassword: env:A',
        '  - source: carol@old.example',
        '    target: alice2@ums.example',
        '    targetPassword: env:A',
      ].join('\n'),
    );
    const r = validate(text, { env: { ...env, A: 'x' } });
    expect(r.issues.map((i) => [i.path, i.line, i.message])).toEqual([
      ['mailboxes[1].source', lineOf(text, 'Alice@old'), 'duplicate source "Alice@old.example" (also mailboxes[0])'],
      ['mailboxes[2].target', lineOf(text, 'target: alice2') + 3, 'duplicate target "alice2@ums.example" (also mailboxes[1])'],
    ]);
  });

  test('warnings do not block: Courier MAXPERIP and unused master fields', () => {
    const text = userModeConfig().replace('  host: imap.ums.example\n', '  host: imap.ums.example\n  maxConnections: 30\n  auth:\n    masterUser: x\n');
    const r = validate(text);
    expect(r.config?.target.maxConnections).toBe(30);
    expect(r.issues.map((i) => [i.severity, i.path, i.line])).toEqual([
      ['warning', 'target.maxConnections', lineOf(text, 'maxConnections: 30')],
      ['warning', 'target.auth.masterUser', lineOf(text, 'masterUser: x')],
    ]);
    expect(r.issues[0]!.message).toMatch(/above Courier-IMAP's default limit of 20/);
  });

  test('YAML syntax errors carry the line', () => {
    const r = validate('version: 1\nsource:\n\thost: a\n');
    expect(r.config).toBeUndefined();
    // The rest is read as the parser understood it: `source:` lost its content to the tab. Nothing
    // else is said about line 3, and `target`, which the broken part may hold, is not called missing.
    expect(r.issues).toEqual([
      { path: 'source', line: 2, column: 1, severity: 'error', message: 'expected a mapping, got an empty value' },
      { path: '', line: 3, column: 1, severity: 'error', message: 'YAML syntax: Tabs are not allowed as indentation' },
    ]);
  });

  test('duplicate YAML keys are errors', () => {
    const r = validate(userModeConfig('version: 1\n'));
    expect(r.issues[0]).toMatchObject({ line: 12, severity: 'error', message: expect.stringMatching(/unique/) });
  });
});

describe('secret reference checks (validate)', () => {
  test('missing env var is an error naming the path; skipped with checkRefs: false', () => {
    const text = userModeConfig();
    const r = validate(text, { env: { ALICE_SRC: 'x' } });
    expect(r.issues).toEqual([
      { path: 'mailboxes[0].targetPassword', line: lineOf(text, 'env:ALICE_TGT'), column: 21, message: 'env var ALICE_TGT is not set', severity: 'error' },
    ]);
    expect(validate(text, { env: {}, checkRefs: false }).issues).toEqual([]);
  });

  test('missing secret file and CA file; master password env', () => {
    const text = masterConfig('mailboxes:\n  - source: a\n    targetPassword: file:secrets/a').replace('  host: imap.ums.example\n', '  host: imap.ums.example\n  caFile: certs/ca.pem\n');
    const r = validate(text, { env: {} });
    expect(r.issues.map((i) => [i.path, i.line, i.message])).toEqual([
      ['source.auth.masterPassword', lineOf(text, 'env:MASTER_PW'), 'env var MASTER_PW is not set'],
      ['target.caFile', lineOf(text, 'caFile'), `cannot read CA file ${path.join(dir, 'certs/ca.pem')}: ENOENT`],
      ['mailboxes[0].targetPassword', lineOf(text, 'file:secrets/a'), `cannot read secret file ${path.join(dir, 'secrets/a')}: ENOENT`],
    ]);
  });
});

describe('CSV user map', () => {
  function withCsv(name: string, csv: string, mailboxes = ''): string {
    writeFileSync(path.join(dir, name), csv);
    return masterConfig(mailboxes, `userMap: ./${name}\n`);
  }

  test('merges with inline mailboxes, defaults target, reads quoted refs', () => {
    const text = withCsv(
      'users.csv',
      'source,target,sourcePassword,targetPassword\nbob@old.example,bob@ums.example,,env:BOB_TGT\n"carol@old.example",,,"file:secrets/carol"\n',
      'mailboxes:\n  - source: alice@old.example\n    targetPassword: env:ALICE_TGT',
    );
    const r = validate(text, { checkRefs: false });
    expect(r.issues).toEqual([]);
    expect(r.config?.userMap).toBe(path.join(dir, 'users.csv'));
    expect(r.mailboxes).toEqual([
      { source: 'alice@old.example', target: 'alice@old.example', targetPassword: 'env:ALICE_TGT', origin: 'mailboxes[0]' },
      { source: 'bob@old.example', target: 'bob@ums.example', targetPassword: 'env:BOB_TGT', origin: 'users.csv:2' },
      { source: 'carol@old.example', target: 'carol@old.example', targetPassword: 'file:secrets/carol', origin: 'users.csv:3' },
    ]);
  });

  test('duplicates across inline and CSV name the CSV line', () => {
    const text = withCsv(
      'dups.csv',
      'source,target,targetPassword\nbob@old.example,alice@ums.example,env:X\nALICE@old.example,zed@ums.example,env:X\n',
      'mailboxes:\n  - source: alice@old.example\n    target: alice@ums.example\n    targetPassword: env:X',
    );
    const r = validate(text, { env: { ...env, X: 'x' } });
    const userMapLine = lineOf(text, 'userMap:');
    expect(r.issues).toEqual([
      { path: 'userMap', line: userMapLine, column: 10, message: 'dups.csv:2: target: duplicate target "alice@ums.example" (also mailboxes[0])', severity: 'error' },
      { path: 'userMap', line: userMapLine, column: 10, message: 'dups.csv:3: source: duplicate source "ALICE@old.example" (also mailboxes[0])', severity: 'error' },
    ]);
    expect(r.mailboxes).toBeUndefined();
  });

  test('column count, inline secrets and quoting errors name the CSV file and line', () => {
    const text = withCsv(
      'bad.csv',
      'source,target,sourcePassword,targetPassword\na@x,a@y,,env:X\nb@x,b@y,,hunter2\nc@x\nd@x,d@y,,env:X,extra\n"e@x,e@y\n',
    );
    const r = validate(text, { env: { ...env, X: 'x' } });
    expect(r.issues.map((i) => `${formatIssues([i], 'migration.yaml')}`)).toEqual([
      `migration.yaml:${lineOf(text, 'userMap')}:10 error userMap: bad.csv:3: targetPassword: inline secrets are not allowed; use env:NAME or file:/path`,
      `migration.yaml:${lineOf(text, 'userMap')}:10 error userMap: bad.csv:4: expected 2–4 columns, got 1`,
      `migration.yaml:${lineOf(text, 'userMap')}:10 error userMap: bad.csv:5: expected 2–4 columns, got 5`,
      `migration.yaml:${lineOf(text, 'userMap')}:10 error userMap: bad.csv:6: unterminated quoted field`,
    ]);
    expect(r.issues.map((i) => i.message).join()).not.toContain('hunter2');
  });

  test('header problems and missing password column', () => {
    const bad = validate(withCsv('hdr.csv', 'email,target\na,b\n'));
    expect(bad.issues.map((i) => i.message)).toEqual([
      'hdr.csv:1: unknown column "email" in the header (expected source,target,sourcePassword,targetPassword,wave,mailboxType)',
    ]);
    const noPw = validate(withCsv('nopw.csv', 'source,target\na@x,a@y\nb@x,b@y\n'));
    expect(noPw.issues.map((i) => i.message)).toEqual(['nopw.csv: no targetPassword column, but target.auth.mode is user (each mailbox needs its own password)']);
  });

  test('missing CSV file', () => {
    const r = validate(masterConfig('', 'userMap: ./nope.csv\n'));
    expect(r.issues.map((i) => [i.path, i.message])).toEqual([['userMap', `cannot read nope.csv (${path.join(dir, 'nope.csv')}): ENOENT`]]);
  });
});

describe('loadConfig', () => {
  test('loads a file: paths relative to its directory, lazy secret resolver', async () => {
    const sub = mkdtempSync(path.join(dir, 'load-'));
    writeFileSync(path.join(sub, 'alice.pw'), 'from-file\n');
    const file = path.join(sub, 'migration.yaml');
    writeFileSync(
      file,
      userModeConfig('logging:\n  level: debug\n  file: logs/run.log\n').replace('env:ALICE_SRC', 'file:alice.pw'),
    );
    const loaded = await loadConfig(file, { env: {} });
    expect(loaded.file).toBe(file);
    expect(loaded.baseDir).toBe(sub);
    expect(loaded.config.logging).toEqual({ level: 'debug', file: path.join(sub, 'logs/run.log') });
    expect(loaded.config.state).toEqual({ driver: 'sqlite', path: path.join(sub, '.ums-migrate/state.sqlite') });
    expect(loaded.mailboxes.map((m) => m.source)).toEqual(['alice@old.example']);
    expect(loaded.warnings).toEqual([]);
    expect(loaded.resolveSecret(loaded.mailboxes[0]!.sourcePassword!)).toBe('from-file');
    // Unresolvable refs are only found when used (loadConfig is lazy by default)...
    expect(() => loaded.resolveSecret(loaded.mailboxes[0]!.targetPassword!)).toThrow('env var ALICE_TGT is not set');
    // ...or up front with checkRefs.
    await expect(loadConfig(file, { env: {}, checkRefs: true })).rejects.toMatchObject({
      issues: [expect.objectContaining({ path: 'mailboxes[0].targetPassword', message: 'env var ALICE_TGT is not set' })],
    });
  });

  test('throws ConfigError with issues and a formatted message', async () => {
    const file = path.join(dir, 'bad.yaml');
    const text = userModeConfig().replace('  host: imap.old.example\n', '  host: imap.old.example\n  port: abc\n');
    writeFileSync(file, text);
    const err = await loadConfig(file, { env }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConfigError);
    const issues = (err as ConfigError).issues;
    expect(issues).toEqual([{ path: 'source.port', line: lineOf(text, 'port: abc'), column: 9, message: 'expected a number, got "abc"', severity: 'error' }]);
    expect((err as Error).message).toBe(`${file}: 1 error\n${file}:${lineOf(text, 'port: abc')}:9 error source.port: expected a number, got "abc"`);
  });

  test('missing file', async () => {
    const file = path.join(dir, 'none.yaml');
    await expect(loadConfig(file)).rejects.toMatchObject({
      issues: [{ path: '', message: expect.stringMatching(/^cannot read config file \S+: no such file \(ENOENT\); to start one from the documented example: cp \S*migration\.example\.yaml \S+none\.yaml,/), severity: 'error' }],
    });
    const message = String(await loadConfig(file).then(() => 'loaded', (e: Error) => e.message));
    expect(message).toContain(`cannot read config file ${file}:`);
    // The example named in the hint is the one shipped with the program, at a path that works from here.
    const example = /cp (\S+) /.exec(message)![1]!;
    expect(path.resolve(example)).toBe(path.resolve(path.dirname(new URL(import.meta.url).pathname), '../../migration.example.yaml'));
  });
});

describe('validateConfigText: PST source', () => {
  const pstConfig = (source: string, mailbox = '  - source: alice\n    target: alice@ums.example\n    targetPassword: env:ALICE_TGT') => `version: 1
source:
${source}
target:
  host: imap.ums.example
mailboxes:
${mailbox}
`;

  test('a folder of files: directory absolute, default pattern, no source password needed', () => {
    const r = validate(pstConfig('  type: pst\n  directory: ./archives'));
    expect(r.issues).toEqual([]);
    expect(r.config?.source).toEqual({ type: 'pst', directory: path.join(dir, 'archives'), files: '{login}.pst', groupware: false });
    expect(r.mailboxes?.[0]).toMatchObject({ source: 'alice', target: 'alice@ums.example' });
  });

  test('folders of .msg files: directory absolute, default root "{login}"', () => {
    const r = validate(pstConfig('  type: msg\n  directory: ./msg\n  codepage: 932'));
    expect(r.issues).toEqual([]);
    expect(r.config?.source).toEqual({ type: 'msg', directory: path.join(dir, 'msg'), folders: '{login}', codepage: 932, groupware: false });
    expect(errors(validate(pstConfig('  type: msg\n  directory: ./msg\n  folders: all')).issues).map((i) => i.message)).toEqual(['must contain {login} (each mailbox needs its own folder)']);
  });

  test('a source password is ignored with a warning; the pattern must name the login and stay inside', () => {
    const withPw = validate(pstConfig('  type: pst\n  directory: /srv/pst', '  - source: alice\n    sourcePassword: env:ALICE_SRC\n    targetPassword: env:ALICE_TGT'));
    expect(withPw.issues.map((i) => `${i.severity} ${i.path}: ${i.message}`)).toEqual(['warning mailboxes[0].sourcePassword: ignored because source.type pst needs no password']);
    const bad = validate(pstConfig('  type: pst\n  directory: /srv/pst\n  files: "../*.pst"\n  codepage: 0\n  host: x'));
    expect(errors(bad.issues).map((i) => `${i.path}: ${i.message}`).sort()).toEqual([
      'source.codepage: must be at least 1, got 0',
      'source.files: must contain {login} (each mailbox needs its own files)',
      'source.files: must stay inside the directory (no "..")',
      'source.host: unknown key "host" (allowed: type, directory, files, codepage, groupware)',
    ]);
  });
});
