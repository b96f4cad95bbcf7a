import { createHash } from 'node:crypto';
import { contentHash, normaliseForHash } from './content-hash.js';

const b = (s: string): Buffer => Buffer.from(s, 'latin1');
const sha = (s: string): string => createHash('sha256').update(b(s)).digest('hex');

describe('normaliseForHash', () => {
  test.each([
    ['', '\r\n'],
    ['a', 'a\r\n'],
    ['a\r\n', 'a\r\n'],
    ['a\n', 'a\r\n'],
    ['a\r', 'a\r\n'],
    ['\n', '\r\n'],
    ['\r', '\r\n'],
    ['\r\n', '\r\n'],
    ['a\nb\nc', 'a\r\nb\r\nc\r\n'],
    ['a\rb\rc\r', 'a\r\nb\r\nc\r\n'],
    ['a\r\nb\nc\rd', 'a\r\nb\r\nc\r\nd\r\n'],
    ['\n\n', '\r\n\r\n'],
    ['\r\r', '\r\n\r\n'],
    ['\n\r', '\r\n\r\n'],
    ['\r\r\n', '\r\n\r\n'],
    ['\r\n\n', '\r\n\r\n'],
    ['a\r\n\r\n', 'a\r\n\r\n'],
    ['Subject: x\n\nbody\n', 'Subject: x\r\n\r\nbody\r\n'],
    ['x\r\n\ty\r\n', 'x\r\n\ty\r\n'],
  ])('%j → %j', (input, expected) => {
    expect(normaliseForHash(b(input)).toString('latin1')).toBe(expected);
  });

  test('keeps 8-bit and NUL bytes as they are', () => {
    const input = Buffer.from([0x00, 0xff, 0x0a, 0x80, 0x0d]);
    expect([...normaliseForHash(input)]).toEqual([0x00, 0xff, 0x0d, 0x0a, 0x80, 0x0d, 0x0a]);
  });

  test('returns the same buffer (no copy) when already canonical', () => {
    const input = b('From: a\r\n\r\nhello\r\n');
    expect(normaliseForHash(input)).toBe(input);
  });

  test('does not modify its input', () => {
    const input = b('a\nb');
    normaliseForHash(input);
    expect(input.toString('latin1')).toBe('a\nb');
  });

  test('is idempotent', () => {
    for (const s of ['', 'a\rb\n\r\nc', '\n\r\r\n\n', 'x']) {
      const once = normaliseForHash(b(s));
      expect(normaliseForHash(once)).toBe(once);
    }
  });

  test('matches a reference implementation on sparse, dense and mixed line breaks', () => {
    const reference = (x: string): string => {
      const y = x.replace(/\r\n|\r|\n/g, '\r\n');
      return y.endsWith('\r\n') ? y : y + '\r\n';
    };
    // Deterministic pseudo-random text; `p` is the chance of a line-break character.
    let seed = 42;
    const rnd = (): number => ((seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32);
    const text = (n: number, p: number): string => {
      let t = '';
      for (let i = 0; i < n; i++) {
        const r = rnd();
        t += r < p / 2 ? '\r' : r < p ? '\n' : r < p + p / 4 ? '\r\n' : 'x';
      }
      return t;
    };
    const cases = [
      text(50_000, 0.01),
      text(50_000, 0.9),
      text(30_000, 0.01) + text(30_000, 0.9),
      text(30_000, 0.9) + text(30_000, 0.01),
      '\r'.repeat(20_000) + '\n'.repeat(20_000),
      '\r\n'.repeat(20_000) + '\r',
      text(2_000, 0.02) + '\r\n'.repeat(20_000) + 'end',
    ];
    for (const c of cases) expect(normaliseForHash(b(c)).toString('latin1')).toBe(reference(c));
  });

  test('works on a view into a larger buffer', () => {
    const big = b('XXa\nbYY');
    expect(normaliseForHash(big.subarray(2, 5)).toString('latin1')).toBe('a\r\nb\r\n');
  });
});

describe('contentHash', () => {
  test('is the sha256 hex of the normalised bytes', () => {
    expect(contentHash(b('a\r\n'))).toBe('8e4621379786ef42a4fec155cd525c291dd7db3c1fde3478522f4f61c03fd1bd');
    expect(contentHash(b('a\n'))).toBe('8e4621379786ef42a4fec155cd525c291dd7db3c1fde3478522f4f61c03fd1bd');
    expect(contentHash(b('a'))).toBe('8e4621379786ef42a4fec155cd525c291dd7db3c1fde3478522f4f61c03fd1bd');
    expect(contentHash(b(''))).toBe('7eb70257593da06f682a3ddda54a9d260d4fc514f645237f5ca74b08f8da61a6');
    expect(contentHash(b(''))).toBe(sha('\r\n'));
  });

  test('equal after the target turns LF into CRLF and adds a final CRLF', () => {
    const source = b('From: a@example.org\nSubject: hi\n\nbody line 1\nbody line 2');
    const stored = b('From: a@example.org\r\nSubject: hi\r\n\r\nbody line 1\r\nbody line 2\r\n');
    expect(contentHash(source)).toBe(contentHash(stored));
    expect(contentHash(source)).toBe(sha('From: a@example.org\r\nSubject: hi\r\n\r\nbody line 1\r\nbody line 2\r\n'));
  });

  test('different content gives a different hash', () => {
    expect(contentHash(b('a\r\n'))).not.toBe(contentHash(b('b\r\n')));
    expect(contentHash(b('a\r\n'))).not.toBe(contentHash(b('a\r\n\r\n')));
    expect(contentHash(b('a b'))).not.toBe(contentHash(b('a  b')));
  });

  test('handles a 50 MB message in linear time', () => {
    const line = 'QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVphYmNkZWZnaGlqa2xtbm9wcXJzdHV2d3h5ejAxMjM0NTY3\n';
    const lf = Buffer.from(line.repeat(Math.ceil((50 * 1024 * 1024) / line.length)), 'latin1');
    const crlf = Buffer.from(line.replace('\n', '\r\n').repeat(Math.ceil((50 * 1024 * 1024) / line.length)), 'latin1');
    const t0 = performance.now();
    const h1 = contentHash(lf);
    const h2 = contentHash(crlf);
    const elapsed = performance.now() - t0;
    expect(h1).toBe(h2);
    expect(normaliseForHash(lf).length).toBe(crlf.length);
    expect(elapsed).toBeLessThan(5000);
  });

  test('a 16 MB run of bare LFs stays linear', () => {
    const input = Buffer.alloc(16 * 1024 * 1024, 0x0a);
    const t0 = performance.now();
    const out = normaliseForHash(input);
    expect(performance.now() - t0).toBeLessThan(5000);
    expect(out.length).toBe(32 * 1024 * 1024);
    expect(out.subarray(0, 4).toString('latin1')).toBe('\r\n\r\n');
  });
});
