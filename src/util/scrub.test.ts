import { base64Cores, containsSecret, forgetSecretsForTests, MIN_SECRET_LENGTH, registerSecret, scrubSecrets } from './scrub.js';

afterEach(() => forgetSecretsForTests());

describe('scrubSecrets', () => {
  test('replaces every occurrence of a registered secret, and only registered ones', () => {
    registerSecret('hunter22');
    expect(scrubSecrets('NO bad login pass hunter22, again: hunter22.')).toBe('NO bad login pass [redacted], again: [redacted].');
    expect(scrubSecrets('nothing to see')).toBe('nothing to see');
    expect(containsSecret('xxhunter22xx')).toBe(true);
  });

  test('the IMAP-quoted, JSON-escaped and URL-encoded forms', () => {
    const pw = 'p"a\\ss w&rd/+';
    registerSecret(pw);
    expect(scrubSecrets(`LOGIN "alice" "p\\"a\\\\ss w&rd/+"`)).toBe('LOGIN "alice" "[redacted]"');
    expect(scrubSecrets(JSON.stringify({ msg: `said ${pw}` }))).toBe('{"msg":"said [redacted]"}');
    expect(scrubSecrets(JSON.stringify({ msg: `said "p\\"a\\\\ss w&rd/+"` }))).toBe('{"msg":"said \\"[redacted]\\""}');
    expect(scrubSecrets(`https://x/?pw=${encodeURIComponent(pw)}`)).toBe('https://x/?pw=[redacted]');
    expect(scrubSecrets(`client_secret=${new URLSearchParams({ a: pw }).toString().slice(2)}&x=1`)).toBe('client_secret=[redacted]&x=1');
  });

  test('base64 of AUTHENTICATE PLAIN and HTTP Basic, whatever precedes the password', () => {
    const pw = 'S3cret-Master';
    registerSecret(pw);
    for (const plain of [`\0alice\0${pw}`, `alice\0admin\0${pw}`, `ab\0c\0${pw}`, `admin:${pw}`, `x:${pw}`, pw]) {
      const b64 = Buffer.from(plain).toString('base64');
      const out = scrubSecrets(`NO [AUTHENTICATIONFAILED] ${b64}`);
      expect(out).toContain('[redacted]');
      // What is left cannot be decoded back to the password.
      expect(Buffer.from(out.replace(/^.*\] /, '').replace('[redacted]', ''), 'base64').toString('latin1')).not.toContain(pw);
    }
  });

  test('base64 cores are the secret-only part of the encoding at each alignment', () => {
    const pw = 'abcdef';
    for (const [k, core] of [0, 1, 2].map((k) => [k, base64Cores(pw)[k * 2]] as const)) {
      const enc = Buffer.concat([Buffer.alloc(k, 0x41), Buffer.from(pw), Buffer.from('zz')]).toString('base64');
      expect(enc).toContain(core);
      expect(core!.length).toBeGreaterThanOrEqual(MIN_SECRET_LENGTH);
    }
  });

  test('a URL secret also registers the password inside it, decoded', () => {
    registerSecret('postgres://ums:p%40ss%2Fword@db:5432/ums');
    expect(scrubSecrets('connecting to postgres://ums:p%40ss%2Fword@db:5432/ums failed')).toBe('connecting to [redacted] failed');
    expect(scrubSecrets('password authentication failed: p@ss/word')).toBe('password authentication failed: [redacted]');
    expect(scrubSecrets('sent p%40ss%2Fword')).toBe('sent [redacted]');
  });

  test('secrets shorter than 4 characters are ignored (they would scrub ordinary text)', () => {
    registerSecret('abc');
    registerSecret('');
    registerSecret(undefined);
    expect(scrubSecrets('abc abcdef')).toBe('abc abcdef');
  });

  test('the longest form wins when one secret contains another', () => {
    registerSecret('word');
    registerSecret('password1');
    expect(scrubSecrets('password1 word')).toBe('[redacted] [redacted]');
  });

  test('secrets registered between scrubs (one per mailbox), sharing prefixes, are all found', () => {
    const secrets = Array.from({ length: 500 }, (_, i) => `pw-${i}-mailbox`);
    for (const [i, pw] of secrets.entries()) {
      registerSecret(pw);
      expect(scrubSecrets(`login ${i}: ${pw}`)).toBe(`login ${i}: [redacted]`);
    }
    expect(scrubSecrets(secrets.join(' '))).toBe(secrets.map(() => '[redacted]').join(' '));
  });

  test('regular-expression characters in a secret are literal', () => {
    registerSecret('a.b*c+(d)?');
    expect(scrubSecrets('aXbbbc+(d)? a.b*c+(d)?')).toBe('aXbbbc+(d)? [redacted]');
  });
});
