import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { checkExposure, parseListen } from './listen.js';
import { dashboardToken, MIN_TOKEN_LENGTH, tokenMatches } from './token.js';

describe('--listen', () => {
  test('HOST:PORT, [IPv6]:PORT, localhost; loopback or not', () => {
    expect(parseListen('127.0.0.1:8765')).toEqual({ host: '127.0.0.1', port: 8765, loopback: true });
    expect(parseListen('127.1.2.3:0')).toEqual({ host: '127.1.2.3', port: 0, loopback: true });
    expect(parseListen('[::1]:9000')).toEqual({ host: '::1', port: 9000, loopback: true });
    expect(parseListen('localhost:80')).toEqual({ host: '127.0.0.1', port: 80, loopback: true });
    expect(parseListen('0.0.0.0:8765')).toEqual({ host: '0.0.0.0', port: 8765, loopback: false });
    expect(parseListen('[::]:8765')).toEqual({ host: '::', port: 8765, loopback: false });
    expect(parseListen('192.168.1.5:8765').loopback).toBe(false);
  });

  test('bad values name what is wrong', () => {
    expect(() => parseListen('8765')).toThrow('--listen "8765": expected HOST:PORT, e.g. 127.0.0.1:8765 or [::1]:8765');
    expect(() => parseListen('127.0.0.1:70000')).toThrow('port 70000 is above 65535');
    expect(() => parseListen('dashboard.example:80')).toThrow('"dashboard.example" is not an IP address (or localhost)');
  });

  test('a non-loopback address needs --allow-remote', () => {
    expect(() => checkExposure(parseListen('0.0.0.0:8765'), false)).toThrow('--listen 0.0.0.0:8765 is not a loopback address: the dashboard shows every mailbox login; add --allow-remote');
    expect(() => checkExposure(parseListen('0.0.0.0:8765'), true)).not.toThrow();
    expect(() => checkExposure(parseListen('127.0.0.1:8765'), false)).not.toThrow();
  });
});

describe('token', () => {
  test('random by default: long, URL-safe, different each time', () => {
    const a = dashboardToken({ env: {} });
    const b = dashboardToken({ env: {} });
    expect(a.source).toBe('random');
    expect(a.token).toMatch(/^[A-Za-z0-9_-]{32}$/);
    expect(a.token).not.toBe(b.token);
  });

  test('from a file (first line) or the environment; too short or with spaces refused', () => {
    const dir = mkdtempSync(join(tmpdir(), 'ums-dash-token-'));
    writeFileSync(join(dir, 't'), 'abcdefghijklmnopqrstuvwx\nsecond line\n');
    expect(dashboardToken({ tokenFile: join(dir, 't'), env: {} })).toEqual({ token: 'abcdefghijklmnopqrstuvwx', source: join(dir, 't') });
    expect(dashboardToken({ env: { UMS_DASHBOARD_TOKEN: 'zyxwvutsrqponmlkjihg' } })).toEqual({ token: 'zyxwvutsrqponmlkjihg', source: 'UMS_DASHBOARD_TOKEN' });
    writeFileSync(join(dir, 'short'), 'abc\n');
    expect(() => dashboardToken({ tokenFile: join(dir, 'short'), env: {} })).toThrow(`--token-file ${join(dir, 'short')}: the token has 3 characters; at least ${MIN_TOKEN_LENGTH} are needed`);
    expect(() => dashboardToken({ env: { UMS_DASHBOARD_TOKEN: 'has a space in it, long enough' } })).toThrow('$UMS_DASHBOARD_TOKEN: the token may hold only printable ASCII without spaces');
    expect(() => dashboardToken({ tokenFile: join(dir, 'missing'), env: {} })).toThrow(`--token-file ${join(dir, 'missing')}: cannot read it (ENOENT)`);
  });

  test('tokenMatches: equal only for the same string, any length', () => {
    expect(tokenMatches('abcdefghijklmnopqrstuvwx', 'abcdefghijklmnopqrstuvwx')).toBe(true);
    expect(tokenMatches('abcdefghijklmnopqrstuvwy', 'abcdefghijklmnopqrstuvwx')).toBe(false);
    expect(tokenMatches('abcdefghijklmnopqrstuvw', 'abcdefghijklmnopqrstuvwx')).toBe(false);
    expect(tokenMatches('', 'abcdefghijklmnopqrstuvwx')).toBe(false);
    expect(tokenMatches(undefined, 'abcdefghijklmnopqrstuvwx')).toBe(false);
  });
});
