import { decodeMailboxName, encodeMailboxName, MailboxNameError } from './imap-utf7.js';

/** Known vectors: RFC 3501 §5.1.3's example plus names checked against iconv-lite's utf7imap. */
const VECTORS: [decoded: string, encoded: string][] = [
  ['INBOX', 'INBOX'],
  ['', ''],
  ['Entwürfe', 'Entw&APw-rfe'],
  ['Отправленные', '&BB4EQgQ,BEAEMAQyBDsENQQ9BD0ESwQ1-'],
  ['~peter/mail/台北/日本語', '~peter/mail/&U,BTFw-/&ZeVnLIqe-'],
  ['送信済みアイテム', '&kAFP4W4IMH8wojCkMMYw4A-'],
  ['已发送邮件', '&XfJT0ZABkK5O9g-'],
  ['😀', '&2D3eAA-'],
  ['Mail 😀 box', 'Mail &2D3eAA- box'],
  ['a&b', 'a&-b'],
  ['&', '&-'],
  ['&&', '&-&-'],
  ['Ünïcödé & ☃', '&ANw-n&AO8-c&APY-d&AOk- &- &JgM-'],
  ['éléments envoyés', '&AOk-l&AOk-ments envoy&AOk-s'],
  ['ä', '&AOQ-'],
  ['äöü', '&AOQA9gD8-'],
  ['tab\there', 'tab&AAk-here'],
  ['~!@#$%^*()_+-=[]{}|;:\'",.<>?/\\`', '~!@#$%^*()_+-=[]{}|;:\'",.<>?/\\`'],
];

describe('encodeMailboxName', () => {
  test.each(VECTORS)('%j → %j', (decoded, encoded) => {
    expect(encodeMailboxName(decoded)).toBe(encoded);
  });

  test('merges adjacent non-ASCII characters into one shift sequence', () => {
    expect(encodeMailboxName('日本語')).toBe('&ZeVnLIqe-');
  });

  test('rejects lone surrogates', () => {
    expect(() => encodeMailboxName('a\ud83d')).toThrow(/unpaired high surrogate U\+D83D at index 1/);
    expect(() => encodeMailboxName('\ude00b')).toThrow(/unpaired low surrogate U\+DE00 at index 0/);
  });
});

describe('decodeMailboxName', () => {
  test.each(VECTORS)('%j ← %j', (decoded, encoded) => {
    expect(decodeMailboxName(encoded)).toBe(decoded);
  });

  test('accepts split shift sequences and ASCII encoded in base64', () => {
    expect(decodeMailboxName('&AOQ-&APY-')).toBe('äö');
    expect(decodeMailboxName('&AGEAYgBj-')).toBe('abc');
  });

  test.each([
    ['Entw&APw', /"&" at index 4 is not terminated by "-"/],
    ['&', /"&" at index 0 is not terminated by "-"/],
    ['&AP*-', /character "\*" at index 3 is not modified base64/],
    ['&AP/8-', /character "\/" at index 3 is not modified base64/],
    ['&APw=-', /character "=" at index 4 is not modified base64/],
    ['&AOQA-', /odd number of bytes \(3\)/],
    ['&A-', /trailing bits/],
    ['&APx-', /trailing bits/],
    ['&2D0-', /unpaired high surrogate U\+D83D/],
    ['&3gA-', /unpaired low surrogate U\+DE00/],
    ['Entwürfe', /character U\+00FC at index 4 is not printable US-ASCII/],
    ['a\tb', /character U\+0009 at index 1/],
  ])('rejects %j', (input, message) => {
    expect(() => decodeMailboxName(input)).toThrow(MailboxNameError);
    expect(() => decodeMailboxName(input)).toThrow(message);
  });

  test('the error names the whole input', () => {
    expect(() => decodeMailboxName('x&AOQA-')).toThrow('malformed modified UTF-7 mailbox name "x&AOQA-": ');
  });
});

describe('round trip', () => {
  test.each([
    'Posteingang/Rechnungen 2024',
    'Gelöschte Elemente',
    'Корзина & Спам',
    '🎉 Party 🎉',
    '𝔘𝔫𝔦𝔠𝔬𝔡𝔢',
    'a&-b',
    '&AOQ-',
    '中文/日本語/한국어',
    '\u0000\u007f\u0080',
  ])('%j', (name) => {
    const encoded = encodeMailboxName(name);
    expect(encoded).toMatch(/^[\x20-\x7e]*$/);
    expect(decodeMailboxName(encoded)).toBe(name);
  });

  test('every BMP code point outside the surrogate range', () => {
    let s = '';
    for (let c = 0; c <= 0xffff; c++) if (c < 0xd800 || c > 0xdfff) s += String.fromCharCode(c);
    expect(decodeMailboxName(encodeMailboxName(s))).toBe(s);
  });
});
