/** The byte-range MIME parser the rewrite relies on: delimiters, line ends, decoding. */
import { decodedBody, decodedText, parseEntity } from './mime-entity.js';
import { rewriteTnef } from './rewrite.js';
import { outlookMessage, TAGS, writeTnef } from './test-support.js';

const slice = (buf: Buffer, e: { start: number; end: number }) => buf.subarray(e.start, e.end).toString('latin1');

describe('parseEntity', () => {
  test('children as byte ranges; a longer boundary sharing the prefix and transport padding are handled; the epilogue is not a part', () => {
    const raw = Buffer.from('Content-Type: multipart/mixed; boundary="b"\r\n\r\npreamble\r\n--b  \r\nContent-Type: text/plain\r\n\r\none\r\n--bb not a delimiter\r\n'
      + '--b\r\n\r\ntwo, no headers\r\n--b--\r\nepilogue\r\n');
    const e = parseEntity(raw);
    expect(e.type).toBe('multipart/mixed');
    expect(e.children?.map((c) => slice(raw, c.entity))).toEqual(['Content-Type: text/plain\r\n\r\none\r\n--bb not a delimiter', '\r\ntwo, no headers']);
    expect(e.children?.map((c) => c.entity.type)).toEqual(['text/plain', 'text/plain']);
    const two = e.children![1]!.entity;
    expect(slice(raw, { start: two.bodyStart, end: two.end })).toBe('two, no headers');
    expect(raw.subarray(e.children![0]!.delimiter, e.children![0]!.delimiter + 5).toString()).toBe('\r\n--b');
  });

  test('LF-only line ends, a missing closing delimiter (the last part runs to the end), nested multiparts', () => {
    const raw = Buffer.from('Content-Type: multipart/mixed; boundary=o\n\n--o\nContent-Type: multipart/alternative; boundary=i\n\n--i\n\nplain\n--i\nContent-Type: text/html\n\n<p>h</p>\n--i--\n--o\nContent-Type: text/plain\n\nlast');
    const e = parseEntity(raw);
    const [alt, last] = e.children!.map((c) => c.entity);
    expect(alt?.children?.map((c) => c.entity.type)).toEqual(['text/plain', 'text/html']);
    expect(decodedBody(raw, last!).toString()).toBe('last');
  });

  test('transfer encodings and charsets; RFC 2231 and RFC 2047 file names; an unknown encoding is an error', () => {
    const raw = Buffer.from('Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\nContent-Type: text/plain; charset=iso-8859-1\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\nGr=FC=DFe =\r\nweiter\r\n'
      + "--b\r\nContent-Type: application/pdf; name=\"=?utf-8?Q?Gr=C3=BC=C3=9Fe.pdf?=\"\r\nContent-Disposition: attachment; filename*=utf-8''%D0%BE%D1%82%D1%87%D1%91%D1%82.pdf\r\nContent-Transfer-Encoding: base64\r\n\r\nSGFs\r\nbG8=\r\n"
      + '--b\r\nContent-Type: application/octet-stream; name="=?utf-8?Q?Gr=C3=BC=C3=9Fe.pdf?="\r\nContent-Transfer-Encoding: x-uuencode\r\n\r\nbegin\r\n--b--\r\n');
    const [text, pdf, uu] = parseEntity(raw).children!.map((c) => c.entity);
    expect(decodedText(raw, text!)).toBe('Grüße weiter');
    expect(pdf?.filename).toBe('отчёт.pdf');
    expect(decodedBody(raw, pdf!).toString()).toBe('Hallo');
    expect(uu?.filename).toBe('Grüße.pdf');
    expect(() => decodedBody(raw, uu!)).toThrow('unknown Content-Transfer-Encoding "x-uuencode"');
  });
});

test('a message with LF line ends is converted too (the text part merged, the headers kept)', async () => {
  const t = writeTnef({ props: [{ tag: TAGS.HTML, value: Buffer.from('<p>x</p>') }], attachments: [{ title: 'a.txt', data: Buffer.from('a') }] });
  const raw = Buffer.from(outlookMessage(t).toString('latin1').replace(/\r\n/g, '\n'), 'latin1');
  const r = await rewriteTnef(raw, 'replace');
  expect(r.kind).toBe('converted');
  if (r.kind !== 'converted') return;
  expect(r.notes).toEqual(['converted from TNEF (winmail.dat): HTML body with the plain text part as its text alternative, 1 attachment']);
  expect(r.content.toString('utf8')).toMatch(/^From: "Jörg" <joerg@example\.de>\r\nTo: ivan@example\.ru\r\n/);
});
