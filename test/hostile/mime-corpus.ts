/**
 * Hostile RFC 5322 / MIME messages: broken structure, hostile header values (terminal escapes in
 * Subject, Message-ID and header names, encoded words that decode to CRLF injections), bytes no
 * charset allows, sizes at the limits, and seeded mutations of well-formed messages. Each is a
 * message a real server stores and a migration must copy byte for byte (or fail with a reason).
 */
import { generateCorpus } from '../lab/corpus.js';
import { Rng, TERMINAL_ATTACKS, mutate } from './payloads.js';

export interface HostileMessage {
  name: string;
  raw: Buffer;
  flags: string[];
  internalDate: Date;
}

const CRLF = '\r\n';
const b64word = (s: string): string => `=?UTF-8?B?${Buffer.from(s, 'utf8').toString('base64')}?=`;
const head = (extra: string[], mid = true, n = 0): string[] => [
  'From: Hostile Sender <hostile@example.net>',
  'To: victim@example.org',
  'Date: Mon, 1 Jan 2024 10:00:00 +0000',
  ...(mid ? [`Message-ID: <hostile.${n}@example.net>`] : []),
  ...extra,
];
const msg = (lines: string[], body = 'body'): string => `${lines.join(CRLF)}${CRLF}${CRLF}${body}${CRLF}`;

function nested(depth: number): string {
  let body = 'innermost';
  for (let d = depth; d > 0; d--) body = `--b${d}${CRLF}Content-Type: multipart/mixed; boundary="b${d + 1}"${CRLF}${CRLF}${body}${CRLF}--b${d}--`;
  return body;
}

/** The corpus: hand-made cases first, then `fuzz` seeded mutations of generated messages. */
export function hostileMessages(opts: { fuzz?: number; seed?: number } = {}): HostileMessage[] {
  const rng = new Rng(opts.seed ?? 1313);
  const out: HostileMessage[] = [];
  let n = 0;
  const add = (name: string, raw: string | Buffer, flags: string[] = ['\\Seen'], internalDate = new Date(Date.UTC(2024, 0, 1, 10, 0, n))): void => {
    out.push({ name, raw: Buffer.isBuffer(raw) ? raw : Buffer.from(raw, 'utf8'), flags, internalDate });
    n++;
  };
  const t = TERMINAL_ATTACKS;
  add('body only, no header at all', `just a body line${CRLF}and another${CRLF}`);
  add('headers only, no blank line, no body', head([], true, n).join(CRLF));
  add('100 KB Subject line', msg(head([`Subject: ${'A'.repeat(100_000)}`], true, n)));
  add('3000 header fields', msg(head(Array.from({ length: 3000 }, (_, i) => `X-Spam-${i}: ${i}`), true, n)));
  add('header line without a colon', msg([...head([], true, n), 'This is not a header']));
  add('message starts with a folded continuation line', msg([' folded before any field', ...head([], true, n)]));
  add('Message-ID with terminal escapes', msg(head([`Message-ID: <${t.titleChange}${t.clearScreen}@evil.example>`], false)));
  add('20 KB Message-ID', msg(head([`Message-ID: <${'m'.repeat(20_000)}@example.net>`], false)));
  add('three different Message-IDs', msg(head(['Message-ID: <one@x>', 'Message-ID: <two@x>', 'Message-ID: <three@x>'], false)));
  add('Message-ID without brackets, with spaces', msg(head(['Message-ID: not a valid id  at all'], false)));
  add('empty Message-ID', msg(head(['Message-ID:'], false)));
  add('encoded-word Message-ID', msg(head([`Message-ID: ${b64word('<enc@x>')}`], false)));
  add('Subject encoded word decoding to terminal escapes', msg(head([`Subject: ${b64word(`${t.titleChange}${t.clearScreen}${t.c1Csi}`)}`], true, n)));
  add('Subject with raw ESC and BEL bytes', msg(head([`Subject: raw ${t.titleChange} ${t.bell}`], true, n)));
  add('Subject with bidi override and C1 controls (raw UTF-8)', msg(head([`Subject: ${t.rtlOverride} ${t.c1Csi} ${t.isolate}`], true, n)));
  add('From encoded word decoding to a CRLF header injection', msg([`From: ${b64word('Eve\r\nBcc: all@example.org\r\n')} <eve@example.net>`, 'To: v@example.org', `Message-ID: <inj.${n}@x>`]));
  add('header name with an escape sequence', msg(head([`X-\x1b[2J: value`], true, n)));
  add('invalid UTF-8 in headers', Buffer.concat([Buffer.from(`${head([], true, n).join(CRLF)}${CRLF}Subject: `), Buffer.from([0xff, 0xfe, 0xc3, 0x28, 0xe2, 0x82]), Buffer.from(`${CRLF}${CRLF}body${CRLF}`)]));
  add('raw Latin-1 header declared UTF-8', Buffer.concat([Buffer.from(`${head(['Content-Type: text/plain; charset=utf-8'], true, n).join(CRLF)}${CRLF}Subject: `), Buffer.from('Grüße Müller', 'latin1'), Buffer.from(`${CRLF}${CRLF}body${CRLF}`)]));
  add('NUL bytes in a header', msg(head([`Subject: nul${t.nul}in${t.nul}header`], true, n)));
  add('NUL bytes in the body', msg(head([], true, n), `before\x00\x00\x00after`));
  add('bare CR line ends in the body (old Mac)', msg(head([], true, n), 'line one\rline two\rline three\r'));
  add('mixed LF, CR and CRLF line ends', `${head([], true, n).join('\n')}\r\n\rbody\nline\r\nend`);
  add('ends in the middle of a header', `${head([], true, n).join(CRLF)}${CRLF}Subject: cut he`);
  add('multipart without a boundary parameter', msg(head(['MIME-Version: 1.0', 'Content-Type: multipart/mixed'], true, n), '--x\r\n\r\npart\r\n--x--'));
  add('multipart whose boundary never appears', msg(head(['MIME-Version: 1.0', 'Content-Type: multipart/mixed; boundary="nowhere"'], true, n), 'no parts here'));
  add('multipart nested 150 deep', msg(head(['MIME-Version: 1.0', 'Content-Type: multipart/mixed; boundary="b1"'], true, n), nested(150)));
  add('2000 empty parts', msg(head(['MIME-Version: 1.0', 'Content-Type: multipart/mixed; boundary="p"'], true, n), `${'--p\r\n\r\n'.repeat(2000)}--p--`));
  add('base64 part with garbage', msg(head(['MIME-Version: 1.0', 'Content-Transfer-Encoding: base64'], true, n), '!!!!not*base64%%%%\r\n====\r\nQUJD\x1b'));
  add('quoted-printable with invalid escapes', msg(head(['MIME-Version: 1.0', 'Content-Transfer-Encoding: quoted-printable'], true, n), 'bad =ZZ escape =\r\n=0'));
  add('charset naming a path, unknown encoding', msg(head(['MIME-Version: 1.0', 'Content-Type: text/plain; charset="../../../etc/passwd"', 'Content-Transfer-Encoding: x-evil'], true, n)));
  add('Content-Type with 2000 parameters', msg(head(['MIME-Version: 1.0', `Content-Type: text/plain; ${Array.from({ length: 2000 }, (_, i) => `p${i}=v${i}`).join('; ')}`], true, n)));
  add('absurd Date header', msg([...head([], true, n).filter((l) => !l.startsWith('Date:')), 'Date: Fri, 31 Feb 99999 25:61:61 +9999']));
  add('INTERNALDATE in 1970', msg(head([], true, n)), ['\\Seen'], new Date(Date.UTC(1970, 0, 2)));
  add('INTERNALDATE in 2099', msg(head([], true, n)), [], new Date(Date.UTC(2099, 11, 31, 23, 59, 59)));
  add('one 1 MB line without a line break', msg(head([], true, n), 'x'.repeat(1024 * 1024)));
  add('2.5 MB message (over one read chunk)', msg(head([], true, n), `${'y'.repeat(76)}\r\n`.repeat(33_000)));
  add('UTF-16 byte order mark before the headers', Buffer.concat([Buffer.from([0xfe, 0xff]), Buffer.from(msg(head([], true, n)))]));
  add('mbox "From " line first', `From hostile@example.net Mon Jan  1 10:00:00 2024${CRLF}${msg(head([], true, n))}`);
  add('truncated message/rfc822 part', msg(head(['MIME-Version: 1.0', 'Content-Type: message/rfc822'], true, n), 'From: inner@x\r\nSubject: cut'));
  add('odd but legal keywords, 40 of them', msg(head([], true, n)), ['\\Flagged', ...Array.from({ length: 40 }, (_, i) => `$kw.${i}-x_y`)]);
  add('50-character keyword (the longest Dovecot keeps)', msg(head([], true, n)), [`k${'w'.repeat(49)}`]);
  const base = generateCorpus({ messages: Math.max(1, opts.fuzz ?? 10), maxSize: 16 * 1024, seed: opts.seed ?? 1313 });
  base.forEach((m, i) => add(`seeded mutation ${i + 1}`, mutate(m.raw, rng, 6 + (i % 5)), m.flags, m.internalDate));
  return out;
}
