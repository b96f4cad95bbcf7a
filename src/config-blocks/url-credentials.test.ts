/**
 * Endpoint URLs never carry credentials (url-credentials.ts): `https://user:password@host/` in
 * the EWS url or tokenUrl, groupwareTarget.url or a directory LDAP url was accepted, and the URL
 * then reached error messages, logs and the directory sync's checkpoint key in the state store
 * unscrubbed (it is no resolved secret). Refused at its path, without echoing the password.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { validateConfigText, type ConfigIssue } from '../config/load.js';
import { urlCredentialsProblem } from './url-credentials.js';

const dir = mkdtempSync(path.join(tmpdir(), 'ums-url-creds-'));
const PW = 'Url-Pa55word';
const errors = (issues: ConfigIssue[]) => issues.filter((i) => i.severity === 'error');

function config(o: { ews?: string; tokenUrl?: string; dav?: string; ldap?: string }): string {
  const auth = o.tokenUrl !== undefined
    ? `{ mode: oauth2, tokenUrl: "${o.tokenUrl}", clientId: app, clientSecret: env:S }`
    : '{ mode: master, masterUser: svc, masterPassword: env:S }';
  return [
    'version: 1',
    `source: { type: ews, url: "${o.ews ?? 'https://mail.example/EWS/Exchange.asmx'}", auth: ${auth} }`,
    'target: { host: imap.ums.example }',
    `groupwareTarget: { url: "${o.dav ?? 'https://dav.example/'}" }`,
    'mailboxes: [{ source: alice, targetPassword: env:S }]',
    'directory:',
    `  source: { url: "${o.ldap ?? 'ldaps://dc.example'}", bindDn: "cn=x", bindPassword: env:S, base: "dc=x", kind: ad }`,
    '  target: { url: "ldaps://ldap.example", bindDn: "cn=y", bindPassword: env:S, base: "dc=y" }',
    '',
  ].join('\n');
}

test('the same config without credentials in its URLs is valid', () => {
  expect(errors(validateConfigText(config({}), { baseDir: dir, env: { S: 'x' } }).issues)).toEqual([]);
});

test.each([
  ['source.url', { ews: `https://svc:${PW}@mail.example/EWS/Exchange.asmx` }],
  ['source.auth.tokenUrl', { tokenUrl: `https://app:${PW}@login.example/token` }],
  ['groupwareTarget.url', { dav: `https://ann:${PW}@dav.example/remote.php/dav/` }],
  ['directory.source.url', { ldap: `ldaps://svc:${PW}@dc.example` }],
])('%s with user:password@ is refused at its path, the password not echoed', (at, o) => {
  const found = errors(validateConfigText(config(o), { baseDir: dir, env: { S: 'x' } }).issues);
  expect(found.map((i) => i.path)).toEqual([at]);
  expect(found[0]?.message).toMatch(/^the URL contains a user name and password before "@": it is not used to log in/);
  expect(JSON.stringify(found)).not.toContain(PW);
});

test('a user name alone is refused too; no URL at all is left to the other checks', () => {
  expect(urlCredentialsProblem('https://ann@dav.example/')).toMatch(/^the URL contains a user name before "@"/);
  expect(urlCredentialsProblem('https://dav.example/')).toBeUndefined();
  expect(urlCredentialsProblem('not a url')).toBeUndefined();
});
