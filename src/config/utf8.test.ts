/**
 * Bytes that are not UTF-8 in migration.yaml or the user-map CSV are an error at their line and
 * column (issue 13 item 13), never a U+FFFD inside a login.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ConfigError, loadConfig, validateConfigText } from './load.js';
import { decodeUtf8, firstInvalidByte } from './utf8.js';

const dir = mkdtempSync(path.join(tmpdir(), 'ums-utf8-'));
const bytes = (...parts: (string | number[])[]) => Buffer.concat(parts.map((p) => (typeof p === 'string' ? Buffer.from(p, 'utf8') : Buffer.from(p))));
const BOM = [0xef, 0xbb, 0xbf];

describe('firstInvalidByte / decodeUtf8', () => {
  test.each([
    ['ASCII and every sequence length', bytes('a', 'é€😀'), 10],
    ['Latin-1 é before ASCII', bytes('ab', [0xe9], 'x'), 2],
    ['lone continuation byte', bytes('a', [0x80]), 1],
    ['overlong 2-byte form of "/"', bytes([0xc0, 0xaf]), 0],
    ['overlong 3-byte form', bytes([0xe0, 0x80, 0xaf]), 0],
    ['UTF-16 surrogate', bytes('ok', [0xed, 0xa0, 0x80]), 2],
    ['above U+10FFFF', bytes([0xf4, 0x90, 0x80, 0x80]), 0],
    ['truncated at the end', bytes('abc', [0xe2, 0x82]), 3],
    ['0xFF', bytes('abc', [0xff]), 3],
  ])('%s', (_, b, offset) => {
    expect(firstInvalidByte(b)).toBe(offset);
    const r = decodeUtf8(b);
    expect(r.ok).toBe(offset === b.length);
  });

  test('line and column count characters, not bytes; a BOM is dropped and not counted', () => {
    expect(decodeUtf8(bytes(BOM, 'a: ü\nlogin: Jürgen', [0xe9], 'x\n'))).toEqual({ ok: false, line: 2, column: 14, byte: 0xe9, offset: 23 });
    expect(decodeUtf8(bytes(BOM, [0xe9]))).toMatchObject({ line: 1, column: 1 });
    expect(decodeUtf8(bytes(BOM, 'ä: ö\n'))).toEqual({ ok: true, text: 'ä: ö\n' });
  });
});

const yaml = (login: (string | number[])[]) => bytes(`version: 1
source: { type: imap, host: imap.old.example, auth: { mode: master, masterUser: admin, masterPassword: env:MASTER } }
target: { host: imap.ums.example, auth: { mode: master, masterUser: admin, masterPassword: env:MASTER } }
mailboxes:
  - source: `, ...login, '\n');

describe('migration.yaml', () => {
  test('a Latin-1 byte is an error at its line and column, before any parsing', () => {
    const r = validateConfigText(yaml(['j', [0xfc], 'rgen@old.example']), { baseDir: dir, env: { MASTER: 'm' } });
    expect(r.config).toBeUndefined();
    expect(r.issues).toEqual([{ path: '', line: 5, column: 14, severity: 'error', message: expect.stringMatching(/^not UTF-8 \(byte 0xFC starts no valid UTF-8 sequence\); save the file as UTF-8/) }]);
  });

  test('UTF-8 with a BOM is fine', () => {
    const r = validateConfigText(Buffer.concat([Buffer.from(BOM), yaml(['jürgen@old.example'])]), { baseDir: dir, env: { MASTER: 'm' } });
    expect(r.issues).toEqual([]);
    expect(r.mailboxes?.map((m) => m.source)).toEqual(['jürgen@old.example']);
  });

  test('loadConfig reads the file as bytes: ConfigError with file, line and column', async () => {
    const file = path.join(dir, 'latin1.yaml');
    writeFileSync(file, yaml(['j', [0xfc], 'rgen@old.example']));
    const err = await loadConfig(file, { env: { MASTER: 'm' } }).then(() => undefined, (e: unknown) => e);
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as Error).message).toMatch(new RegExp(`^${file}: 1 error\n${file}:5:14 error not UTF-8 \\(byte 0xFC`));
  });
});

describe('user-map CSV', () => {
  const withCsv = (csv: Buffer) => {
    const file = path.join(dir, `users-${Math.random().toString(36).slice(2)}.csv`);
    writeFileSync(file, csv);
    return validateConfigText(`version: 1
source: { type: imap, host: imap.old.example, auth: { mode: master, masterUser: admin, masterPassword: env:MASTER } }
target: { host: imap.ums.example, auth: { mode: master, masterUser: admin, masterPassword: env:MASTER } }
userMap: ${path.basename(file)}
`, { baseDir: dir, env: { MASTER: 'm' } });
  };

  test('a Windows-1252 login is an error naming the CSV file, line and column, not a login with U+FFFD', () => {
    const r = withCsv(bytes('source,target\r\nalice@old.example,alice@ums.example\r\nj', [0xfc], 'rgen@old.example,juergen@ums.example\r\n'));
    expect(r.mailboxes).toBeUndefined();
    expect(r.issues.map((i) => `${i.path}: ${i.message}`)).toEqual([
      expect.stringMatching(/^userMap: users-\w+\.csv:3:2: not UTF-8 \(byte 0xFC starts no valid UTF-8 sequence\); save the file as UTF-8 .*CSV UTF-8/),
    ]);
  });

  test('UTF-8 with a BOM (Excel\'s "CSV UTF-8") is fine', () => {
    const r = withCsv(bytes(BOM, 'source,target\r\njürgen@old.example,juergen@ums.example\r\n'));
    expect(r.issues).toEqual([]);
    expect(r.mailboxes?.map((m) => m.source)).toEqual(['jürgen@old.example']);
  });
});
