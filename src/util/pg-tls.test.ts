/** The TLS policy for PostgreSQL URLs (pg-tls.ts), as node-postgres will read the result. */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parse } from 'pg-connection-string'; // what node-postgres itself parses URLs with (its dependency)
import { describePgTransport, describePostgresUrl, PgTlsError, securePgUrl, withTlsDefault } from './pg-tls.js';

const dir = mkdtempSync(path.join(tmpdir(), 'ums-pg-tls-'));
const ca = path.join(dir, 'ca.pem');
writeFileSync(ca, '-----BEGIN CERTIFICATE-----\nnot parsed here\n-----END CERTIFICATE-----\n');
const PW = 'pw-s3cr3t';
const base = `postgres://ums:${PW}@db.example:5433/state`;

/** What node-postgres makes of a URL: its ssl option (false: plaintext). */
function sslOf(url: string): unknown {
  const c = parse(url.replace(/([?&])sslrootcert=[^&]*/, '$1')); // the CA file's content is not the point here
  return c.ssl;
}

function refused(url: string, opts: Parameters<typeof securePgUrl>[1] = {}): PgTlsError {
  try {
    securePgUrl(url, opts);
  } catch (err) {
    expect(err).toBeInstanceOf(PgTlsError);
    const e = err as PgTlsError;
    expect(e.message).not.toContain(PW);
    expect(e.message).not.toContain('db.example');
    return e;
  }
  throw new Error(`accepted: ${url}`);
}

describe('securePgUrl', () => {
  test('no sslmode: verify-full, against Node\'s CAs or state.caFile (as sslrootcert); user, password and database kept', () => {
    const d = securePgUrl(base);
    expect(new URL(d.url).searchParams.get('sslmode')).toBe('verify-full');
    expect(d.transport).toEqual({ kind: 'tls', verified: true, ca: { from: 'builtin' } });
    expect(sslOf(d.url)).toEqual({});
    const c = securePgUrl(base, { caFile: ca });
    expect(c.transport).toEqual({ kind: 'tls', verified: true, ca: { from: 'caFile', file: ca } });
    const parsed = parse(c.url);
    expect(parsed).toMatchObject({ user: 'ums', password: PW, host: 'db.example', port: '5433', database: 'state' });
    expect(parsed.ssl).toMatchObject({ ca: expect.stringContaining('not parsed here') });
    expect(describePgTransport(c.transport)).toBe(`TLS, the server's certificate and name verified against state.caFile ${ca}`);
  });

  test.each(['require', 'verify-ca', 'prefer', 'verify-full', 'VERIFY-FULL'])('sslmode=%s means verify-full (fixed, whatever pg version reads it)', (mode) => {
    const d = securePgUrl(`${base}?sslmode=${mode}&application_name=x`);
    expect(new URL(d.url).searchParams.get('sslmode')).toBe('verify-full');
    expect(new URL(d.url).searchParams.get('application_name')).toBe('x');
    expect(d.transport).toMatchObject({ kind: 'tls', verified: true });
  });

  test.each([['sslmode=disable'], ['sslmode=allow'], ['ssl=false'], ['ssl=0']])('%s (plaintext) only with allowInsecure', (param) => {
    const e = refused(`${base}?${param}`);
    expect(e.field).toBe('url');
    expect(e.message).toMatch(/^state\.url: .*plaintext.*allowInsecure: true/);
    const d = securePgUrl(`${base}?${param}`, { allowInsecure: true });
    expect(d.transport).toEqual({ kind: 'plaintext' });
    expect(sslOf(d.url)).toBe(false);
  });

  test('sslmode=no-verify (any certificate) only with allowInsecure', () => {
    expect(refused(`${base}?sslmode=no-verify`).message).toMatch(/accepts any certificate.*state\.caFile.*allowInsecure: true/);
    const d = securePgUrl(`${base}?sslmode=no-verify`, { allowInsecure: true });
    expect(d.transport).toEqual({ kind: 'tls', verified: false });
    expect(sslOf(d.url)).toEqual({ rejectUnauthorized: false });
  });

  test('allowInsecure alone does not weaken the default', () => {
    expect(securePgUrl(base, { allowInsecure: true }).transport).toMatchObject({ kind: 'tls', verified: true });
  });

  test('uselibpqcompat is dropped: sslmode=require stays verified', () => {
    const d = securePgUrl(`${base}?uselibpqcompat=true&sslmode=require`);
    expect(new URL(d.url).searchParams.has('uselibpqcompat')).toBe(false);
    expect(sslOf(d.url)).toEqual({});
  });

  test('CA problems name state.caFile; unknown modes and non-URLs are refused without echoing the URL', () => {
    expect(refused(`${base}?sslrootcert=${encodeURIComponent(ca)}`, { caFile: ca })).toMatchObject({ field: 'caFile' });
    expect(refused(base, { caFile: path.join(dir, 'missing.pem') }).message).toBe(`state.caFile: cannot read CA file ${path.join(dir, 'missing.pem')}: ENOENT`);
    expect(refused(`${base}?sslmode=maybe`).message).toMatch(/unknown sslmode "maybe"/);
    expect(refused(`mysql://ums:${PW}@db.example/state`).message).toMatch(/^state\.url: not a postgres:\/\/ or postgresql:\/\/ URL/);
    expect(refused(`ums:${PW} at db.example`).message).not.toContain('ums');
    expect(refused(`ums ${PW} db.example`).message).toBe('state.url: not a URL: expected postgres://user:password@host:5432/database');
    const fromUrl = securePgUrl(`${base}?sslrootcert=${encodeURIComponent(ca)}`);
    expect(fromUrl.transport).toEqual({ kind: 'tls', verified: true, ca: { from: 'sslrootcert', file: ca } });
  });

  test('a Unix socket is local: no TLS, allowed', () => {
    for (const url of [`postgres://ums:${PW}@/state?host=/run/postgresql`, '/run/postgresql state', 'socket:/run/postgresql?db=state']) {
      const d = securePgUrl(url);
      expect(d.transport).toEqual({ kind: 'unix-socket' });
      expect(sslOf(d.url) ?? false).toBe(false);
    }
    expect(securePgUrl(`postgres://ums:${PW}@/state?host=/run/postgresql`).url).toBe(`postgres://ums:${PW}@/state?host=%2Frun%2Fpostgresql&sslmode=disable`);
  });

  test('a parameter given twice is refused: node-postgres reads the last one, so host=/socket&host=db.example was plaintext to db.example', () => {
    for (const q of ['host=/run/postgresql&host=db.example', 'host=%2Frun%2Fpostgresql&host=evil.example', 'sslrootcert=/a&sslrootcert=/b', 'ssl=true&ssl=false']) {
      const e = refused(`${base}?${q}`, { allowInsecure: false });
      expect(e.message).toMatch(/^state\.url: the parameter "(host|sslrootcert|ssl)" appears more than once .*keep one$/);
    }
    // Refused whatever allowInsecure says: the two readings differ in where the password goes.
    expect(refused(`${base}?host=/run/postgresql&host=db.example`, { allowInsecure: true }).field).toBe('url');
  });

  test('sslrootcert=system (libpq): Node\'s built-in CAs, not a file named "system"', () => {
    const d = securePgUrl(`${base}?sslrootcert=system`);
    expect(d.transport).toEqual({ kind: 'tls', verified: true, ca: { from: 'builtin' } });
    expect(new URL(d.url).searchParams.has('sslrootcert')).toBe(false);
    expect(sslOf(d.url)).toEqual({});
  });

  test('describePostgresUrl names the host and port node-postgres connects to (?host=, ?port= win), never the password', () => {
    expect(describePostgresUrl(base)).toBe('postgres://ums@db.example:5433/state');
    expect(describePostgresUrl(`${base}?host=other.example&port=6000`)).toBe('postgres://ums@other.example:6000/state');
    expect(describePostgresUrl(`postgres://ums:${PW}@/state?host=/run/postgresql`)).toBe('postgres://ums@[socket /run/postgresql]/state');
    for (const u of [`${base}?host=other.example`, `postgres://ums:${PW}@/state?host=/run/postgresql`]) expect(describePostgresUrl(u)).not.toContain(PW);
  });

  test('withTlsDefault: TLS where the URL says nothing, explicit modes kept, idempotent', () => {
    const d = withTlsDefault(base);
    expect(new URL(d).searchParams.get('sslmode')).toBe('verify-full');
    expect(withTlsDefault(d)).toBe(d);
    expect(new URL(withTlsDefault(`${base}?sslmode=disable`)).searchParams.get('sslmode')).toBe('disable');
  });
});
