/**
 * The TNEF rewrite on generated Outlook messages: headers kept, body as text + HTML alternative,
 * attachments with RFC 2231 names, embedded messages as message/rfc822, winmail.dat kept on
 * request, other parts byte-identical, deterministic output — and a damaged TNEF leaves the
 * message exactly as it was, with the reason.
 */
import { simpleParser, type Attachment } from 'mailparser';
import { parseEntity } from './mime-entity.js';
import { mayHoldTnef, rewriteTnef, type TnefRewrite } from './rewrite.js';
import { htmlInRtf, lzfu, outlookMessage, TAGS, writeTnef, type WMessage } from './test-support.js';
import { tnefTransform } from './transform.js';

const pdf = Buffer.from('%PDF-1.4\nGrüße\n%%EOF\n');
const docx = Buffer.from('PK\u0003\u0004 отчёт docx bytes');
const rich: WMessage = {
  props: [{ tag: TAGS.RTF_COMPRESSED, value: lzfu(htmlInRtf('<html><body><p>Grüße <b>fett</b>, отчёт</p></body></html>')) }],
  attachments: [
    { title: 'GRSSE~1.PDF', data: pdf, props: [{ tag: TAGS.ATTACH_LONG_FILENAME, value: 'Grüße.pdf' }, { tag: TAGS.ATTACH_MIME_TAG, value: 'application/pdf' }] },
    { title: 'OTCHET.DOC', data: docx, props: [{ tag: TAGS.ATTACH_LONG_FILENAME, value: 'отчёт.docx' }] },
    {
      props: [{ tag: TAGS.DISPLAY_NAME, value: 'Weitergeleitet' }],
      embedded: { props: [{ tag: TAGS.SUBJECT, value: 'Weitergeleitet' }, { tag: TAGS.BODY, value: 'die innere Nachricht' }, { tag: TAGS.INTERNET_MESSAGE_ID, value: '<inner@example.de>' }] },
    },
  ],
};
const stream = writeTnef(rich);

function converted(r: TnefRewrite): { content: Buffer; notes: string[] } {
  if (r.kind !== 'converted') throw new Error(`expected a conversion, got ${JSON.stringify(r)}`);
  return r;
}

const named = (atts: Attachment[], name: string) => atts.find((a) => a.filename === name);

describe('rewriteTnef: the usual Outlook message (text/plain + winmail.dat)', () => {
  test('every outer header kept, HTML body from RTF with the text part as its alternative, attachments with their names and bytes', async () => {
    const raw = outlookMessage(stream);
    const r = converted(await rewriteTnef(raw, 'replace'));
    expect(r.notes).toEqual(['converted from TNEF (winmail.dat): HTML body (from RTF) with the plain text part as its text alternative, 3 attachments (1 of them an attached message)']);
    const out = r.content.toString('utf8');
    // the outer header block, byte for byte, up to its MIME fields
    const headerOf = (s: string) => s.slice(0, s.indexOf('\r\nMIME-Version:'));
    expect(headerOf(out)).toBe(headerOf(raw.toString('utf8')));
    const p = await simpleParser(r.content);
    expect(p.messageId).toBe('<tnef-1@example.de>');
    expect(p.subject).toBe('Grüße');
    expect(p.headers.get('x-custom')).toBe('kept');
    expect(p.html).toBe('<html><body><p>Grüße <b>fett</b>, отчёт</p></body></html>');
    expect(p.text?.trim()).toBe('Hallo, Grüße aus dem Text.');
    expect(p.attachments.map((a) => [a.filename, a.contentType])).toEqual([
      ['Grüße.pdf', 'application/pdf'],
      ['отчёт.docx', 'application/vnd.openxmlformats-officedocument.wordprocessingml.document'],
      ['Weitergeleitet.eml', 'message/rfc822'],
    ]);
    expect(named(p.attachments, 'Grüße.pdf')?.content).toEqual(pdf);
    expect(named(p.attachments, 'отчёт.docx')?.content).toEqual(docx);
    const inner = await simpleParser(named(p.attachments, 'Weitergeleitet.eml')!.content);
    expect([inner.subject, inner.messageId, inner.text?.trim()]).toEqual(['Weitergeleitet', '<inner@example.de>', 'die innere Nachricht']);
    expect(out).toMatch(/\r\nContent-Language: de-DE\r\nContent-Class: urn:content-classes:message\r\n.*\r\nMIME-Version: 1\.0\r\nContent-Type: multipart\/mixed;/s);
    expect(out.slice(out.indexOf('\r\n\r\n'))).not.toMatch(/ms-tnef|winmail\.dat/i); // the body: no TNEF left
    // non-ASCII names per RFC 2231 (what clients that ignore RFC 2047 in parameters read)
    expect(out).toContain("filename*0*=utf-8''Gr%C3%BC%C3%9Fe.pdf");
    expect(out).toMatch(/filename\*0\*=utf-8''%D0%BE%D1%82%D1%87%D1%91%D1%82\.docx/);
  });

  test('keep-original also attaches winmail.dat with its bytes unchanged', async () => {
    const r = converted(await rewriteTnef(outlookMessage(stream), 'keep-original'));
    expect(r.notes[0]).toMatch(/; winmail\.dat kept as an attachment$/);
    const p = await simpleParser(r.content);
    expect(p.attachments.map((a) => a.filename)).toEqual(['Grüße.pdf', 'отчёт.docx', 'Weitergeleitet.eml', 'winmail.dat']);
    expect(named(p.attachments, 'winmail.dat')).toMatchObject({ contentType: 'application/ms-tnef', content: stream });
  });

  test('deterministic: the same input gives the same bytes, with no date or id invented', async () => {
    const raw = outlookMessage(stream);
    const a = converted(await rewriteTnef(raw, 'replace')).content;
    const b = converted(await rewriteTnef(Buffer.from(raw), 'replace')).content;
    expect(b.equals(a)).toBe(true);
    // the outer message's and the attached message's own, nothing invented
    expect(a.toString().match(/^(Date|Message-ID):.*$/gim)).toEqual(['Date: Tue, 02 Mar 2021 10:00:00 +0100', 'Message-ID: <tnef-1@example.de>', 'Message-ID: <inner@example.de>']);
    expect(a.toString()).not.toContain(String(new Date().getUTCFullYear()));
  });

  test('application/vnd.ms-tnef and an octet-stream winmail.dat with the TNEF signature are converted too', async () => {
    expect(converted(await rewriteTnef(outlookMessage(stream, { tnefType: 'application/vnd.ms-tnef' }), 'replace')).notes).toHaveLength(1);
    expect(converted(await rewriteTnef(outlookMessage(stream, { tnefType: 'application/octet-stream' }), 'replace')).notes).toHaveLength(1);
    expect(await rewriteTnef(outlookMessage(Buffer.from('not tnef at all'), { tnefType: 'application/octet-stream' }), 'replace')).toEqual({ kind: 'none' });
  });
});

describe('rewriteTnef: other shapes', () => {
  test('a message without TNEF is not touched (and ruled out without parsing)', async () => {
    const raw = Buffer.from('Subject: hi\r\nContent-Type: text/plain\r\n\r\nhello\r\n');
    expect(mayHoldTnef(raw)).toBe(false);
    expect(await rewriteTnef(raw, 'replace')).toEqual({ kind: 'none' });
  });

  test('a message whose whole body is application/ms-tnef becomes outer headers + the rebuilt body', async () => {
    const raw = Buffer.from(`Subject: whole\r\nMessage-ID: <w@x>\r\nMIME-Version: 1.0\r\nContent-Type: application/ms-tnef\r\nContent-Transfer-Encoding: base64\r\n\r\n${stream.toString('base64')}\r\n`);
    const r = converted(await rewriteTnef(raw, 'replace'));
    expect(r.content.toString()).toMatch(/^Subject: whole\r\nMessage-ID: <w@x>\r\nMIME-Version: 1\.0\r\nContent-Type: multipart\/mixed;/);
    const p = await simpleParser(r.content);
    expect(p.html).toContain('<b>fett</b>');
    expect(p.attachments).toHaveLength(3);
  });

  test('other parts keep their bytes; TNEF attachments become their siblings', async () => {
    const png = 'Content-Type: image/png; name="photo.png"\r\nContent-Transfer-Encoding: base64\r\nContent-Disposition: attachment; filename="photo.png"\r\n\r\niVBORw0KGgo=';
    const onlyAtt = writeTnef({ attachments: rich.attachments!.slice(0, 2) }); // no body in the TNEF
    const raw = Buffer.from('Subject: s\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=b1\r\n\r\n--b1\r\nContent-Type: text/html; charset=utf-8\r\n\r\n<p>html body</p>\r\n'
      + `--b1\r\n${png}\r\n--b1\r\nContent-Type: application/ms-tnef\r\nContent-Transfer-Encoding: base64\r\n\r\n${onlyAtt.toString('base64')}\r\n--b1--\r\n`);
    const r = converted(await rewriteTnef(raw, 'replace'));
    expect(r.notes).toEqual(['converted from TNEF (winmail.dat): no body, 2 attachments']);
    const out = r.content.toString('utf8');
    expect(out.startsWith(raw.toString('utf8').slice(0, raw.indexOf('--b1\r\nContent-Type: application/ms-tnef')))).toBe(true);
    const top = parseEntity(r.content);
    expect(top.children?.map((c) => c.entity.type)).toEqual(['text/html', 'image/png', 'application/pdf', 'application/vnd.openxmlformats-officedocument.wordprocessingml.document']);
    const p = await simpleParser(r.content);
    expect(p.html).toBe('<p>html body</p>');
    expect(p.attachments.map((a) => a.filename)).toEqual(['photo.png', 'Grüße.pdf', 'отчёт.docx']);
  });

  test('PR_BODY_HTML in its code page with an inline image by Content-ID: multipart/related, the image inline', async () => {
    const html = Buffer.from('<html><body><p>Gr\u00fc\u00dfe <img src="cid:logo@local"></p></body></html>', 'latin1');
    const t = writeTnef({
      props: [{ tag: TAGS.HTML, value: html }, { tag: TAGS.INTERNET_CPID, value: 1252 }, { tag: TAGS.BODY, value: 'Grüße' }],
      attachments: [{ title: 'logo.png', data: Buffer.from('89504e470d0a1a0a', 'hex'), props: [{ tag: TAGS.ATTACH_CONTENT_ID, value: 'logo@local' }, { tag: TAGS.ATTACH_MIME_TAG, value: 'image/png' }] }],
    });
    const raw = Buffer.from(`Subject: s\r\nMIME-Version: 1.0\r\nContent-Type: application/ms-tnef\r\nContent-Transfer-Encoding: base64\r\n\r\n${t.toString('base64')}\r\n`);
    const r = converted(await rewriteTnef(raw, 'replace'));
    expect(r.notes).toEqual(['converted from TNEF (winmail.dat): HTML body, 1 attachment']);
    expect(r.content.toString()).toMatch(/Content-Type: multipart\/related/);
    const p = await simpleParser(r.content, { keepCidLinks: true });
    expect([p.html, p.text?.trim()]).toEqual(['<html><body><p>Grüße <img src="cid:logo@local"></p></body></html>', 'Grüße']);
    expect(p.attachments.map((a) => [a.filename, a.cid, a.contentDisposition])).toEqual([['logo.png', 'logo@local', 'inline']]);
  });

  test('genuine RTF (Outlook rich text) is kept as a text/rtf alternative beside the plain text part', async () => {
    const rtf = '{\\rtf1\\ansi\\deff0{\\fonttbl{\\f0 Times;}}\\b fett\\b0  und normal\\par}';
    const r = converted(await rewriteTnef(outlookMessage(writeTnef({ props: [{ tag: TAGS.RTF_COMPRESSED, value: lzfu(rtf) }] }), { text: 'fett und normal' }), 'replace'));
    expect(r.notes).toEqual(['converted from TNEF (winmail.dat): RTF body (as text/rtf) with the plain text part as its text alternative, 0 attachments']);
    const top = parseEntity(r.content);
    expect([top.type, top.children?.map((c) => c.entity.type)]).toEqual(['multipart/alternative', ['text/plain', 'text/rtf']]);
    expect((await simpleParser(r.content)).text?.trim()).toBe('fett und normal');
  });

  test('a rebuilt body holding a line with the delimiter of the multipart around it is not spliced in (the message is kept)', async () => {
    const t = writeTnef({ props: [{ tag: TAGS.BODY, value: 'before\r\n--b1\r\nafter' }] });
    const raw = Buffer.from('Subject: s\r\nContent-Type: multipart/mixed; boundary=b1\r\n\r\n--b1\r\nContent-Type: text/html\r\n\r\n<p>h</p>\r\n'
      + `--b1\r\nContent-Type: application/ms-tnef\r\nContent-Transfer-Encoding: base64\r\n\r\n${t.toString('base64')}\r\n--b1--\r\n`);
    expect(await rewriteTnef(raw, 'replace')).toEqual({
      kind: 'kept', warnings: ['TNEF part "winmail.dat" not converted, the message is copied unchanged: the rebuilt parts contain the delimiter of the multipart/mixed around them ("--b1")'],
    });
  });

  test('TNEF under multipart/signed is left alone, with the reason', async () => {
    const raw = Buffer.from('Subject: s\r\nContent-Type: multipart/signed; boundary=s1; protocol="application/pkcs7-signature"\r\n\r\n--s1\r\n'
      + `Content-Type: application/ms-tnef\r\nContent-Transfer-Encoding: base64\r\n\r\n${stream.toString('base64')}\r\n--s1\r\nContent-Type: application/pkcs7-signature\r\n\r\nsig\r\n--s1--\r\n`);
    expect(await rewriteTnef(raw, 'replace')).toEqual({ kind: 'kept', warnings: ['a TNEF part inside multipart/signed is left as it is (rewriting it would break the signature or encryption)'] });
  });
});

describe('rewriteTnef: a damaged TNEF never loses the message', () => {
  test.each([
    ['truncated', stream.subarray(0, stream.length - 40), /^TNEF part "winmail\.dat" not converted, the message is copied unchanged: truncated TNEF stream: attAttachment at offset \d+ declares \d+ bytes/],
    ['garbled', Buffer.concat([stream.subarray(0, 200), Buffer.from('garbage garbage'), stream.subarray(215)]), /^TNEF part "winmail\.dat" not converted, the message is copied unchanged: damaged TNEF stream: .* fails its checksum/],
    ['not TNEF at all', Buffer.from('this is not a TNEF stream'), /^TNEF part "winmail\.dat" not converted, the message is copied unchanged: not a TNEF stream: signature/],
  ])('%s: kept as it was, with the reason', async (_what, bad, reason) => {
    const r = await rewriteTnef(outlookMessage(bad), 'replace');
    expect(r).toEqual({ kind: 'kept', warnings: [expect.stringMatching(reason)] });
  });

  test('the transform returns such an item byte-identical, the warning added; a good one converted with its note', async () => {
    const t = (await tnefTransform('replace'))!;
    const mail = { id: 'INBOX', path: ['INBOX'], delimiter: '/', kind: 'mail' as const };
    const meta = { id: '1', size: 1, flags: [] };
    const bad = outlookMessage(stream.subarray(0, 100));
    const kept = await t({ meta, content: bad, warnings: ['earlier'] }, mail);
    expect(kept.content).toBe(bad);
    expect(kept.warnings).toEqual(['earlier', expect.stringMatching(/^TNEF part "winmail\.dat" not converted/)]);
    const good = await t({ meta, content: outlookMessage(stream) }, mail);
    expect(good.warnings).toEqual([expect.stringMatching(/^converted from TNEF \(winmail\.dat\): HTML body/)]);
    const calendar = { ...mail, kind: 'event' as const };
    const untouched = { meta, content: outlookMessage(stream) };
    expect(await t(untouched, calendar)).toBe(untouched);
    expect(await tnefTransform('off')).toBeUndefined();
  });
});
