import iconv from 'iconv-lite';
import { decodeCodepage, decodeHtmlBytes, importanceOf, parseMultiValueStrings, smtpAddress, verbState } from './mapi-values.js';

function mv(values: Buffer[]): Buffer {
  const head = Buffer.alloc(4 + values.length * 4);
  head.writeUInt32LE(values.length, 0);
  let at = head.length;
  values.forEach((v, i) => { head.writeUInt32LE(at, 4 + i * 4); at += v.length; });
  return Buffer.concat([head, ...values]);
}

describe('smtpAddress', () => {
  test('prefers the explicit SMTP property, then an SMTP-typed address; an Exchange DN alone gives none', () => {
    expect(smtpAddress('EX', '/O=ORG/OU=EXCHANGE/CN=RECIPIENTS/CN=JDOE', 'jdoe@example.org')).toBe('jdoe@example.org');
    expect(smtpAddress('SMTP', 'a@example.org', '')).toBe('a@example.org');
    expect(smtpAddress('EX', '/O=ORG/CN=X', undefined)).toBeUndefined();
    expect(smtpAddress('UNKNOWN', 'Unknown', undefined)).toBeUndefined();
    expect(smtpAddress('', ' b@example.org ', undefined)).toBe('b@example.org');
  });
});

describe('parseMultiValueStrings', () => {
  test('PT_MV_UNICODE values', () => {
    expect(parseMultiValueStrings(mv([Buffer.from('Rot', 'utf16le'), Buffer.from('Büro 会議', 'utf16le')]), true)).toEqual(['Rot', 'Büro 会議']);
  });
  test('PT_MV_STRING8 values in a code page', () => {
    const data = mv([iconv.encode('日本', 'cp932'), Buffer.from('x\0')]);
    expect(parseMultiValueStrings(data, false, (b) => iconv.decode(b, 'cp932'))).toEqual(['日本', 'x']);
  });
  test('empty and malformed values', () => {
    expect(parseMultiValueStrings(Buffer.alloc(0), true)).toEqual([]);
    expect(parseMultiValueStrings(mv([]), true)).toEqual([]);
    const bad = mv([Buffer.from('ab', 'utf16le')]);
    bad.writeUInt32LE(500, 4);
    expect(() => parseMultiValueStrings(bad, true)).toThrow('value 0 at 500..');
    expect(() => parseMultiValueStrings(Buffer.from([9, 0, 0, 0]), true)).toThrow('9 values do not fit in 4 bytes');
  });
});

describe('HTML bodies stored as bytes', () => {
  test('decoded with PR_INTERNET_CPID, including ISO-2022-JP (not in iconv-lite)', () => {
    const jis = Buffer.from('1b2442467c4b5c1b2842', 'hex'); // "日本" in ISO-2022-JP
    expect(decodeCodepage(jis, 50220)).toBe('日本');
    expect(decodeHtmlBytes(Buffer.concat([Buffer.from('<html><head><meta http-equiv="Content-Type" content="text/html; charset=iso-2022-jp"></head><body>'), jis, Buffer.from('</body></html>')]), 50220))
      .toBe('<html><head><meta http-equiv="Content-Type" content="text/html; charset=utf-8"></head><body>日本</body></html>');
    expect(decodeHtmlBytes(iconv.encode('<p>Grüße</p>', 'cp1252'), 1252)).toBe('<p>Grüße</p>');
  });
  test('without a code page: the <meta> charset, else UTF-8', () => {
    expect(decodeHtmlBytes(Buffer.concat([Buffer.from('<meta charset="windows-1251">'), iconv.encode('Привет', 'cp1251')]), undefined))
      .toBe('<meta charset="utf-8">Привет');
    expect(decodeHtmlBytes(Buffer.from('\uFEFF<p>ü</p>', 'utf8'), undefined)).toBe('<p>ü</p>');
    expect(decodeCodepage(Buffer.from('x'), 99999)).toBeUndefined();
  });
});

test('verbs and importance', () => {
  expect(verbState(102)).toEqual({ answered: true, forwarded: false });
  expect(verbState(103)).toEqual({ answered: true, forwarded: false });
  expect(verbState(104)).toEqual({ answered: false, forwarded: true });
  expect(verbState(undefined)).toEqual({ answered: false, forwarded: false });
  expect([0, 1, 2, undefined].map(importanceOf)).toEqual(['low', 'normal', 'high', undefined]);
});
