import type { Checkpoint } from '../state/store.js';
import { coversScope, readCheckpoint, readFlagSeq, readScope, storedCheckpoint, storedFlagSeq, storedScope, type ContainerCheckpoint } from './checkpoint-codec.js';

const scope = 'before=;since=;max=100;deletions=ignore';
const stored = (over: Partial<Checkpoint> = {}): Checkpoint => ({ epoch: '7', cursor: '42', scope, token: 'tok', targetRef: 'INBOX', ...over });

describe('checkpoint codec: the strings stored by earlier versions', () => {
  test('a plain scope is normal mode; a "verify;" prefix is verify mode, stripped once', () => {
    expect(readScope(scope)).toEqual({ scope, mode: 'normal' });
    expect(readScope(`verify;${scope}`)).toEqual({ scope, mode: 'verify' });
    expect(readScope('verify;')).toEqual({ scope: '', mode: 'verify' });
    expect(readScope('verify;verify;x')).toEqual({ scope: 'verify;x', mode: 'verify' });
    expect(readScope('')).toEqual({ scope: '', mode: 'normal' });
    expect(readScope('Verify;x')).toEqual({ scope: 'Verify;x', mode: 'normal' });
  });

  test('a "first:" prefix marks the first pass\'s change sequence; null stays null (no CONDSTORE, or never complete)', () => {
    expect(readFlagSeq('first:1234')).toEqual({ seq: '1234', firstPass: true });
    expect(readFlagSeq('1234')).toEqual({ seq: '1234', firstPass: false });
    expect(readFlagSeq('first:')).toEqual({ seq: '', firstPass: true });
    expect(readFlagSeq(null)).toBeNull();
    expect(readFlagSeq(undefined)).toBeNull();
  });

  test('an opened checkpoint: every field typed, the flag sequence with it', () => {
    expect(readCheckpoint(stored({ scope: `verify;${scope}`, cursor: null, token: null, flagSeq: 'first:9' }))).toEqual({
      epoch: '7', cursor: null, scope, mode: 'verify', token: null, targetRef: 'INBOX', flagSeq: { seq: '9', firstPass: true },
    });
    expect(readCheckpoint(stored())).toEqual({ epoch: '7', cursor: '42', scope, mode: 'normal', token: 'tok', targetRef: 'INBOX', flagSeq: null });
  });
});

describe('checkpoint codec: what is written is what earlier versions wrote', () => {
  test('scope: verify mode gets the prefix, normal mode none', () => {
    expect(storedScope(scope, 'verify')).toBe(`verify;${scope}`);
    expect(storedScope(scope, 'normal')).toBe(scope);
  });

  test('checkpoint: the five stored fields (the flag sequence is stored apart, by setFlagSeq)', () => {
    const cp: ContainerCheckpoint = { epoch: '7', cursor: '42', scope, mode: 'verify', token: null, targetRef: 'INBOX' };
    expect(storedCheckpoint(cp)).toEqual({ epoch: '7', cursor: '42', scope: `verify;${scope}`, token: null, targetRef: 'INBOX' });
    expect(storedCheckpoint(readCheckpoint(stored({ flagSeq: '5' })))).toEqual(stored());
  });

  test('flag sequence: the first pass\'s marked, a later one plain', () => {
    expect(storedFlagSeq({ seq: '1234', firstPass: true })).toBe('first:1234');
    expect(storedFlagSeq({ seq: '1234', firstPass: false })).toBe('1234');
    expect(storedFlagSeq(null)).toBeNull();
  });

  test('every stored string reads back and is written again unchanged', () => {
    const strings = ['', 'x', scope, `verify;${scope}`, 'verify;', 'verify;verify;x', 'first:', 'first:1', 'first:first:1', '99', 'verify', 'first'];
    for (const s of strings) {
      const r = readScope(s);
      expect(storedScope(r.scope, r.mode)).toBe(s);
      expect(storedFlagSeq(readFlagSeq(s))).toBe(s);
      expect(storedCheckpoint(readCheckpoint(stored({ scope: s })))).toEqual(stored({ scope: s }));
    }
  });
});

describe('coversScope: a stored scope covers a pass of the same scope in normal mode only', () => {
  test.each([
    [scope, true],
    [`verify;${scope}`, false],
    ['before=;since=;max=5;deletions=ignore', false],
    [null, false],
    [undefined, false],
  ] as const)('%s → %s', (stored, expected) => {
    expect(coversScope(stored, scope)).toBe(expected);
  });
});
