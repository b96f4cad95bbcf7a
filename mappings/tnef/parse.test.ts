/**
 * The TNEF reader on generated streams: attributes and checksums, MAPI property blocks (named,
 * multi-valued, every fixed type), recipients, attachments, embedded messages, and damaged
 * streams (bad signature, checksum, level, truncation, garbage) — always a TnefError naming the
 * place, never a half-read message or another kind of exception.
 */
import { PropList } from '../mapi/prop-list.js';
import { parseTnef } from './message.js';
import { readPropBlock } from './props.js';
import { ATT, LVL_ATTACHMENT, LVL_MESSAGE, readAttributes, TnefError } from './stream.js';
import { attribute, lzfu, messageAttributes, propBlock, TAGS, tnefHead, writeTnef, type WMessage } from './test-support.js';
import { tnefToMail } from './to-mail.js';

const PS_PUBLIC_STRINGS = '2903020000000000C000000000000046';
const PSETID_COMMON = '0820060000000000C000000000000046';
const sent = new Date('2021-03-02T09:00:00Z');

const inner: WMessage = {
  props: [
    { tag: TAGS.SUBJECT, value: 'Протокол встречи' },
    { tag: TAGS.BODY, value: 'inner body ü' },
    { tag: TAGS.SENDER_NAME, value: 'Иван Петров' }, { tag: TAGS.SENDER_ADDRTYPE, value: 'SMTP' }, { tag: TAGS.SENDER_EMAIL, value: 'ivan@example.ru' },
    { tag: TAGS.CLIENT_SUBMIT_TIME, value: new Date('2021-02-01T08:00:00Z') },
    { tag: TAGS.INTERNET_MESSAGE_ID, value: '<inner@example.ru>' },
  ],
  recipients: [[{ tag: TAGS.DISPLAY_NAME, value: 'Jörg' }, { tag: TAGS.SMTP_ADDRESS, value: 'joerg@example.de' }, { tag: TAGS.RECIPIENT_TYPE, value: 1 }]],
};

const full: WMessage = {
  subject: 'legacy subject',
  dateSent: sent,
  props: [
    { tag: TAGS.SUBJECT, value: 'Grüße – отчёт' },
    { tag: TAGS.BODY, value: 'plain body' },
    { tag: TAGS.RTF_COMPRESSED, value: lzfu('{\\rtf1\\ansi plain}') },
    { tag: TAGS.IMPORTANCE, value: 2 },
    { tag: 0x0e1b000b, value: true }, // PR_HASATTACH
    { tag: 0x0e080014, value: 123456789012n }, // PR_MESSAGE_SIZE_EXTENDED (PT_I8)
    { tag: 0x00360002, value: 7 }, // a PT_SHORT (padded to 4)
    { tag: 0x8000101f >>> 0, value: ['Work', 'Проект'], named: { guid: PS_PUBLIC_STRINGS, id: 'Keywords' } },
    { tag: 0x80011003 >>> 0, value: [1, 2, 3], named: { guid: PSETID_COMMON, id: 0x8514 } },
    { tag: 0x80020102 >>> 0, value: Buffer.from('odd length!'), named: { guid: PSETID_COMMON, id: 0x8580 } },
  ],
  recipients: [
    [{ tag: TAGS.DISPLAY_NAME, value: 'Иван' }, { tag: TAGS.SMTP_ADDRESS, value: 'ivan@example.ru' }, { tag: TAGS.RECIPIENT_TYPE, value: 1 }],
    [{ tag: TAGS.DISPLAY_NAME, value: 'Cc Person' }, { tag: TAGS.SMTP_ADDRESS, value: 'cc@example.org' }, { tag: TAGS.RECIPIENT_TYPE, value: 2 }],
  ],
  attachments: [
    { title: 'GRSSE~1.PDF', data: Buffer.from('%PDF-1.4 Grüße'), props: [{ tag: TAGS.ATTACH_LONG_FILENAME, value: 'Grüße.pdf' }, { tag: TAGS.ATTACH_MIME_TAG, value: 'application/pdf' }] },
    { title: 'OTCHET.DOC', data: Buffer.from('PK\u0003\u0004docx'), props: [{ tag: TAGS.ATTACH_LONG_FILENAME, value: 'отчёт.docx' }] },
    { title: 'logo.png', data: Buffer.from('89504e47', 'hex'), props: [{ tag: TAGS.ATTACH_CONTENT_ID, value: '<logo@local>' }, { tag: TAGS.ATTACHMENT_HIDDEN, value: true }] },
    { title: 'only-title.txt', data: Buffer.from('title only') },
    { props: [{ tag: TAGS.DISPLAY_NAME, value: 'Протокол встречи' }], embedded: inner },
  ],
};

describe('TNEF stream', () => {
  test('attributes with level, id, data and verified checksums; the legacy key', () => {
    const s = readAttributes(writeTnef(full));
    expect(s.legacyKey).toBe(0x1234);
    expect(s.attributes.slice(0, 3).map((a) => [a.level, a.id])).toEqual([[LVL_MESSAGE, ATT.TnefVersion], [LVL_MESSAGE, ATT.OemCodepage], [LVL_MESSAGE, ATT.MessageClass]]);
    expect(s.attributes.filter((a) => a.id === ATT.AttachRendData)).toHaveLength(5);
    expect(s.attributes.every((a) => a.level === LVL_MESSAGE || a.level === LVL_ATTACHMENT)).toBe(true);
  });

  test.each([
    ['a bad signature', (b: Buffer) => Buffer.concat([Buffer.from([0, 0, 0, 0]), b.subarray(4)]), /not a TNEF stream: signature 0x00000000/],
    ['too short', (b: Buffer) => b.subarray(0, 5), /not a TNEF stream: 5 bytes/],
    ['cut inside an attribute', (b: Buffer) => b.subarray(0, b.length - 20), /truncated TNEF stream: .* declares \d+ bytes, \d+ present/],
    ['cut inside an attribute header', (b: Buffer) => b.subarray(0, 6 + 15 + 4), /truncated TNEF stream: 4 stray bytes at offset 21/],
    ['a level other than 1 or 2', (b: Buffer) => { const c = Buffer.from(b); c[6] = 7; return c; }, /attTnefVersion at offset 6 has level 7/],
  ])('%s is a TnefError naming the place', (_what, damage, message) => {
    const b = damage(writeTnef(full));
    expect(() => parseTnef(b)).toThrow(TnefError);
    expect(() => parseTnef(b)).toThrow(message);
  });

  test('a checksum mismatch is damage, named with the attribute and offset', () => {
    const attrs = messageAttributes(full);
    attrs[3] = attribute(LVL_MESSAGE, ATT.Subject, Buffer.from('legacy subject\u0000'), { badChecksum: true });
    expect(() => parseTnef(Buffer.concat([tnefHead(), ...attrs]))).toThrow(/attSubject at offset \d+ fails its checksum \(stored 0x[0-9a-f]+, computed 0x[0-9a-f]+\)/);
  });

  test('zero padding after the last attribute is accepted, other stray bytes are not', () => {
    expect(parseTnef(Buffer.concat([writeTnef(full), Buffer.alloc(7)])).attachments).toHaveLength(5);
    expect(() => parseTnef(Buffer.concat([writeTnef(full), Buffer.from([1, 2, 3])]))).toThrow(/3 stray bytes/);
  });

  test('any single corrupted byte or cut gives a TnefError or a well-formed result, never another exception (200 seeds)', () => {
    const good = writeTnef(full);
    let seed = 12345;
    const rnd = (n: number) => { seed = (seed * 1103515245 + 12345) & 0x7fffffff; return seed % n; };
    let errors = 0;
    for (let i = 0; i < 200; i++) {
      const b = Buffer.from(good);
      if (i % 2 === 0) {
        const at = rnd(b.length);
        b[at] = b[at]! ^ (1 + rnd(255));
      }
      const input = i % 2 === 0 ? b : b.subarray(0, rnd(b.length));
      try {
        const m = parseTnef(input);
        expect(m.props).toBeInstanceOf(PropList);
      } catch (err) {
        expect(err).toBeInstanceOf(TnefError);
        errors++;
      }
    }
    expect(errors).toBeGreaterThan(150); // the checksums catch nearly every change
  });
});

describe('MAPI property blocks', () => {
  test('fixed, variable, named (id and string) and multi-valued properties', () => {
    const props = readPropBlock(propBlock(full.props!), 'cp1252', 'attMsgProps');
    const byTag = new Map(props.map((p) => [p.tag, p]));
    expect(byTag.get(TAGS.SUBJECT)?.value).toBe('Grüße – отчёт');
    expect(byTag.get(0x0e1b000b)?.value).toBe(true);
    expect(byTag.get(0x0e080014)?.value).toBe(123456789012n);
    expect(byTag.get(0x00360002)?.value).toBe(7);
    expect(byTag.get(0x8000101f)).toEqual({ tag: 0x8000101f, value: ['Work', 'Проект'], named: { guid: PS_PUBLIC_STRINGS, kind: 'string', id: 'Keywords' } });
    expect(byTag.get(0x80011003)).toEqual({ tag: 0x80011003, value: [1, 2, 3], named: { guid: PSETID_COMMON, kind: 'id', id: 0x8514 } });
    expect(byTag.get(0x80020102)?.value).toEqual(Buffer.from('odd length!'));
    expect(new PropList(props).named(PS_PUBLIC_STRINGS, 'Keywords')).toEqual(['Work', 'Проект']);
  });

  test('PT_STRING8 in the stream code page; PT_SYSTIME as a date', () => {
    const block = propBlock([{ tag: TAGS.BODY_A, value: 'Gr\u00fc\u00dfe' }, { tag: TAGS.CLIENT_SUBMIT_TIME, value: sent }], 'latin1');
    const props = readPropBlock(block, 'cp1252', 'x');
    expect(props.map((p) => p.value)).toEqual(['Grüße', sent]);
  });

  test.each([
    ['a count beyond the block', (b: Buffer) => { const c = Buffer.from(b); c.writeUInt32LE(1e6, 0); return c; }, /1000000 properties cannot fit/],
    ['an unknown property type', (b: Buffer) => { const c = Buffer.from(b); c.writeUInt16LE(0x0099, 4); return c; }, /unknown property type 0x0099/],
    ['a value past the end', (b: Buffer) => b.subarray(0, b.length - 3), /needs \d+ bytes, \d+ left/],
    ['stray bytes after the last property', (b: Buffer) => Buffer.concat([b, Buffer.from([9])]), /1 stray bytes after the last property/],
  ])('%s is a TnefError', (_w, damage, message) => {
    const b = damage(propBlock([{ tag: TAGS.SUBJECT, value: 'x' }, { tag: TAGS.BODY, value: 'body' }]));
    expect(() => readPropBlock(b, 'cp1252', 'attMsgProps at offset 9')).toThrow(TnefError);
    expect(() => readPropBlock(b, 'cp1252', 'attMsgProps at offset 9')).toThrow(message);
  });
});

describe('TNEF message → MailMessage', () => {
  test('body, recipients, attachments with their long names, types and content ids, the embedded message', () => {
    const t = parseTnef(writeTnef(full));
    expect(t.legacy).toMatchObject({ subject: 'legacy subject', dateSent: sent, messageClass: 'IPM.Microsoft Mail.Note' });
    expect(t.recipients).toHaveLength(2);
    expect(t.attachments.map((a) => a.title)).toEqual(['GRSSE~1.PDF', 'OTCHET.DOC', 'logo.png', 'only-title.txt', undefined]);
    const { message: m, attachments, embedded, warnings } = tnefToMail(t, 'winmail.dat');
    expect(warnings).toEqual([]);
    expect([attachments, embedded]).toEqual([5, 1]);
    expect(m).toMatchObject({ subject: 'Grüße – отчёт', bodyText: 'plain body', importance: 'high', date: sent });
    expect(m.to).toEqual([{ name: 'Иван', address: 'ivan@example.ru' }]);
    expect(m.cc).toEqual([{ name: 'Cc Person', address: 'cc@example.org' }]);
    expect(m.rtfCompressed).toEqual(lzfu('{\\rtf1\\ansi plain}'));
    const [pdf, docx, logo, titled, msg] = m.attachments!;
    expect(pdf).toEqual({ filename: 'Grüße.pdf', mimeType: 'application/pdf', data: Buffer.from('%PDF-1.4 Grüße') });
    expect(docx).toMatchObject({ filename: 'отчёт.docx', data: Buffer.from('PK\u0003\u0004docx') });
    expect(logo).toMatchObject({ filename: 'logo.png', contentId: 'logo@local', inline: true });
    expect(titled).toMatchObject({ filename: 'only-title.txt', data: Buffer.from('title only') });
    expect(msg?.filename).toBe('Протокол встречи');
    expect(msg?.message).toMatchObject({
      subject: 'Протокол встречи', bodyText: 'inner body ü', messageId: '<inner@example.ru>',
      from: { name: 'Иван Петров', address: 'ivan@example.ru' }, to: [{ name: 'Jörg', address: 'joerg@example.de' }],
    });
  });

  test('legacy attributes stand in for missing properties', () => {
    const { message } = tnefToMail(parseTnef(writeTnef({ subject: 'only legacy', body: 'legacy body', dateSent: sent })), 'w');
    expect(message).toMatchObject({ subject: 'only legacy', bodyText: 'legacy body', date: sent });
  });

  test('an embedded message that cannot be read is kept as its raw stream, with a warning', () => {
    const attrs = messageAttributes({ attachments: [{ props: [{ tag: TAGS.DISPLAY_NAME, value: 'Fwd' }], embedded: { subject: 'x' } }] });
    const raw = Buffer.concat([tnefHead(), ...attrs]);
    // damage the embedded stream's signature (inside the attAttachment block, whose own checksum is rewritten)
    const i = raw.indexOf(Buffer.from('789f3e22', 'hex'), 8);
    const inner2 = Buffer.from(raw);
    inner2.writeUInt32LE(0xdeadbeef, i);
    const last = attrs[attrs.length - 1]!;
    const data = inner2.subarray(inner2.length - last.length + 9, inner2.length - 2);
    const fixed = Buffer.concat([tnefHead(), ...attrs.slice(0, -1), attribute(LVL_ATTACHMENT, ATT.Attachment, data)]);
    const t = parseTnef(fixed);
    expect(t.attachments[0]?.embeddedError).toMatch(/not a TNEF stream: signature 0xdeadbeef/);
    const mail = tnefToMail(t, 'winmail.dat');
    expect(mail.message.attachments?.[0]).toMatchObject({ filename: 'Fwd.tnef', mimeType: 'application/ms-tnef' });
    expect(mail.warnings).toEqual([expect.stringMatching(/^winmail\.dat: attachment 1 \("Fwd"\): an attached message that cannot be read \(not a TNEF stream.*kept as its raw TNEF stream$/)]);
  });

  test('an attachment by value without any data is an error naming it; a link becomes a note', () => {
    const noData = parseTnef(writeTnef({ attachments: [{ title: 'lost.pdf' }] }));
    expect(() => tnefToMail(noData, 'winmail.dat')).toThrow(/^winmail\.dat: attachment 1 \("lost\.pdf"\) has no data \(attach method 1\)$/);
    const link = parseTnef(writeTnef({ attachments: [{ props: [{ tag: TAGS.ATTACH_LONG_FILENAME, value: 'plan.xlsx' }, { tag: TAGS.ATTACH_METHOD, value: 2 }, { tag: TAGS.ATTACH_LONG_PATHNAME, value: '\\\\srv\\share\\plan.xlsx' }] }] }));
    const mail = tnefToMail(link, 'winmail.dat');
    expect(mail.message.attachments?.[0]).toMatchObject({ filename: 'plan.xlsx (link).txt', mimeType: 'text/plain' });
    expect(mail.message.attachments?.[0]?.data?.toString()).toContain('\\\\srv\\share\\plan.xlsx');
    expect(mail.warnings).toEqual(['winmail.dat: attachment 1 ("plan.xlsx"): a link, not a copy (\\\\srv\\share\\plan.xlsx): a note naming it is attached instead']);
  });
});
