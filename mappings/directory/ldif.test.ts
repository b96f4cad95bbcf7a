import { escapeDnValue, escapeFilterValue, isSafeLdifValue, ldifDocument, ldifLine, toLdif, toLdifAdd } from './ldif.js';

describe('ldifLine', () => {
  test.each([
    ['mail', 'alice@corp.example', 'mail: alice@corp.example'],
    ['description', '', 'description:'],
    ['cn', 'Jürgen', 'cn:: SsO8cmdlbg=='],
    ['cn', ' leading space', 'cn:: IGxlYWRpbmcgc3BhY2U='],
    ['cn', 'trailing space ', 'cn:: dHJhaWxpbmcgc3BhY2Ug'],
    ['cn', ':colon', 'cn:: OmNvbG9u'],
    ['cn', '<angle', 'cn:: PGFuZ2xl'],
    ['cn', 'inner: colon <and> space', 'cn: inner: colon <and> space'],
    ['description', 'two\nlines', 'description:: dHdvCmxpbmVz'],
    ['cn', 'Иван', 'cn:: 0JjQstCw0L0='],
  ])('%s %j', (name, value, expected) => {
    expect(ldifLine(name, value)).toBe(expected);
  });

  test('SAFE-STRING', () => {
    expect(isSafeLdifValue('a:b<c')).toBe(true);
    expect(isSafeLdifValue('a\rb')).toBe(false);
    expect(isSafeLdifValue('a\0b')).toBe(false);
  });

  test('control characters RFC 2849 allows raw (ESC, BEL, tab, DEL) are written base64 too: nothing raw for a terminal', () => {
    for (const v of ['Evil\x1b]0;pwned\x07', 'a\tb', '\x7f', 'x\x1b[2J']) expect(isSafeLdifValue(v)).toBe(false);
    expect(ldifLine('displayName', 'Evil\x1b]0;pwned\x07')).toBe(`displayName:: ${Buffer.from('Evil\x1b]0;pwned\x07').toString('base64')}`);
    const doc = toLdif('cn=Evil\x1b[2J,dc=ums', [{ op: 'replace', attribute: 'description', values: ['bell\x07'] }]);
    // eslint-disable-next-line no-control-regex
    expect(doc).not.toMatch(/[\u0000-\u0009\u000b-\u001f\u007f]/);
    expect(doc).toMatch(/^dn:: /);
  });

  test('folds at 76 characters, continuation lines start with one space', () => {
    const value = 'x'.repeat(200);
    const folded = ldifLine('description', value);
    const lines = folded.split('\n');
    expect(lines.map((l) => l.length)).toEqual([76, 76, 63]);
    expect(lines.slice(1).every((l) => l.startsWith(' ') && !l.startsWith('  '))).toBe(true);
    expect(lines.map((l, i) => (i === 0 ? l : l.slice(1))).join('')).toBe(`description: ${value}`);
    expect(ldifLine('d', 'y'.repeat(73))).toBe(`d: ${'y'.repeat(73)}`);
    expect(ldifLine('d', 'y'.repeat(74))).toBe(`d: ${'y'.repeat(73)}\n y`);
  });

  test('a long base64 value is folded too', () => {
    const lines = ldifLine('cn', 'ü'.repeat(60)).split('\n');
    expect(lines[0]).toMatch(/^cn:: w7zDvMO8/);
    expect(lines.every((l) => l.length <= 76)).toBe(true);
    expect(Buffer.from(lines.map((l, i) => (i === 0 ? l.slice(5) : l.slice(1))).join(''), 'base64').toString('utf8')).toBe('ü'.repeat(60));
  });
});

describe('toLdif / toLdifAdd / ldifDocument', () => {
  test('modify record with add, replace and delete of values', () => {
    expect(
      toLdif('uid=alice,ou=people,dc=corp,dc=example', [
        { op: 'add', attribute: 'mailAlternateAddress', values: ['a@corp.example', 'b@corp.example'] },
        { op: 'replace', attribute: 'title', values: ['CFO'] },
        { op: 'delete', attribute: 'mobile', values: ['+49 170 1'] },
        { op: 'delete', attribute: 'street', values: [] },
      ]),
    ).toBe(
      'dn: uid=alice,ou=people,dc=corp,dc=example\n' +
        'changetype: modify\n' +
        'add: mailAlternateAddress\n' +
        'mailAlternateAddress: a@corp.example\n' +
        'mailAlternateAddress: b@corp.example\n' +
        '-\n' +
        'replace: title\n' +
        'title: CFO\n' +
        '-\n' +
        'delete: mobile\n' +
        'mobile: +49 170 1\n' +
        '-\n' +
        'delete: street\n' +
        '-\n',
    );
  });

  test('no changes → nothing to write', () => {
    expect(toLdif('uid=alice,dc=corp,dc=example', [])).toBe('');
  });

  test('a non-ASCII DN is base64', () => {
    expect(toLdifAdd('uid=jürgen,dc=corp,dc=example', { uid: ['jürgen'] })).toBe(
      'dn:: dWlkPWrDvHJnZW4sZGM9Y29ycCxkYz1leGFtcGxl\nchangetype: add\nuid:: asO8cmdlbg==\n',
    );
  });

  test('document', () => {
    expect(ldifDocument([toLdif('cn=a,dc=x', [{ op: 'replace', attribute: 'sn', values: ['A'] }]), '', toLdifAdd('cn=b,dc=x', { cn: ['b'] })])).toBe(
      'version: 1\n\ndn: cn=a,dc=x\nchangetype: modify\nreplace: sn\nsn: A\n-\n\ndn: cn=b,dc=x\nchangetype: add\ncn: b\n',
    );
  });
});

describe('escaping', () => {
  test.each([
    ['alice', 'alice'],
    ['a*b', 'a\\2ab'],
    ['(admin)', '\\28admin\\29'],
    ['C:\\dir', 'C:\\5cdir'],
    ['nul\0', 'nul\\00'],
    ['Jürgen', 'Jürgen'],
  ])('filter %j → %j', (input, expected) => {
    expect(escapeFilterValue(input)).toBe(expected);
  });

  test.each([
    ['alice', 'alice'],
    ['Smith, Alice', 'Smith\\, Alice'],
    ['a+b', 'a\\+b'],
    ['"quoted"', '\\"quoted\\"'],
    ['a;b<c>d\\e', 'a\\;b\\<c\\>d\\\\e'],
    ['x=y', 'x\\=y'],
    [' lead', '\\ lead'],
    ['trail ', 'trail\\ '],
    [' ', '\\ '],
    ['  ', '\\ \\ '],
    ['#hash', '\\#hash'],
    ['in#side', 'in#side'],
    ['nul\0', 'nul\\00'],
    ['Jürgen', 'Jürgen'],
  ])('DN value %j → %j', (input, expected) => {
    expect(escapeDnValue(input)).toBe(expected);
  });
});
