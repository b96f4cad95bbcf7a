/**
 * The one-pass de-encapsulator (rtf-deencapsulate.ts) gives rtf-stream-parser's results: the same
 * text and mode, or the same error, on Outlook-style encapsulated HTML and text (font tables with
 * code pages and symbol fonts, \htmltag with charsets, \htmlrtf blocks, \u with \uc skips, \'hh in
 * several code pages, \bin, nested and ignorable destinations), on thousands of generated bodies,
 * and on damaged copies of them (bytes dropped, changed, truncated).
 */
import iconv from 'iconv-lite';
import { deEncapsulateSync } from 'rtf-stream-parser';
import { seededRandom } from '../../src/util/seeded-random.js';
import { deEncapsulate } from './rtf-deencapsulate.js';

const decode = (data: Buffer, encoding: string): string => iconv.decode(data, iconv.encodingExists(encoding) ? encoding : 'cp1252');

function theirs(rtf: Buffer): unknown {
  try {
    const r = deEncapsulateSync(rtf, { decode, mode: 'either', htmlFixContentType: true, outlookQuirksMode: true, warn: () => {} });
    return { mode: r.mode, text: typeof r.text === 'string' ? r.text : r.text.toString('utf8') };
  } catch (err) {
    return { error: (err as Error).message };
  }
}
function mine(rtf: Buffer): unknown {
  try {
    return deEncapsulate(rtf, decode);
  } catch (err) {
    return { error: (err as Error).message };
  }
}

const HEADER = '{\\rtf1\\ansi\\ansicpg1252\\fromhtml1 \\fbidis \\deff0{\\fonttbl\r\n{\\f0\\fswiss\\fcharset0 Arial;}\r\n'
  + '{\\f1\\fmodern Courier New;}\r\n{\\f2\\fnil\\fcharset2 Symbol;}\r\n{\\f3\\fmodern\\fcharset0 Courier New;}\r\n'
  + '{\\f4\\fswiss\\fcharset128 "MS PGothic";}\r\n{\\f5\\fnil\\cpg1251 Cyr;}\r\n{\\f6\\froman\\fcharset204 Times;}{\\f7\\fnil\\fcharset1251 Cyr2;}}\r\n'
  + '{\\colortbl\\red0\\green0\\blue0;\\red0\\green0\\blue255;}\r\n\\uc1\\pard\\plain\\deftab360 \\plain\\f0\\fs24 ';

const PIECES = [
  '{\\*\\htmltag19 <html>}', '{\\*\\htmltag34 <head>}', '{\\*\\htmltag1 \\par }',
  '{\\*\\htmltag241 <meta http-equiv="Content-Type" content="text/html; charset=iso-8859-1">}',
  '{\\*\\htmltag241 <meta charset="windows-1252">}', '{\\*\\htmltag64 <p>}', '{\\*\\htmltag72 </p>}', '{\\*\\htmltag84 &nbsp;}',
  '\\htmlrtf {\\htmlrtf0 hidden?}\\htmlrtf0 ', '\\htmlrtf \\par \\htmlrtf0 ', '\\htmlrtf {\\f1 x}\\f0\\htmlrtf0 ', '\\htmlrtf1 a\\htmlrtf0 b',
  'Hello world', ' text <b> & > ', '\\par ', '\\line ', '\\tab ', '\\lquote ', '\\rdblquote ', '\\bullet ', '\\emdash ', '\\~', '\\_', '\\{', '\\}', '\\\\',
  "\\'e9", "\\'e4\\'f6", "\\'82\\'a0", "\\'93\\'fa", '\\u8364?', '\\u-3913?', '\\uc2\\u8364??', '\\uc0\\u20320 ', '\\u12354\\u12356\\u12358 ', '\\uc1 ',
  '{\\f2 \\u-3913?abc}', '{\\f4 \\\'82\\\'a0}', '{\\f5 \\\'c0\\\'c1}', '{\\f6 \\\'c0}', '{\\f7 \\\'c0\\\'e9}', '{\\f1 text}', '{\\*\\generator Microsoft Exchange;}',
  '{\\*\\unknowndest ignored}', '{\\pntext\\f0 1.\\tab}', '{\\*\\htmltag4 \\par }', '\r\n', '\n', '{', '}', '\\*', '\\bin3 a{b', "\\'4", '\\fs20 ',
  '\\constructor ', '\\toString ', '\\f', '\\fcharset0 ', '\\deff1 ', '\\ansicpg1251 ', '{\\fonttbl{\\f9 X;}}', '\\u99999999?', '\\ucx ',
];

function generate(random: () => number): string {
  let s = random() < 0.9 ? HEADER : '{\\rtf1\\ansi\\fromtext \\deff0{\\fonttbl{\\f0 Arial;}}';
  const n = Math.floor(random() * 60);
  for (let i = 0; i < n; i++) s += PIECES[Math.floor(random() * PIECES.length)];
  return `${s}}`;
}

function damage(random: () => number, b: Buffer): Buffer {
  const out = Buffer.from(b);
  const kind = Math.floor(random() * 3);
  if (kind === 0) return out.subarray(0, Math.floor(random() * out.length));
  if (kind === 1) { for (let k = 0; k < 3; k++) out[Math.floor(random() * out.length)] = Math.floor(random() * 256); return out; }
  const at = Math.floor(random() * out.length);
  return Buffer.concat([out.subarray(0, at), out.subarray(at + 1 + Math.floor(random() * 20))]);
}

describe('deEncapsulate', () => {
  test('generated encapsulated HTML and text: the library\'s text, mode or error', () => {
    const random = seededRandom(3);
    let html = 0;
    for (let n = 0; n < 4000; n++) {
      const rtf = Buffer.from(generate(random), 'latin1');
      const expected = theirs(rtf);
      expect(mine(rtf)).toEqual(expected);
      if ((expected as { mode?: string }).mode === 'html') html++;
    }
    expect(html).toBeGreaterThan(1000);
  });

  test('damaged bodies: the same result or the same error', () => {
    const random = seededRandom(4);
    for (let n = 0; n < 3000; n++) {
      const rtf = damage(random, Buffer.from(generate(random), 'latin1'));
      expect(mine(rtf)).toEqual(theirs(rtf));
    }
  });

  test('not encapsulated, empty, not RTF', () => {
    for (const s of ['{\\rtf1\\ansi Plain RTF}', '', '{', '{\\rtf', '{\\rtf2\\fromhtml1}', 'hello', '{\\rtf1\\fromhtml1 {\\*\\htmltag <p>}}extra}']) {
      const rtf = Buffer.from(s, 'latin1');
      expect(mine(rtf)).toEqual(theirs(rtf));
    }
  });
});
