import { ERROR_CODES, passedOn } from './error-codes.js';
import { FatalError, ItemError, TransientError } from './errors.js';

describe('error catalogue', () => {
  test('codes passed on from another party keep their value when they have a known shape', () => {
    expect(passedOn('ECONNRESET', 'NETWORK')).toBe('ECONNRESET');
    expect(passedOn('HTTP_503', 'NETWORK')).toBe('HTTP_503');
    expect(passedOn('ErrorServerBusy', 'EWS_ERROR')).toBe('ErrorServerBusy');
    expect(passedOn('IMAP_UNAVAILABLE', 'TRANSIENT')).toBe('IMAP_UNAVAILABLE');
  });

  test('anything else falls back to the catalogue code given (never a free string)', () => {
    expect(passedOn(undefined, 'NETWORK')).toBe('NETWORK');
    expect(passedOn('NoConnection', 'NETWORK')).toBe('NETWORK');
    expect(passedOn('no answer', 'EWS_ERROR')).toBe('EWS_ERROR');
    expect(passedOn('UND_ERR_SOCKET', 'NETWORK')).toBe('NETWORK');
  });

  test('every class default is in the catalogue, with a meaning', () => {
    for (const e of [new TransientError('x'), new ItemError('x'), new FatalError('x')]) {
      expect(ERROR_CODES[e.code as keyof typeof ERROR_CODES]).toMatch(/\w{4}/);
    }
  });
});
