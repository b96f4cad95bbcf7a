import { simpleParser, type AddressObject, type ParsedMail } from 'mailparser';
import type { MailMessage } from '../../src/model/mail-message.js';
import { buildMime } from './build-mime.js';
import { parseHeaderBlock } from '../header-block.js';

const parse = async (msg: MailMessage): Promise<ParsedMail> => simpleParser(await buildMime(msg));
const addrs = (a: AddressObject | AddressObject[] | undefined) => [a ?? []].flat().flatMap((o) => o.value).map((v) => ({ name: v.name, address: v.address }));

/** PR_RTF_COMPRESSED in the LZFu format, using literal runs only (valid input for any decompressor). */
function lzfu(rtf: string): Buffer {
  const raw = Buffer.from(rtf, 'latin1');
  const chunks: Buffer[] = [];
  for (let i = 0; i < raw.length; i += 8) chunks.push(Buffer.from([0]), raw.subarray(i, i + 8));
  const data = Buffer.concat(chunks);
  const header = Buffer.alloc(16);
  header.writeUInt32LE(data.length + 12, 0);
  header.writeUInt32LE(raw.length, 4);
  header.writeUInt32LE(0x75465a4c, 8); // "LZFu"
  return Buffer.concat([header, data]);
}

describe('buildMime: headers rebuilt from the fields', () => {
  const msg: MailMessage = {
    from: { name: 'Jörg Müller', address: 'joerg@example.de' },
    to: [{ name: 'Иван Петров', address: 'ivan@example.ru' }, { address: 'plain@example.org' }],
    cc: [{ name: 'Smith, John', address: 'john@example.com' }],
    bcc: [{ address: 'hidden@example.org' }],
    replyTo: [{ address: 'reply@example.de' }],
    subject: 'Grüße – 日本語の件名',
    date: new Date('2021-03-04T05:06:07Z'),
    messageId: '<abc.123@example.de>',
    inReplyTo: '<parent@example.de>',
    references: '<root@example.de> <parent@example.de>',
    bodyText: 'Hallo Welt, äöü ß',
    importance: 'high',
  };

  test('every field parses back with its non-ASCII text intact', async () => {
    const p = await parse(msg);
    expect(p.subject).toBe('Grüße – 日本語の件名');
    expect(addrs(p.from)).toEqual([{ name: 'Jörg Müller', address: 'joerg@example.de' }]);
    expect(addrs(p.to)).toEqual([{ name: 'Иван Петров', address: 'ivan@example.ru' }, { name: '', address: 'plain@example.org' }]);
    expect(addrs(p.cc)).toEqual([{ name: 'Smith, John', address: 'john@example.com' }]);
    expect(addrs(p.bcc)).toEqual([{ name: '', address: 'hidden@example.org' }]);
    expect(addrs(p.replyTo)).toEqual([{ name: '', address: 'reply@example.de' }]);
    expect(p.date?.toISOString()).toBe('2021-03-04T05:06:07.000Z');
    expect(p.messageId).toBe('<abc.123@example.de>');
    expect(p.inReplyTo).toBe('<parent@example.de>');
    expect(p.references).toEqual(['<root@example.de>', '<parent@example.de>']);
    expect(p.headers.get('priority')).toBe('high');
    expect(p.text?.trim()).toBe('Hallo Welt, äöü ß');
  });

  test('the raw header is 7-bit ASCII (encoded words)', async () => {
    const raw = await buildMime(msg);
    const head = raw.subarray(0, raw.indexOf('\r\n\r\n'));
    expect([...head].every((b) => b < 0x80)).toBe(true);
  });

  test('a Date or Message-ID the message lacks is left out, not invented', async () => {
    const raw = (await buildMime({ subject: 'no date', bodyText: 'x' })).toString();
    expect(raw).not.toMatch(/^Date:/mi);
    expect(raw).not.toMatch(/^Message-ID:/mi);
  });

  test('a recipient known only by name is kept as an empty group', async () => {
    const p = await parse({ to: [{ name: 'Müller, Hans' }, { address: 'x@example.org' }], bodyText: 'x' });
    const to = [p.to ?? []].flat().flatMap((o) => o.value);
    expect(to[0]).toMatchObject({ name: 'Müller, Hans', group: [] });
    expect(to[1]?.address).toBe('x@example.org');
  });

  test('the same message gives the same bytes; different content gives different boundaries', async () => {
    const rich: MailMessage = { ...msg, bodyHtml: '<p>x</p>', attachments: [{ filename: 'a.txt', data: Buffer.from('a') }] };
    const a = await buildMime(rich);
    expect((await buildMime(rich)).equals(a)).toBe(true);
    const b = await buildMime({ ...rich, attachments: [{ filename: 'a.txt', data: Buffer.from('b') }] });
    const boundary = (buf: Buffer) => /boundary="([^"]+)"/.exec(buf.toString())?.[1];
    expect(boundary(a)).toBeDefined();
    expect(boundary(a)).not.toBe(boundary(b));
  });
});

describe('buildMime: original transport headers', () => {
  const transportHeaders = [
    'Microsoft Mail Internet Headers Version 2.0',
    'Received: from mx.example.org (mx.example.org [192.0.2.1])',
    '\tby mail.example.de with ESMTP id 123; Tue, 2 Mar 2021 10:00:00 +0100',
    'From: "Original Sender" <orig@example.org>',
    'To: someone@example.de',
    'Subject: =?ISO-8859-1?Q?Gr=FC=DFe?=',
    'Date: Tue, 2 Mar 2021 09:59:58 +0100',
    'Message-ID: <orig.1@example.org>',
    'X-Mailer: Something 1.0',
    'MIME-Version: 1.0',
    'Content-Type: multipart/mixed; boundary="old-boundary"',
    'Content-Transfer-Encoding: 7bit',
    '',
    '',
  ].join('\r\n');

  test('kept verbatim and in order; Content-* and MIME-Version come from the rebuilt body', async () => {
    const raw = await buildMime({
      transportHeaders, subject: 'from the properties', from: { address: 'other@example.org' },
      bodyText: 'text', attachments: [{ filename: 'x.bin', data: Buffer.from([1, 2, 3]) }],
    });
    const head = raw.subarray(0, raw.indexOf('\r\n\r\n')).toString();
    expect(head.startsWith('Received: from mx.example.org (mx.example.org [192.0.2.1])\r\n\tby mail.example.de')).toBe(true);
    const names = parseHeaderBlock(head).map((f) => f.name);
    expect(names).toEqual(['Received', 'From', 'To', 'Subject', 'Date', 'Message-ID', 'X-Mailer', 'MIME-Version', 'Content-Type']);
    expect(head).not.toContain('old-boundary');
    const p = await simpleParser(raw);
    expect(p.subject).toBe('Grüße');
    expect(addrs(p.from)).toEqual([{ name: 'Original Sender', address: 'orig@example.org' }]);
    expect(p.messageId).toBe('<orig.1@example.org>');
    expect(p.attachments.map((a) => a.filename)).toEqual(['x.bin']);
  });

  test('fields the original block lacks are added from the message', async () => {
    const p = await parse({
      transportHeaders: 'Received: by relay; Mon, 1 Mar 2021 00:00:00 +0000\r\nX-Spam: no\r\n',
      subject: 'Betreff ä', from: { address: 'f@example.org' }, to: [{ address: 't@example.org' }], date: new Date('2021-03-01T00:00:01Z'),
      messageId: '<m@example.org>', bodyText: 'x',
    });
    expect(p.subject).toBe('Betreff ä');
    expect(addrs(p.from)).toEqual([{ name: '', address: 'f@example.org' }]);
    expect(addrs(p.to)).toEqual([{ name: '', address: 't@example.org' }]);
    expect(p.messageId).toBe('<m@example.org>');
    expect(p.headers.get('x-spam')).toBe('no');
  });

  test('no Date or Message-ID is invented when neither the block nor the fields have one (the bytes stay the same)', async () => {
    const m: MailMessage = { transportHeaders: 'Received: by relay\r\nSubject: s\r\n', bodyText: 'x', attachments: [{ message: { subject: 'inner', transportHeaders: 'From: a@b.c\r\n', bodyText: 'y' } }] };
    const a = await buildMime(m);
    expect(a.toString()).not.toMatch(/^(Date|Message-ID):/mi);
    expect((await buildMime(m)).equals(a)).toBe(true);
  });

  test('a block without any field is ignored (headers rebuilt)', async () => {
    const p = await parse({ transportHeaders: 'garbage without colon\r\n', subject: 'rebuilt', bodyText: 'x' });
    expect(p.subject).toBe('rebuilt');
  });
});

describe('buildMime: bodies', () => {
  test('text and HTML become multipart/alternative', async () => {
    const raw = (await buildMime({ bodyText: 'plain ü', bodyHtml: '<p>html ü</p>' })).toString();
    expect(raw).toMatch(/Content-Type: multipart\/alternative/);
    const p = await simpleParser(raw);
    expect(p.text?.trim()).toBe('plain ü');
    expect(p.html).toContain('<p>html ü</p>');
  });

  test('compressed RTF with encapsulated HTML (\\fromhtml) becomes the HTML body', async () => {
    const rtf = '{\\rtf1\\ansi\\ansicpg1252\\fromhtml1 \\deff0{\\fonttbl{\\f0\\fswiss Arial;}}'
      + '{\\*\\htmltag19 <html>}{\\*\\htmltag50 <body>}Gr\\\'fc\\\'dfe {\\*\\htmltag84 <b>}fett{\\*\\htmltag92 </b>}'
      + '{\\*\\htmltag58 </body>}{\\*\\htmltag27 </html>}}';
    const p = await parse({ bodyText: 'Grüße fett', rtfCompressed: lzfu(rtf) });
    expect(p.html).toBe('<html><body>Grüße <b>fett</b></body></html>');
    expect(p.text?.trim()).toBe('Grüße fett');
  });

  test('compressed RTF with encapsulated text (\\fromtext) fills a missing text body', async () => {
    const rtf = '{\\rtf1\\ansi\\ansicpg1252\\fromtext \\deff0{\\fonttbl{\\f0\\fmodern Courier;}}{\\*\\htmltag64}Hallo \\\'e4\\par\r\n}';
    const p = await parse({ rtfCompressed: lzfu(rtf) });
    expect(p.text?.trim()).toBe('Hallo ä');
    expect(p.html).toBe(false);
  });

  test('genuine RTF is kept as a text/rtf alternative', async () => {
    const rtf = '{\\rtf1\\ansi\\deff0{\\fonttbl{\\f0 Times;}}\\b bold\\b0  text\\par}';
    const raw = (await buildMime({ bodyText: 'bold text', rtfCompressed: lzfu(rtf) })).toString();
    expect(raw).toMatch(/Content-Type: multipart\/alternative/);
    expect(raw).toMatch(/Content-Type: text\/rtf/);
    const p = await simpleParser(raw);
    expect(p.text?.trim()).toBe('bold text');
  });

  test('an unreadable RTF body is dropped when there is a text body, an error when it is the only body', async () => {
    const broken = Buffer.concat([lzfu('{\\rtf1 x}').subarray(0, 12), Buffer.alloc(4)]);
    broken.writeUInt32LE(9999, 0);
    const p = await parse({ bodyText: 'the words', rtfCompressed: broken });
    expect(p.text?.trim()).toBe('the words');
    await expect(buildMime({ subject: 's', rtfCompressed: broken })).rejects.toThrow(/only body \(compressed RTF\).*truncated/);
  });
});

describe('buildMime: attachments', () => {
  const png = Buffer.from('89504e470d0a1a0a0000000d49484452', 'hex');

  test('by value, with non-ASCII names and MIME types; inline images referenced by cid go into multipart/related', async () => {
    const raw = await buildMime({
      subject: 'att', bodyHtml: '<p>logo: <img src="cid:logo@local"></p>', bodyText: 'logo',
      attachments: [
        { filename: 'Bericht – März 2021.pdf', mimeType: 'application/pdf', data: Buffer.from('%PDF-1.4\n') },
        { filename: '画像.png', mimeType: 'image/png', contentId: 'logo@local', inline: true, data: png },
        { filename: 'notes.txt', contentId: 'unused@local', data: Buffer.from('n') },
      ],
    });
    expect(raw.toString()).toMatch(/Content-Type: multipart\/related/);
    const p = await simpleParser(raw);
    const byName = new Map(p.attachments.map((a) => [a.filename, a]));
    expect([...byName.keys()].sort()).toEqual(['notes.txt', 'Bericht – März 2021.pdf', '画像.png'].sort());
    expect(byName.get('Bericht – März 2021.pdf')?.contentType).toBe('application/pdf');
    expect(byName.get('Bericht – März 2021.pdf')?.content.toString()).toBe('%PDF-1.4\n');
    const img = byName.get('画像.png')!;
    expect(img.cid).toBe('logo@local');
    expect(img.related).toBe(true);
    expect(img.content.equals(png)).toBe(true);
    // an unreferenced Content-ID stays a plain attachment, its Content-ID kept
    expect(byName.get('notes.txt')?.related).toBeFalsy();
    expect(byName.get('notes.txt')?.contentType).toBe('text/plain');
    expect(byName.get('notes.txt')?.headers.get('content-id')).toBe('<unused@local>');
  });

  test('embedded messages become message/rfc822 parts, recursively', async () => {
    const inner: MailMessage = { subject: 'innermost ü', from: { address: 'c@example.org' }, bodyText: 'deep', attachments: [{ filename: 'd.txt', data: Buffer.from('d') }] };
    const middle: MailMessage = { subject: 'middle', from: { address: 'b@example.org' }, bodyText: 'mid', attachments: [{ message: inner }] };
    const p = await parse({ subject: 'outer', bodyText: 'out', attachments: [{ message: middle, filename: 'Weitergeleitet.msg' }] });
    expect(p.attachments).toHaveLength(1);
    const m1 = p.attachments[0]!;
    expect(m1.contentType).toBe('message/rfc822');
    expect(m1.filename).toBe('Weitergeleitet.eml');
    const p2 = await simpleParser(m1.content);
    expect(p2.subject).toBe('middle');
    expect(p2.attachments[0]?.contentType).toBe('message/rfc822');
    expect(p2.attachments[0]?.filename).toBe('innermost ü.eml');
    const p3 = await simpleParser(p2.attachments[0]!.content);
    expect(p3.subject).toBe('innermost ü');
    expect(p3.text?.trim()).toBe('deep');
    expect(p3.attachments.map((a) => a.content.toString())).toEqual(['d']);
  });

  test('an attachment without content is an error naming it', async () => {
    await expect(buildMime({ subject: 's', attachments: [{ filename: 'link.lnk' }] })).rejects.toThrow('attachment 1 ("link.lnk") has no content');
  });
});
