import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { forgetSecretsForTests, scrubSecrets } from '../util/scrub.js';
import { createSecretResolver, isSecretRef, parseSecretRef, resolveSecret, SecretError, secretRefProblem } from './secrets.js';

describe('secret references', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'ums-secrets-'));
  writeFileSync(path.join(dir, 'pw'), 's3cret\n\n');
  writeFileSync(path.join(dir, 'crlf'), 'abc\r\n');
  writeFileSync(path.join(dir, 'empty'), '\n');

  test('isSecretRef accepts env:NAME and file:PATH only', () => {
    expect(isSecretRef('env:ALICE_PW')).toBe(true);
    expect(isSecretRef('file:/run/secrets/alice')).toBe(true);
    expect(isSecretRef('file:pw')).toBe(true);
    expect(isSecretRef('hunter2')).toBe(false);
    expect(isSecretRef('env:')).toBe(false);
    expect(isSecretRef('env:1BAD')).toBe(false);
    expect(isSecretRef('file:')).toBe(false);
    expect(isSecretRef(42)).toBe(false);
  });

  test('problems never echo an inline value', () => {
    expect(secretRefProblem('hunter2')).toBe('inline secrets are not allowed; use env:NAME or file:/path');
    expect(secretRefProblem('env:')).toBe('env: reference without a variable name');
    expect(secretRefProblem('env:A')).toBeUndefined();
    expect(parseSecretRef('file:/x/y')).toEqual({ kind: 'file', path: '/x/y' });
    expect(parseSecretRef('env:X')).toEqual({ kind: 'env', name: 'X' });
  });

  test('env refs read the given environment', () => {
    expect(resolveSecret('env:ALICE_PW', { baseDir: dir, env: { ALICE_PW: 'pw1' } })).toBe('pw1');
    expect(() => resolveSecret('env:ALICE_PW', { baseDir: dir, env: {} })).toThrow(new SecretError('env var ALICE_PW is not set'));
    expect(() => resolveSecret('env:ALICE_PW', { baseDir: dir, env: { ALICE_PW: '' } })).toThrow('env var ALICE_PW is empty');
  });

  test('file refs: relative to baseDir, exactly one trailing newline removed', () => {
    expect(resolveSecret('file:pw', { baseDir: dir })).toBe('s3cret\n');
    expect(resolveSecret(`file:${path.join(dir, 'crlf')}`, { baseDir: '/' })).toBe('abc');
    const missing = path.join(dir, 'nope');
    expect(() => resolveSecret('file:nope', { baseDir: dir })).toThrow(`cannot read secret file ${missing}: ENOENT`);
    expect(() => resolveSecret('file:empty', { baseDir: dir })).toThrow(/secret file .*empty is empty/);
  });

  test('inline values are rejected without being echoed', () => {
    let message = '';
    try {
      resolveSecret('hunter2', { baseDir: dir });
    } catch (err) {
      message = (err as Error).message;
    }
    expect(message).toBe('inline secrets are not allowed; use env:NAME or file:/path');
    expect(message).not.toContain('hunter2');
  });

  test('every resolved value is registered with the scrubber (env and file refs, the password inside a URL)', () => {
    forgetSecretsForTests();
    writeFileSync(path.join(dir, 'url'), 'postgres://ums:Pg%23Pass@db/ums\n');
    resolveSecret('env:MASTER', { baseDir: dir, env: { MASTER: 'master-pw-1' } });
    resolveSecret('file:url', { baseDir: dir });
    expect(scrubSecrets('NO login master-pw-1; url postgres://ums:Pg%23Pass@db/ums; auth failed for Pg#Pass'))
      .toBe('NO login [redacted]; url [redacted]; auth failed for [redacted]');
    forgetSecretsForTests();
  });

  test('createSecretResolver binds baseDir and env', () => {
    const resolve = createSecretResolver({ baseDir: dir, env: { X: 'y' } });
    expect(resolve('env:X')).toBe('y');
    expect(resolve('file:pw')).toBe('s3cret\n');
  });
});
