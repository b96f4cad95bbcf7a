/**
 * validate and the PostgreSQL state store's transport (issue 13 item 1, config side): the TLS
 * policy is checked on the resolved state.url, its refusals named at state.url / state.caFile
 * without printing the URL, and validate says how the store will be reached.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { jest } from '@jest/globals';
import { validateCommand } from '../commands/validate.js';
import { validateConfigText, type ConfigIssue } from './load.js';

const dir = mkdtempSync(path.join(tmpdir(), 'ums-state-tls-'));
writeFileSync(path.join(dir, 'db-ca.pem'), '-----BEGIN CERTIFICATE-----\n-----END CERTIFICATE-----\n');
const PW = 'pg-pa55word';

function config(state: string): string {
  return `version: 1
state:
${state}
source: { type: imap, host: imap.old.example, auth: { mode: master, masterUser: admin, masterPassword: env:MASTER } }
target: { host: imap.ums.example, auth: { mode: master, masterUser: admin, masterPassword: env:MASTER } }
mailboxes: [{ source: alice@old.example }]
`;
}

function validate(state: string, url = `postgres://ums:${PW}@db.example:5432/state`) {
  return validateConfigText(config(state), { baseDir: dir, env: { MASTER: 'm', STATE_URL: url } });
}

const located = (issues: ConfigIssue[]) => issues.map((i) => `${i.line}:${i.column} ${i.severity} ${i.path}: ${i.message}`);
const pg = '  driver: postgres\n  url: env:STATE_URL\n';

describe('validate: the PostgreSQL state store transport', () => {
  test('default: TLS verified against Node\'s CAs; with caFile (relative to the config) against it', () => {
    const r = validate(pg);
    expect(r.issues).toEqual([]);
    expect(r.stateStore).toBe("PostgreSQL postgres://ums@db.example:5432/state over TLS, the server's certificate and name verified against Node's built-in CA list");
    const c = validate(`${pg}  caFile: db-ca.pem\n`);
    expect(c.issues).toEqual([]);
    expect(c.config?.state).toEqual({ driver: 'postgres', url: 'env:STATE_URL', caFile: path.join(dir, 'db-ca.pem'), allowInsecure: false });
    expect(c.stateStore).toBe(`PostgreSQL postgres://ums@db.example:5432/state over TLS, the server's certificate and name verified against state.caFile ${path.join(dir, 'db-ca.pem')}`);
  });

  test('plaintext or unverified TLS in the resolved URL is an error at state.url unless allowInsecure; the URL is never shown', () => {
    for (const mode of ['disable', 'no-verify']) {
      const r = validate(pg, `postgres://ums:${PW}@db.example:5432/state?sslmode=${mode}`);
      expect(located(r.issues)).toEqual([expect.stringMatching(new RegExp(`^4:8 error state\\.url: sslmode=${mode} .*set state\\.allowInsecure: true to permit it$`))]);
      expect(JSON.stringify(r.issues)).not.toContain(PW);
      expect(JSON.stringify(r.issues)).not.toContain('db.example');
    }
    const ok = validate(`${pg}  allowInsecure: true\n`, `postgres://ums:${PW}@db.example:5432/state?sslmode=disable`);
    expect(ok.issues).toEqual([]);
    expect(ok.stateStore).toBe('PostgreSQL postgres://ums@db.example:5432/state over PLAINTEXT (no TLS: allowInsecure), the password and data travel in clear');
  });

  test('an unreadable caFile is an error at state.caFile, also when the URL cannot be resolved', () => {
    expect(located(validate(`${pg}  caFile: nope.pem\n`).issues)).toEqual([`5:11 error state.caFile: cannot read CA file ${path.join(dir, 'nope.pem')}: ENOENT`]);
    const r = validateConfigText(config(`${pg}  caFile: nope.pem\n`), { baseDir: dir, env: { MASTER: 'm' } });
    expect(located(r.issues)).toEqual(['4:8 error state.url: env var STATE_URL is not set', `5:11 error state.caFile: cannot read CA file ${path.join(dir, 'nope.pem')}: ENOENT`]);
  });

  test('the TLS rule is reported along with errors in other sections', () => {
    const text = config(pg).replace('imap.ums.example,', 'imap.ums.example, port: abc,');
    const r = validateConfigText(text, { baseDir: dir, env: { MASTER: 'm', STATE_URL: `postgres://ums:${PW}@db.example/state?sslmode=disable` } });
    expect(r.issues.map((i) => i.path)).toEqual(['state.url', 'target.port']);
  });

  test('caFile and allowInsecure are ignored (warning) with SQLite, which is described by its file', () => {
    const r = validate('  path: state.sqlite\n  caFile: db-ca.pem\n  allowInsecure: true\n');
    expect(r.issues.map((i) => `${i.severity} ${i.path}: ${i.message}`)).toEqual([
      'warning state.caFile: ignored unless driver is postgres', 'warning state.allowInsecure: ignored unless driver is postgres',
    ]);
    expect(r.stateStore).toBe(`SQLite ${path.join(dir, 'state.sqlite')}`);
  });

  test('the validate command prints the state store line', async () => {
    const file = path.join(dir, 'migration.yaml');
    writeFileSync(file, config(`${pg}  caFile: db-ca.pem\n`));
    const out: string[] = [];
    const spy = jest.spyOn(process.stdout, 'write').mockImplementation((s: string | Uint8Array) => { out.push(String(s)); return true; });
    const saved = { MASTER: process.env.MASTER, STATE_URL: process.env.STATE_URL };
    process.env.MASTER = 'm';
    process.env.STATE_URL = `postgres://ums:${PW}@db.example:5432/state`;
    try {
      expect(await validateCommand({ config: file })).toBe(0);
    } finally {
      spy.mockRestore();
      for (const [k, v] of Object.entries(saved)) if (v === undefined) delete process.env[k]; else process.env[k] = v;
    }
    expect(out.join('')).toBe(`${file}: valid (1 mailboxes)\nstate store: PostgreSQL postgres://ums@db.example:5432/state over TLS, the server's certificate and name verified against state.caFile ${path.join(dir, 'db-ca.pem')}\n`);
  });
});
