/**
 * The synchronous MIME writer (mime-serialize.ts) writes what nodemailer's streams write: the
 * encoders against nodemailer's own on random text and binary data, and whole messages built
 * both ways (buildMime vs buildMimeWithStreams) from generated messages: bodies of every kind
 * (ASCII, long lines, Latin-1, CJK, control characters, trailing spaces, CR/LF mixes), RTF,
 * attachments of every size modulo 3, inline images, embedded messages, odd names.
 */
import { Readable } from 'node:stream';
import MimeNode from 'nodemailer/lib/mime-node/index.js';
import base64 from 'nodemailer/lib/base64/index.js';
import qp from 'nodemailer/lib/qp/index.js';
import type { MailAttachment, MailMessage } from '../../src/model/mail-message.js';
import { seededRandom } from '../../src/util/seeded-random.js';
import { buildMime, buildMimeWithStreams } from './build-mime.js';
import { base64Encode, normalizeHeaderKeyUncached, qpEncode, qpWrap } from './mime-serialize.js';

/** What one of nodemailer's encoder streams writes for `data` given as one chunk. */
async function viaStream(encoder: NodeJS.ReadWriteStream, data: Buffer): Promise<string> {
  const chunks: Buffer[] = [];
  await new Promise<void>((resolve, reject) => {
    encoder.on('data', (c: Buffer | string) => chunks.push(Buffer.from(c)));
    encoder.on('end', resolve);
    encoder.on('error', reject);
    Readable.from([data]).pipe(encoder);
  });
  return Buffer.concat(chunks).toString('latin1');
}

const PIECES = ['Hello', ' ', '\t', '\r\n', '\n', '\r', '.', ',', '=', 'ä', 'ö', 'ß', 'é', '日本語', '😀', 'Ж', '\u0001', '\u001f',
  'x'.repeat(80), ' '.repeat(5), 'word ', 'a=b', '==', '=3D', '\u00a0', 'Lorem ipsum dolor sit amet, consectetur adipiscing elit. '];

function text(random: () => number, max: number): string {
  let s = '';
  const n = Math.floor(random() * max);
  for (let i = 0; i < n; i++) s += PIECES[Math.floor(random() * PIECES.length)];
  return s;
}

const bytes = (random: () => number, n: number): Buffer => Buffer.from(Array.from({ length: n }, () => Math.floor(random() * 256)));

describe('encoders', () => {
  test('quoted-printable: nodemailer\'s encode and wrap, and its stream for one chunk', async () => {
    const random = seededRandom(7);
    for (let n = 0; n < 3000; n++) {
      const data = n % 4 === 0 ? bytes(random, Math.floor(random() * 400)) : Buffer.from(text(random, n % 3 === 0 ? 200 : 60), 'utf8');
      expect(qpEncode(data).toString('latin1')).toBe(qp.encode(data));
      expect(qpWrap(qpEncode(data)).toString('latin1')).toBe(qp.wrap(qp.encode(data), 76));
      if (n % 30 === 0 && data.length > 0) expect(qpWrap(qpEncode(data)).toString('latin1')).toBe(await viaStream(new qp.Encoder(), data));
    }
  });

  test('quoted-printable wrap: every cut nodemailer makes (line ends, spaces and punctuation, escapes, UTF-8 runs)', () => {
    const random = seededRandom(17);
    const atoms = ['a', 'b', ' ', '\t', '.', ',', '!', '?', '\r\n', '\n', '\r', 'é', '€', '😀', '日', '\u00ff', '=', '\u0000', 'x'.repeat(70)];
    for (let n = 0; n < 4000; n++) {
      let s = '';
      const len = Math.floor(random() * 300);
      while (s.length < len) s += atoms[Math.floor(random() * atoms.length)];
      const data = Buffer.from(s, random() < 0.5 ? 'utf8' : 'latin1');
      expect(qpWrap(qpEncode(data)).toString('latin1')).toBe(qp.wrap(qp.encode(data), 76));
    }
  });

  test('base64: nodemailer\'s stream for one chunk, for every length modulo 3 and around line ends', async () => {
    const random = seededRandom(8);
    for (const n of [0, 1, 2, 3, 56, 57, 58, 59, 114, 171, 1000, 1001, 1002, 77824, 77825, 200000]) {
      const data = bytes(random, n);
      expect(base64Encode(data).toString('latin1')).toBe(n === 0 ? '' : await viaStream(new base64.Encoder(), data));
    }
  });
});

function message(random: () => number, depth = 0): MailMessage {
  const pick = <T>(list: T[]): T => list[Math.floor(random() * list.length)]!;
  const maybe = <T>(v: T): T | undefined => (random() < 0.6 ? v : undefined);
  const attachments: MailAttachment[] = [];
  const nAtt = Math.floor(random() * 4);
  for (let i = 0; i < nAtt; i++) {
    if (depth < 2 && random() < 0.2) { attachments.push({ filename: maybe(text(random, 3)), message: message(random, depth + 1) }); continue; }
    const kind = pick(['text/plain', 'image/png', 'application/pdf', undefined]);
    attachments.push({
      filename: maybe(pick(['a.txt', 'Bericht über Ä.pdf', 'x;y=z "q".bin', '日本語.png', text(random, 4)])),
      mimeType: kind,
      data: kind === 'text/plain' ? Buffer.from(text(random, 200), 'utf8') : bytes(random, Math.floor(random() * 5000)),
      contentId: maybe(`cid${i}@x`),
      inline: random() < 0.3,
    });
  }
  const transport = ['Received: from mx.example.org by mail.example.com; Tue, 2 Feb 2021 10:00:00 +0000', 'From: "Orig" <orig@example.org>',
    'To: a@example.com, b@example.com', 'Cc: c@example.com', 'Subject: =?utf-8?q?orig?=', 'Date: Tue, 2 Feb 2021 10:00:00 +0000',
    'Message-ID: <orig@example.org>', 'MIME-Version: 1.0', 'Content-Type: multipart/mixed; boundary="x"', 'X-Mailer: Outlook'];
  const headers = random() < 0.5 ? transport.filter(() => random() < 0.6).join('\r\n') : undefined;
  return {
    transportHeaders: headers || undefined,
    subject: maybe(text(random, 8)),
    from: maybe({ name: maybe(text(random, 3)), address: 'from@example.org' }),
    to: maybe([{ name: maybe('Иван Петров'), address: 'ivan@example.ru' }, { address: 'x@example.com' }]),
    cc: maybe([{ name: 'Smith, John', address: 'john@example.com' }]),
    bcc: maybe([{ address: 'hidden@example.org' }]),
    date: maybe(new Date(Date.UTC(2020, 1, 2, 3, 4, Math.floor(random() * 60)))),
    messageId: maybe('<id@example.org>'),
    bodyText: maybe(text(random, 300)),
    bodyHtml: maybe(`<html><body><p>${text(random, 200)}</p>${attachments[0]?.contentId ? `<img src="cid:${attachments[0].contentId}">` : ''}</body></html>`),
    importance: pick(['high', 'low', 'normal', undefined]),
    attachments: attachments.length ? attachments : undefined,
  };
}

describe('buildMime writes what nodemailer\'s streams write (given every field, with or without the original header)', () => {
  test('generated messages', async () => {
    const random = seededRandom(99);
    for (let n = 0; n < 150; n++) {
      const m = message(random);
      const mine = await buildMime(m);
      const theirs = await buildMimeWithStreams(m);
      expect(mine.toString('latin1')).toBe(theirs.toString('latin1'));
    }
  });

  test('single-part base64 bodies of every length around full lines (the final line break)', async () => {
    for (let n = 1; n <= 130; n++) {
      const m: MailMessage = { subject: 's', bodyText: 'Ж'.repeat(n) };
      expect((await buildMime(m)).toString('latin1')).toBe((await buildMimeWithStreams(m)).toString('latin1'));
    }
  });

  test('a body of exactly one line, empty bodies and an empty attachment', async () => {
    for (const m of [{ bodyText: 'x'.repeat(76) }, { bodyText: '' }, {}, { bodyHtml: '<p></p>', attachments: [{ filename: 'e', data: Buffer.alloc(0) }] }] as MailMessage[]) {
      expect((await buildMime(m)).toString('latin1')).toBe((await buildMimeWithStreams(m)).toString('latin1'));
    }
  });
});

test('header keys are normalized as nodemailer does, the answers kept (the same on a second ask)', () => {
  const node = new MimeNode('text/plain');
  const normalize = (key: unknown): string => (node as unknown as { _normalizeHeaderKey(k: unknown): string })._normalizeHeaderKey(key);
  expect((MimeNode.prototype as unknown as { _normalizeHeaderKey: unknown })._normalizeHeaderKey).not.toBe(normalizeHeaderKeyUncached);
  const keys = ['content-type', 'CONTENT-TRANSFER-ENCODING', ' x-smtpapi ', 'mime-version', 'dkim-signature', 'arc-seal', 'bimi-selector',
    'x-spam-spf', 'x-fbl', 'message-id', 'content-md5', 'content-features', 'x-ms-has-attach', 'subject\r\nbcc', '', 'x', '-a-b-'];
  for (const key of [...keys, ...keys]) expect([key, normalize(key)]).toEqual([key, normalizeHeaderKeyUncached.call(node, key)]);
  expect(normalize('content-type')).toBe('Content-Type');
  expect(normalize('mime-version')).toBe('MIME-Version');
  expect(normalize(undefined)).toBe(normalizeHeaderKeyUncached.call(node, undefined));
  node.setHeader('x-custom-id', 'v');
  expect(node.getHeader('X-CUSTOM-ID')).toBe('v');
});
