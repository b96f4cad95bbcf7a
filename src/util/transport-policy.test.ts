import { FatalError } from './errors.js';
import { assertTransportAllowed, httpPlaintext, IMAP_PLAINTEXT, ldapPlaintext, transportProblems } from './transport-policy.js';

describe('transport policy: plaintext or unverified TLS only with allowInsecure: true', () => {
  test('TLS with verification (also when tlsVerify is left out) has no problem', () => {
    expect(transportProblems({ tlsVerify: true, allowInsecure: false })).toEqual([]);
    expect(transportProblems({})).toEqual([]);
  });

  test('plaintext is refused with what travels in clear and the secure alternative', () => {
    expect(transportProblems({ plaintext: IMAP_PLAINTEXT, tlsVerify: true, allowInsecure: false })).toEqual([
      { field: 'plaintext', message: 'tls: none sends passwords in plaintext; use tls: implicit or starttls, or set allowInsecure: true to permit it' },
    ]);
    expect(transportProblems({ plaintext: httpPlaintext('the client secret') })).toEqual([
      { field: 'plaintext', message: 'http:// sends the client secret in plaintext; use https://, or set allowInsecure: true to permit it' },
    ]);
    expect(transportProblems({ plaintext: ldapPlaintext('ldap://dc1.example') })[0]?.message)
      .toBe('ldap://dc1.example without startTls sends the bind password in plaintext; use ldaps:// or startTls: true, or set allowInsecure: true to permit it');
  });

  test('tlsVerify: false is refused; both problems are reported together', () => {
    expect(transportProblems({ tlsVerify: false })).toEqual([
      { field: 'tlsVerify', message: 'tlsVerify: false disables certificate checks; set allowInsecure: true to permit it' },
    ]);
    expect(transportProblems({ plaintext: IMAP_PLAINTEXT, tlsVerify: false }).map((p) => p.field)).toEqual(['plaintext', 'tlsVerify']);
  });

  test('only allowInsecure: true opts in (a raw document may hold a string)', () => {
    expect(transportProblems({ plaintext: IMAP_PLAINTEXT, tlsVerify: false, allowInsecure: true })).toEqual([]);
    expect(transportProblems({ plaintext: IMAP_PLAINTEXT, allowInsecure: 'yes' })).toHaveLength(1);
    expect(transportProblems({ tlsVerify: false, allowInsecure: 1 })).toHaveLength(1);
  });

  test('assertTransportAllowed throws the first problem as a FatalError INSECURE, prefixed with where', () => {
    let thrown: unknown;
    try {
      assertTransportAllowed({ plaintext: httpPlaintext('passwords'), tlsVerify: false }, 'groupware target dav.example');
    } catch (err) {
      thrown = err;
    }
    expect(thrown).toBeInstanceOf(FatalError);
    expect(thrown).toMatchObject({ code: 'INSECURE', message: 'groupware target dav.example: http:// sends passwords in plaintext; use https://, or set allowInsecure: true to permit it' });
    expect(() => assertTransportAllowed({ tlsVerify: false }, 'source h:993')).toThrow('source h:993: tlsVerify: false disables certificate checks');
    expect(() => assertTransportAllowed({ plaintext: IMAP_PLAINTEXT, tlsVerify: false, allowInsecure: true }, 'x')).not.toThrow();
  });
});
