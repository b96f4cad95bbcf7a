import { readFileSync } from 'node:fs';
import { runInNewContext } from 'node:vm';
import { coerceError, FatalError, reasonOf } from './errors.js';

describe('coerceError', () => {
  test('an Error is returned as it is', () => {
    const e = new FatalError('login refused', 'AUTH');
    expect(coerceError(e)).toBe(e);
  });

  test('an Error of another realm (instanceof Error is false) keeps its message, code and identity', () => {
    const foreign = runInNewContext('Object.assign(new Error("file is not a database"), { code: "SQLITE_NOTADB" })') as unknown;
    expect(foreign instanceof Error).toBe(false);
    expect(coerceError(foreign)).toBe(foreign);
    expect(coerceError(foreign).message).toBe('file is not a database');
    expect(reasonOf(foreign)).toBe('file is not a database');
  });

  test('a Node error thrown through fs keeps its message (under jest it comes from another realm)', () => {
    let thrown: unknown;
    try {
      readFileSync('/nonexistent/ums-coerce-error');
    } catch (err) {
      thrown = err;
    }
    expect(coerceError(thrown)).toBe(thrown);
    expect(coerceError(thrown).message).toMatch(/^ENOENT: no such file or directory/);
  });

  test('anything else thrown is wrapped: a string as the message, other values as JSON', () => {
    const s = coerceError('socket closed');
    expect(s).toBeInstanceOf(Error);
    expect(s.message).toBe('socket closed');
    expect(coerceError({ code: 'X' }).message).toBe('{"code":"X"}');
    expect(coerceError({ message: 42 }).message).toBe('{"message":42}');
    expect(coerceError(null).message).toBe('null');
  });
});
