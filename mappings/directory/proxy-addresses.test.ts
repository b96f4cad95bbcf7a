import {
  decodeImceaex,
  encodeImceaex,
  formatProxyAddress,
  legacyDnToX500,
  normaliseProxyAddresses,
  parseProxyAddress,
  rewriteDomain,
  rewriteProxyDomains,
  type DomainRule,
} from './proxy-addresses.js';
import { addressKey, asciiDomain, isIdnDomain, smtpAddressProblem, unicodeDomain } from './smtp-address.js';
import { decodeImceaPart, encodeImceaPart, isImceaex } from './imceaex.js';

describe('parseProxyAddress / formatProxyAddress', () => {
  test.each([
    ['SMTP:alice@corp.example', { type: 'SMTP', primary: true, value: 'alice@corp.example' }],
    ['smtp:a.smith@corp.example', { type: 'SMTP', primary: false, value: 'a.smith@corp.example' }],
    ['Smtp:x@corp.example', { type: 'SMTP', primary: false, value: 'x@corp.example' }],
    ['X500:/o=Corp/ou=First Administrative Group/cn=Recipients/cn=alice', { type: 'X500', primary: true, value: '/o=Corp/ou=First Administrative Group/cn=Recipients/cn=alice' }],
    ['x500:/o=Corp/cn=bob', { type: 'X500', primary: false, value: '/o=Corp/cn=bob' }],
    ['X400:c=US;a= ;p=Corp;o=Exchange;s=Smith;g=Alice;', { type: 'X400', primary: true, value: 'c=US;a= ;p=Corp;o=Exchange;s=Smith;g=Alice;' }],
    ['SIP:alice@corp.example', { type: 'SIP', primary: true, value: 'alice@corp.example' }],
    ['eum:1234;phone-context=Dial.corp.example', { type: 'EUM', primary: false, value: '1234;phone-context=Dial.corp.example' }],
    ['sip:a:b', { type: 'SIP', primary: false, value: 'a:b' }],
  ])('%s', (input, expected) => {
    const parsed = parseProxyAddress(input);
    expect(parsed).toEqual({ ok: true, address: expected });
    if (parsed.ok) expect(formatProxyAddress(parsed.address)).toBe(input.replace(/^Smtp/, 'smtp'));
  });

  test.each([
    ['alice@corp.example', 'no colon'],
    [':alice@corp.example', 'empty type'],
    ['SMTP:', 'empty value'],
    ['SMTP:   ', 'empty value'],
    ['S MTP:a@b.example', 'invalid type'],
    ['500:x', 'invalid type'],
  ])('%j is malformed: %s', (input, problem) => {
    expect(parseProxyAddress(input)).toEqual({ ok: false, input, problem });
  });
});

describe('smtp-address', () => {
  test.each([
    ['alice@corp.example', undefined],
    ['Alice.Smith+tag@Corp.Example', undefined],
    ["o'brien@corp.example", undefined],
    ['jürgen@bücher.example', undefined],
    ['info@пример.рф', undefined],
    ['info@xn--e1afmkfd.xn--p1ai', undefined],
    ['alice', 'no "@"'],
    ['@corp.example', 'the local part is empty'],
    ['alice@', 'the domain is empty'],
    ['alice smith@corp.example', 'the local part contains whitespace or control characters'],
    ['alice@corp .example', 'the domain contains whitespace or control characters'],
    ['alice@localhost', 'the domain has no dot'],
    ['.alice@corp.example', 'misplaced dot in the local part'],
    ['a..b@corp.example', 'misplaced dot in the local part'],
    ['"a b"@corp.example', 'quoted local parts are not accepted'],
    ['a(b)@corp.example', 'character "(" is not allowed in the local part'],
    ['a@b@corp.example', 'character "@" is not allowed in the local part'],
    ['alice@[192.0.2.1]', 'address literals are not accepted'],
    ['alice@corp..example', 'the domain has an empty label'],
    ['alice@-corp.example', 'invalid domain label "-corp"'],
    ['alice@corp_x.example', 'invalid domain label "corp_x"'],
    ['alice@192.0.2.1', 'the top-level label is numeric'],
    [`${'a'.repeat(65)}@corp.example`, 'the local part is longer than 64 octets'],
  ])('%j → %s', (address, problem) => {
    expect(smtpAddressProblem(address)).toBe(problem);
  });

  test('comparison form and IDN', () => {
    expect(addressKey('Alice@Bücher.Example')).toBe('alice@xn--bcher-kva.example');
    expect(addressKey('ALICE@XN--BCHER-KVA.EXAMPLE')).toBe('alice@xn--bcher-kva.example');
    expect(asciiDomain('Пример.РФ')).toBe('xn--e1afmkfd.xn--p1ai');
    expect(unicodeDomain('xn--e1afmkfd.xn--p1ai')).toBe('пример.рф');
    expect(isIdnDomain('bücher.example')).toBe(true);
    expect(isIdnDomain('corp.example')).toBe(false);
  });
});

describe('normaliseProxyAddresses', () => {
  test('a clean list is returned as it is', () => {
    const r = normaliseProxyAddresses(['SMTP:alice@corp.example', 'smtp:a.smith@corp.example', 'X500:/o=Corp/cn=alice', 'NOTES:Alice Smith/Corp']);
    expect(r.issues).toEqual([]);
    expect(r.primarySmtp).toBe('alice@corp.example');
    expect(r.addresses.map(formatProxyAddress)).toEqual(['SMTP:alice@corp.example', 'smtp:a.smith@corp.example', 'X500:/o=Corp/cn=alice', 'NOTES:Alice Smith/Corp']);
  });

  test('no primary SMTP address', () => {
    const r = normaliseProxyAddresses(['smtp:alice@corp.example', 'X500:/o=Corp/cn=alice']);
    expect(r.primarySmtp).toBeUndefined();
    expect(r.issues).toEqual([{ address: '', problem: 'no primary SMTP address' }]);
    expect(normaliseProxyAddresses([]).issues).toEqual([{ address: '', problem: 'no primary SMTP address' }]);
  });

  test('two primaries: both named, the first kept', () => {
    const r = normaliseProxyAddresses(['SMTP:alice@corp.example', 'SMTP:alice@other.example']);
    expect(r.primarySmtp).toBe('alice@corp.example');
    expect(r.addresses.map(formatProxyAddress)).toEqual(['SMTP:alice@corp.example', 'smtp:alice@other.example']);
    expect(r.issues).toEqual([
      {
        address: 'SMTP:alice@other.example',
        problem: 'more than one primary SMTP address (SMTP:alice@corp.example, SMTP:alice@other.example); kept SMTP:alice@corp.example, the others made secondary',
      },
    ]);
  });

  test('two primaries: the preferred one (mail) wins', () => {
    const r = normaliseProxyAddresses(['SMTP:alice@corp.example', 'SMTP:alice@other.example'], { preferredPrimary: 'Alice@Other.Example' });
    expect(r.primarySmtp).toBe('alice@other.example');
    expect(r.addresses.map(formatProxyAddress)).toEqual(['smtp:alice@corp.example', 'SMTP:alice@other.example']);
  });

  test('duplicates are collapsed case-insensitively, keeping the primary flag (not for X500)', () => {
    const r = normaliseProxyAddresses(['smtp:Alice@Corp.Example', 'SMTP:alice@corp.example', 'x500:/O=Corp/CN=alice', 'X500:/o=corp/cn=ALICE', 'CUSTOM:a', 'CUSTOM:A', 'CUSTOM:a']);
    expect(r.addresses.map(formatProxyAddress)).toEqual(['SMTP:Alice@Corp.Example', 'x500:/O=Corp/CN=alice', 'CUSTOM:a', 'CUSTOM:A']);
    expect(r.primarySmtp).toBe('Alice@Corp.Example');
    expect(r.issues).toEqual([
      { address: 'SMTP:alice@corp.example', problem: 'duplicate of smtp:Alice@Corp.Example; collapsed' },
      { address: 'X500:/o=corp/cn=ALICE', problem: 'duplicate of x500:/O=Corp/CN=alice; collapsed' },
      { address: 'CUSTOM:a', problem: 'duplicate of CUSTOM:a; collapsed' },
    ]);
  });

  test('an IDN address in U-label and A-label form is one address', () => {
    const r = normaliseProxyAddresses(['SMTP:info@bücher.example', 'smtp:INFO@xn--bcher-kva.example']);
    expect(r.addresses).toHaveLength(1);
    expect(r.issues).toEqual([{ address: 'smtp:INFO@xn--bcher-kva.example', problem: 'duplicate of SMTP:info@bücher.example; collapsed' }]);
  });

  test('malformed entries and invalid SMTP syntax are reported and dropped; unknown types pass', () => {
    const r = normaliseProxyAddresses(['SMTP:alice@corp.example', 'smtp:bad address@corp.example', 'alice@corp.example', 'smtp:x@localhost', 'GWISE:Corp.PO.alice', 'SMTP:']);
    expect(r.addresses.map(formatProxyAddress)).toEqual(['SMTP:alice@corp.example', 'GWISE:Corp.PO.alice']);
    expect(r.issues).toEqual([
      { address: 'smtp:bad address@corp.example', problem: 'invalid SMTP address: the local part contains whitespace or control characters' },
      { address: 'alice@corp.example', problem: 'malformed proxy address: no colon' },
      { address: 'smtp:x@localhost', problem: 'invalid SMTP address: the domain has no dot' },
      { address: 'SMTP:', problem: 'malformed proxy address: empty value' },
    ]);
  });

  test('does not modify its input objects across calls', () => {
    const list = ['SMTP:a@corp.example', 'SMTP:b@corp.example'];
    normaliseProxyAddresses(list);
    expect(list).toEqual(['SMTP:a@corp.example', 'SMTP:b@corp.example']);
  });
});

describe('legacyDnToX500', () => {
  test('prefixes X500:', () => {
    expect(legacyDnToX500('/o=Corp/ou=Exchange Administrative Group (FYDIBOHF23SPDLT)/cn=Recipients/cn=alice')).toBe(
      'X500:/o=Corp/ou=Exchange Administrative Group (FYDIBOHF23SPDLT)/cn=Recipients/cn=alice',
    );
  });
  test('refuses a value that is not a legacy DN', () => {
    expect(() => legacyDnToX500('CN=alice,DC=corp,DC=example')).toThrow(RangeError);
    expect(() => legacyDnToX500('')).toThrow(RangeError);
  });
});

describe('IMCEAEX', () => {
  // Real addresses as published in NDR write-ups (Microsoft KB 2807779 and Exchange blogs),
  // and the legacyExchangeDN they stand for.
  test.each([
    [
      'IMCEAEX-_O=MMS_OU=EXCHANGE+20ADMINISTRATIVE+20GROUP+20+28FYDIBOHF23SPDLT+29_CN=RECIPIENTS_CN=User6ed4e168-addd-4b03-95f5-b9c9a421957358d@mgd.domain.com',
      '/O=MMS/OU=EXCHANGE ADMINISTRATIVE GROUP (FYDIBOHF23SPDLT)/CN=RECIPIENTS/CN=User6ed4e168-addd-4b03-95f5-b9c9a421957358d',
      'mgd.domain.com',
    ],
    [
      'IMCEAEX-_o=ExchangeLabs_ou=Exchange+20Administrative+20Group+20+28FYDIBOHF23SPDLT+29_cn=Recipients_cn=86595dbec932d461fbdfe93cb1234585e-Joe+20Smit@namprd13.prod.outlook.com',
      '/o=ExchangeLabs/ou=Exchange Administrative Group (FYDIBOHF23SPDLT)/cn=Recipients/cn=86595dbec932d461fbdfe93cb1234585e-Joe Smit',
      'namprd13.prod.outlook.com',
    ],
    [
      'IMCEAEX-_o=org_ou=Exchange+20Administrative+20Group_cn=Recipients_cn=Joe+20Bloggs@domain.com',
      '/o=org/ou=Exchange Administrative Group/cn=Recipients/cn=Joe Bloggs',
      'domain.com',
    ],
  ])('%s', (address, dn, domain) => {
    expect(isImceaex(address)).toBe(true);
    expect(decodeImceaex(address)).toBe(dn);
    expect(encodeImceaex(dn, domain)).toBe(address);
  });

  test.each([
    ['a b', 'a+20b'],
    ['a_b', 'a+5Fb'],
    ['a+b', 'a+2Bb'],
    ['a@b', 'a+40b'],
    ['a.b', 'a+2Eb'],
    ['a=b-c', 'a=b-c'],
    ['/o=Corp/cn=a,b', '_o=Corp_cn=a+2Cb'],
    ['Jürgen', 'J+C3+BCrgen'],
  ])('part %j ↔ %j', (plain, encoded) => {
    expect(encodeImceaPart(plain)).toBe(encoded);
    expect(decodeImceaPart(encoded)).toBe(plain);
  });

  test('decoding: one pass, case-insensitive, lenient with stray "+"', () => {
    expect(decodeImceaPart('a+5F_b')).toBe('a_/b');
    expect(decodeImceaPart('a+2e+2Eb')).toBe('a..b');
    expect(decodeImceaPart('a+b+2')).toBe('a+b+2');
    expect(decodeImceaex('imceaex-_o=Corp_cn=x@corp.example')).toBe('/o=Corp/cn=x');
  });

  test('non-IMCEAEX addresses', () => {
    expect(decodeImceaex('alice@corp.example')).toBeUndefined();
    expect(decodeImceaex('IMCEAFAX-+2B4930123@corp.example')).toBeUndefined();
    expect(decodeImceaex('IMCEAEX-@corp.example')).toBeUndefined();
  });
});

describe('rewriteDomain', () => {
  const rules: DomainRule[] = [
    { from: 'old.example', to: 'corp.example' },
    { from: '*.old.example', to: 'corp.example' },
    { from: '*.eu.old.example', to: '*.eu.corp.example' },
    { from: 'Bücher.example', to: 'books.example' },
  ];
  test.each([
    ['alice@old.example', 'alice@corp.example'],
    ['Alice@OLD.Example', 'Alice@corp.example'],
    ['alice@de.old.example', 'alice@corp.example'],
    ['alice@a.b.old.example', 'alice@corp.example'],
    ['alice@berlin.eu.old.example', 'alice@berlin.eu.corp.example'],
    ['alice@x.Berlin.eu.old.example', 'alice@x.Berlin.eu.corp.example'],
    ['alice@eu.old.example', 'alice@corp.example'],
    ['alice@xn--bcher-kva.example', 'alice@books.example'],
    ['alice@notold.example', 'alice@notold.example'],
    ['alice@other.example', 'alice@other.example'],
    ['no-at-sign', 'no-at-sign'],
  ])('%s → %s', (address, expected) => {
    expect(rewriteDomain(address, rules)).toBe(expected);
  });

  test('rewriteProxyDomains keeps primary flags and other types', () => {
    const out = rewriteProxyDomains(
      [
        { type: 'SMTP', primary: true, value: 'alice@old.example' },
        { type: 'SMTP', primary: false, value: 'alice@de.old.example' },
        { type: 'SIP', primary: true, value: 'alice@old.example' },
        { type: 'X500', primary: true, value: '/o=Old/cn=alice' },
      ],
      rules,
    );
    expect(out.map(formatProxyAddress)).toEqual(['SMTP:alice@corp.example', 'smtp:alice@corp.example', 'SIP:alice@old.example', 'X500:/o=Old/cn=alice']);
    expect(normaliseProxyAddresses(out.map(formatProxyAddress)).addresses.map(formatProxyAddress)).toEqual([
      'SMTP:alice@corp.example',
      'SIP:alice@old.example',
      'X500:/o=Old/cn=alice',
    ]);
  });
});
