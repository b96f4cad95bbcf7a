/**
 * validate checks every secret reference of every section and auth mode (issue 13 item 4), found
 * through the schema, and the TLS rule of the EWS OAuth2 token endpoint.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { z } from 'zod';
import { validateConfigText, type ConfigIssue } from './load.js';
import { migrationConfigSchema } from './schema.js';
import { secretRefSchema, secretRefsIn } from '../config-blocks/secret-ref-schema.js';
import { secretRefProblem } from '../config-blocks/secrets.js';

const dir = mkdtempSync(path.join(tmpdir(), 'ums-refs-'));
const validate = (text: string, env: NodeJS.ProcessEnv = {}) => validateConfigText(text, { baseDir: dir, env });
const errors = (issues: ConfigIssue[]) => issues.filter((i) => i.severity === 'error').map((i) => `${i.path}: ${i.message}`);

const directory = `directory:
  source: { url: ldaps://dc1.corp.example, bindDn: svc@corp.example, bindPassword: env:MISSING_AD_BIND, base: "DC=corp,DC=example" }
  target: { url: ldaps://ldap.ums.example, bindDn: "cn=admin,dc=ums", bindPassword: "file:missing-ldap.pw", base: "dc=ums" }
`;
const mailbox = `mailboxes:
  - source: alice@old.example
    targetPassword: env:ALICE_TGT
`;
const state = 'state: { driver: postgres, url: env:MISSING_STATE_URL }\n';

function ews(auth: string, extra = ''): string {
  return `version: 1
source:
  type: ews
  url: https://mail.old.example/EWS/Exchange.asmx
${extra}  auth:
${auth}
target: { host: imap.ums.example, auth: { mode: master, masterUser: admin, masterPassword: env:MISSING_TARGET_MASTER } }
${mailbox}${state}${directory}`;
}

describe('every secret reference is checked, at its path, in one run', () => {
  test('EWS oauth2: clientSecret, with the IMAP target master password, state.url and both directory bind passwords', () => {
    const r = validate(ews('    mode: oauth2\n    tenant: contoso.onmicrosoft.com\n    clientId: app\n    clientSecret: env:MISSING_CLIENT_SECRET'), { ALICE_TGT: 'x' });
    expect(errors(r.issues).sort()).toEqual([
      `directory.source.bindPassword: env var MISSING_AD_BIND is not set`,
      `directory.target.bindPassword: cannot read secret file ${path.join(dir, 'missing-ldap.pw')}: ENOENT`,
      'source.auth.clientSecret: env var MISSING_CLIENT_SECRET is not set',
      'state.url: env var MISSING_STATE_URL is not set',
      'target.auth.masterPassword: env var MISSING_TARGET_MASTER is not set',
    ]);
  });

  test.each(['basic', 'ntlm'])('EWS master (%s, impersonating every mailbox): masterPassword', (method) => {
    const r = validate(ews(`    mode: master\n    method: ${method}\n    masterUser: svc\n    masterPassword: env:MISSING_EWS_SVC`, '  impersonation: true\n'), { ALICE_TGT: 'x' });
    expect(errors(r.issues)).toContain('source.auth.masterPassword: env var MISSING_EWS_SVC is not set');
  });

  test('a reference the schema drops (masterPassword when the mode is not master) is a warning, not a failed lookup', () => {
    const text = `version: 1
source: { type: imap, host: imap.old.example, auth: { mode: user, masterPassword: env:MISSING_UNUSED } }
target: { host: imap.ums.example }
mailboxes: [{ source: a@x, sourcePassword: env:A, targetPassword: env:A }]
`;
    const r = validate(text, { A: 'x' });
    expect(errors(r.issues)).toEqual([]);
    expect(r.issues.map((i) => `${i.path}: ${i.message}`)).toEqual(['source.auth.masterPassword: ignored unless mode is master']);
  });

  test('with a schema error elsewhere, every section is still checked (state.url, directory), the invalid one too', () => {
    const text = `version: 1
source: { type: imap, host: imap.old.example, port: abc, auth: { mode: master, masterUser: a, masterPassword: env:MISSING_IN_BROKEN_SECTION } }
target: { host: imap.ums.example, auth: { mode: master, masterUser: admin, masterPassword: env:MISSING_TARGET_MASTER } }
${state}${directory}`;
    expect(errors(validate(text).issues).sort()).toEqual([
      'directory.source.bindPassword: env var MISSING_AD_BIND is not set',
      `directory.target.bindPassword: cannot read secret file ${path.join(dir, 'missing-ldap.pw')}: ENOENT`,
      'mailboxes: no mailboxes: list them under mailboxes or in a userMap CSV',
      'source.auth.masterPassword: env var MISSING_IN_BROKEN_SECTION is not set',
      'source.port: expected a number, got "abc"',
      'state.url: env var MISSING_STATE_URL is not set',
      'target.auth.masterPassword: env var MISSING_TARGET_MASTER is not set',
    ]);
  });

  test('the walk finds secrets through discriminated unions, optionals and arrays', () => {
    const raw = { source: { type: 'ews', auth: { clientSecret: 'env:X' } }, mailboxes: [{ source: 'a', sourcePassword: 'env:Y' }], state: { url: 'env:Z' } };
    expect(secretRefsIn(migrationConfigSchema, raw).map((f) => `${f.path.join('.')}=${f.ref}`).sort()).toEqual([
      'mailboxes.0.sourcePassword=env:Y', 'source.auth.clientSecret=env:X', 'state.url=env:Z',
    ]);
  });

  test('no config section declares a secret field of its own: every one is the shared secretRefSchema (so validate finds it)', () => {
    // Every leaf of the schema that refuses an inline value with the secret-ref message is a secret field.
    const own: string[] = [];
    const shared: string[] = [];
    const visit = (s: z.ZodTypeAny, at: string, depth = 0): void => {
      if (depth > 40) return;
      if (s === secretRefSchema) { shared.push(at); return; }
      if (s instanceof z.ZodDefault) { visit(s._def.innerType as z.ZodTypeAny, at, depth + 1); return; }
      if (s instanceof z.ZodOptional || s instanceof z.ZodNullable) { visit(s.unwrap() as z.ZodTypeAny, at, depth + 1); return; }
      const r = s.safeParse('hunter2');
      if (!r.success && r.error.issues.some((i) => i.message === secretRefProblem('hunter2'))) { own.push(at); return; }
      if (s instanceof z.ZodEffects) visit(s._def.schema as z.ZodTypeAny, at, depth + 1);
      else if (s instanceof z.ZodObject) for (const [k, v] of Object.entries(s.shape as Record<string, z.ZodTypeAny>)) visit(v, `${at}.${k}`, depth + 1);
      else if (s instanceof z.ZodDiscriminatedUnion || s instanceof z.ZodUnion) (s.options as z.ZodTypeAny[]).forEach((o, i) => visit(o, `${at}|${i}`, depth + 1));
      else if (s instanceof z.ZodArray) visit(s.element as z.ZodTypeAny, `${at}[]`, depth + 1);
      else if (s instanceof z.ZodRecord) visit(s._def.valueType as z.ZodTypeAny, `${at}{}`, depth + 1);
    };
    visit(migrationConfigSchema as z.ZodTypeAny, '');
    expect(own).toEqual([]);
    expect(shared.map((p) => p.replace(/\|\d+/g, '')).sort()).toEqual(expect.arrayContaining([
      '.directory.source.bindPassword', '.directory.target.bindPassword', '.mailboxes[].sourcePassword', '.mailboxes[].targetPassword',
      '.source.auth.clientSecret', '.source.auth.masterPassword', '.state.url', '.target.auth.masterPassword',
    ]));
  });
});

describe('EWS OAuth2 tokenUrl', () => {
  const oauth = (tokenUrl: string) => `    mode: oauth2\n    tokenUrl: ${tokenUrl}\n    clientId: app\n    clientSecret: env:SECRET`;
  const env = { SECRET: 's', ALICE_TGT: 'x', MISSING_TARGET_MASTER: 'm', MISSING_STATE_URL: 'postgres://u:p@db/x', MISSING_AD_BIND: 'b' };

  test('http:// is an error at source.auth.tokenUrl unless allowInsecure, like the EWS url', () => {
    const text = ews(oauth('http://login.example/token')).replace('file:missing-ldap.pw', 'env:MISSING_AD_BIND');
    expect(errors(validate(text, env).issues)).toEqual(['source.auth.tokenUrl: http:// sends the client secret in plaintext; use https://, or set allowInsecure: true to permit it']);
    expect(errors(validate(ews(oauth('http://login.example/token'), '  allowInsecure: true\n').replace('file:missing-ldap.pw', 'env:MISSING_AD_BIND'), env).issues)).toEqual([]);
    expect(errors(validate(ews(oauth('https://login.example/token')).replace('file:missing-ldap.pw', 'env:MISSING_AD_BIND'), env).issues)).toEqual([]);
    expect(errors(validate(ews(oauth('ftp://login.example/token')).replace('file:missing-ldap.pw', 'env:MISSING_AD_BIND'), env).issues))
      .toEqual(['source.auth.tokenUrl: expected an https:// (or, with allowInsecure, http://) URL']);
  });

  test('reported together with another error of the source', () => {
    const text = ews(oauth('http://login.example/token'), '  maxConnections: lots\n').replace('file:missing-ldap.pw', 'env:MISSING_AD_BIND');
    expect(errors(validate(text, env).issues)).toEqual([
      'source.maxConnections: expected a number, got "lots"',
      'source.auth.tokenUrl: http:// sends the client secret in plaintext; use https://, or set allowInsecure: true to permit it',
    ]);
  });
});
