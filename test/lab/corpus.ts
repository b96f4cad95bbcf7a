/**
 * Deterministic synthetic mail corpus (pure: same options -> same bytes) and a seeder that
 * APPENDs it to the lab's Dovecot (the migration source).
 */
import { readFileSync } from 'node:fs';
import { ImapFlow } from 'imapflow';
import type { Lab } from './lab.js';
import { seededRandom } from '../../src/util/seeded-random.js';

export interface CorpusMessage {
  /** Decoded folder path segments, e.g. `['INBOX']` or `['Archive', '2019']`. */
  folder: string[];
  raw: Buffer;
  flags: string[];
  internalDate: Date;
  /** The Message-ID header value (with angle brackets), undefined when the message has none. */
  messageId?: string;
  /** Set on the deliberate edge cases. */
  edgeCase?: CorpusEdgeCase;
}

export type CorpusEdgeCase =
  | 'no-message-id'
  | 'shared-message-id'
  | 'identical-copy'
  | 'utf8-headers'
  | 'bare-lf'
  | 'no-final-crlf';

export interface CorpusOptions {
  messages: number;
  /** Folder paths with `/` as the hierarchy separator, e.g. `'Projects/Q3'`. Default: DEFAULT_FOLDERS. */
  folders?: string[];
  /** Largest message size in bytes (default 1 MiB). Most messages are 2-20 KB. */
  maxSize?: number;
  seed?: number;
}

export const DEFAULT_FOLDERS: readonly string[] = [
  'INBOX',
  'Sent',
  'Drafts',
  'Trash',
  'Junk',
  'Archive',
  'Archive/2019',
  'Projects/Q3',
  'Отправленные',
  'Entwürfe',
  'Réunions',
];

const FOLDER_WEIGHTS: Record<string, number> = {
  INBOX: 40,
  Sent: 14,
  Drafts: 3,
  Trash: 5,
  Junk: 4,
  Archive: 7,
  'Archive/2019': 6,
  'Projects/Q3': 6,
  Отправленные: 6,
  Entwürfe: 3,
  Réunions: 6,
};

const CRLF = '\r\n';
const DATE_FROM = Date.UTC(2019, 0, 1);
const DATE_TO = Date.UTC(2026, 5, 30);

class Rng {
  private readonly next: () => number;
  constructor(seed: number) {
    this.next = seededRandom(seed);
  }
  float(): number {
    return this.next();
  }
  /** Integer in [min, max]. */
  int(min: number, max: number): number {
    return min + Math.floor(this.next() * (max - min + 1));
  }
  chance(p: number): boolean {
    return this.next() < p;
  }
  pick<T>(items: readonly T[]): T {
    const item = items[Math.floor(this.next() * items.length)];
    if (item === undefined) throw new Error('pick from empty list');
    return item;
  }
  hex(bytes: number): string {
    let out = '';
    for (let i = 0; i < bytes; i++) out += this.int(0, 255).toString(16).padStart(2, '0');
    return out;
  }
  bytes(length: number): Buffer {
    const buf = Buffer.allocUnsafe(length);
    let i = 0;
    for (; i + 4 <= length; i += 4) buf.writeUInt32LE(Math.floor(this.next() * 4294967296), i);
    for (; i < length; i++) buf[i] = this.int(0, 255);
    return buf;
  }
}

const PEOPLE = [
  { name: 'Anna Schmidt', addr: 'anna.schmidt@example.org' },
  { name: 'Jürgen Müller', addr: 'juergen.mueller@example.de' },
  { name: 'Дмитрий Иванов', addr: 'dmitry@example.ru' },
  { name: 'Zoë Ångström', addr: 'zoe@example.se' },
  { name: 'Bob Miller', addr: 'bob@example.com' },
  { name: 'Claire Dubois', addr: 'claire.dubois@example.fr' },
  { name: 'Kenji Sato', addr: 'kenji@example.jp' },
  { name: 'Support', addr: 'support@vendor.example' },
  { name: 'Newsletter', addr: 'news@lists.example.net' },
];
const OWNER = { name: 'Lab User', addr: 'user@ums-lab.test' };

const SUBJECTS = [
  'Quarterly report',
  'Meeting notes',
  'Re: Budget 2024',
  'Invoice #{n}',
  'Lunch on Friday?',
  'Projektplan Q3 – Entwurf',
  'Besprechung am Montag',
  'Отчёт за месяц',
  'Réunion de lancement',
  'Your order has shipped',
  'Fwd: contract draft',
  'Urlaubsvertretung',
  'Weekly digest #{n}',
  '会議の議事録',
];

const WORDS = (
  'the of and to in is that for it as with was on be at by this had not are but from or have an they which ' +
  'one you were all we when there can more if no out so said what up its about into than them only other ' +
  'migration mailbox server folder message project budget report meeting schedule invoice contract review ' +
  'und der die das ist nicht mit für auf Grüße Änderung Übersicht schön ' +
  'и в не на что это как Привет отчёт письмо ' +
  'réunion été déjà prévu'
).split(' ');

function hasNonAscii(s: string): boolean {
  return /[^\x20-\x7e]/.test(s);
}

/** RFC 2047 B-encoding (UTF-8), split into encoded-words of at most ~45 input bytes. */
function encodeWord(s: string): string {
  if (!hasNonAscii(s)) return s;
  const words: string[] = [];
  let chunk = '';
  for (const ch of s) {
    if (Buffer.byteLength(chunk + ch) > 45) {
      words.push(chunk);
      chunk = '';
    }
    chunk += ch;
  }
  if (chunk) words.push(chunk);
  return words.map((w) => `=?UTF-8?B?${Buffer.from(w, 'utf8').toString('base64')}?=`).join(`${CRLF} `);
}

function address(p: { name: string; addr: string }): string {
  return `${hasNonAscii(p.name) ? encodeWord(p.name) : `"${p.name}"`} <${p.addr}>`;
}

function rfc2822Date(d: Date, offsetMinutes: number): string {
  const local = new Date(d.getTime() + offsetMinutes * 60_000);
  const days = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
  const months = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
  const pad = (n: number) => String(n).padStart(2, '0');
  const sign = offsetMinutes < 0 ? '-' : '+';
  const abs = Math.abs(offsetMinutes);
  return (
    `${days[local.getUTCDay()]}, ${local.getUTCDate()} ${months[local.getUTCMonth()]} ${local.getUTCFullYear()} ` +
    `${pad(local.getUTCHours())}:${pad(local.getUTCMinutes())}:${pad(local.getUTCSeconds())} ` +
    `${sign}${pad(Math.floor(abs / 60))}${pad(abs % 60)}`
  );
}

/** Quoted-printable for UTF-8 text, lines of at most 76 chars, CRLF line breaks. */
function quotedPrintable(text: string): string {
  const out: string[] = [];
  for (const line of text.split(CRLF)) {
    let encoded = '';
    const bytes = Buffer.from(line, 'utf8');
    for (let i = 0; i < bytes.length; i++) {
      const b = bytes[i] as number;
      const last = i === bytes.length - 1;
      const literal = (b >= 33 && b <= 126 && b !== 61) || (b === 32 && !last);
      encoded += literal ? String.fromCharCode(b) : `=${b.toString(16).toUpperCase().padStart(2, '0')}`;
    }
    while (encoded.length > 76) {
      let cut = 75;
      // never split an =XX escape
      if (encoded[cut - 1] === '=') cut -= 1;
      else if (encoded[cut - 2] === '=') cut -= 2;
      out.push(`${encoded.slice(0, cut)}=`);
      encoded = encoded.slice(cut);
    }
    out.push(encoded);
  }
  return out.join(CRLF);
}

function base64Lines(data: Buffer): string {
  const b64 = data.toString('base64');
  const lines: string[] = [];
  for (let i = 0; i < b64.length; i += 76) lines.push(b64.slice(i, i + 76));
  return lines.join(CRLF);
}

/** Text of about `approxBytes` bytes *after* quoted-printable encoding (CRLF lines <= 72 chars). */
function paragraphText(rng: Rng, approxBytes: number): string {
  const lines: string[] = [];
  let size = 0;
  let line = '';
  const flush = () => {
    lines.push(line);
    size += quotedPrintable(line).length + 2;
    line = '';
  };
  while (size < approxBytes) {
    const word = rng.pick(WORDS);
    if (line.length + word.length + 1 > 72) {
      flush();
      if (rng.chance(0.12)) {
        lines.push('');
        size += 2;
      }
    }
    line = line ? `${line} ${word}` : word;
  }
  if (line) lines.push(line);
  return lines.join(CRLF);
}

function htmlEscape(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

function pickSize(rng: Rng, maxSize: number): number {
  const r = rng.float();
  const big = Math.max(Math.floor(maxSize * 0.97), 2048);
  if (r < 0.04 && big > 100 * 1024) return rng.int(100 * 1024, big);
  if (r < 0.12) return Math.min(big, rng.int(20 * 1024, 100 * 1024));
  return Math.min(big, rng.int(2 * 1024, 20 * 1024));
}

interface BuildArgs {
  rng: Rng;
  index: number;
  folder: string;
  date: Date;
  size: number;
  messageId: string | undefined;
  subject?: string;
}

/** Builds a regular RFC 5322 message of roughly `size` bytes (CRLF, final CRLF). */
function buildMessage({ rng, index, folder, date, size, messageId, subject: fixedSubject }: BuildArgs): string {
  const outgoing = folder === 'Sent' || folder === 'Отправленные' || folder === 'Drafts' || folder === 'Entwürfe';
  const other = rng.pick(PEOPLE);
  const from = outgoing ? OWNER : other;
  const to = outgoing ? other : OWNER;
  const subject = fixedSubject ?? rng.pick(SUBJECTS).replace('{n}', String(1000 + index));
  const offset = rng.pick([0, 60, 120, 180, -300, 540]);
  const headerDate = new Date(date.getTime() - rng.int(0, 600) * 1000);
  const headers: string[] = [
    `From: ${address(from)}`,
    `To: ${address(to)}`,
  ];
  if (rng.chance(0.2)) headers.push(`Cc: ${address(rng.pick(PEOPLE))}`);
  headers.push(`Subject: ${encodeWord(subject)}`, `Date: ${rfc2822Date(headerDate, offset)}`);
  if (messageId !== undefined) headers.push(`Message-ID: ${messageId}`);
  if (subject.startsWith('Re:')) {
    const parent = `<${rng.hex(8)}@corpus.ums-lab.test>`;
    headers.push(`In-Reply-To: ${parent}`, `References: ${parent}`);
  }
  headers.push('MIME-Version: 1.0', `X-Corpus-Index: ${index}`);

  const headerBytes = Buffer.byteLength(headers.join(CRLF)) + 200;
  const room = Math.max(256, size - headerBytes);
  const attachment = size > 40 * 1024 && rng.chance(0.85);
  const textBytes = attachment ? Math.min(room, rng.int(300, 4000)) : room;
  const text = paragraphText(rng, textBytes);
  const body: string[] = [];

  if (attachment) {
    const boundary = `=_mixed_${rng.hex(8)}`;
    const binSize = Math.max(64, Math.floor(((size - headerBytes - textBytes - 400) * 3) / 4 / 1.027));
    const name = rng.pick(['report.pdf', 'photo.jpg', 'Übersicht.xlsx', 'data.bin', 'Отчёт.docx']);
    const ctype = name.endsWith('.pdf') ? 'application/pdf' : name.endsWith('.jpg') ? 'image/jpeg' : 'application/octet-stream';
    headers.push(`Content-Type: multipart/mixed; boundary="${boundary}"`);
    body.push(
      'This is a multi-part message in MIME format.',
      '',
      `--${boundary}`,
      'Content-Type: text/plain; charset=utf-8',
      'Content-Transfer-Encoding: quoted-printable',
      '',
      quotedPrintable(text),
      `--${boundary}`,
      `Content-Type: ${ctype}; name="${encodeWord(name)}"`,
      'Content-Transfer-Encoding: base64',
      `Content-Disposition: attachment; filename="${encodeWord(name)}"`,
      '',
      base64Lines(rng.bytes(binSize)),
      `--${boundary}--`,
    );
  } else if (rng.chance(0.35)) {
    const boundary = `=_alt_${rng.hex(8)}`;
    const half = paragraphText(rng, Math.floor(textBytes * 0.45));
    headers.push(`Content-Type: multipart/alternative; boundary="${boundary}"`);
    body.push(
      `--${boundary}`,
      'Content-Type: text/plain; charset=utf-8',
      'Content-Transfer-Encoding: quoted-printable',
      '',
      quotedPrintable(half),
      `--${boundary}`,
      'Content-Type: text/html; charset=utf-8',
      'Content-Transfer-Encoding: quoted-printable',
      '',
      quotedPrintable(`<html><body><p>${htmlEscape(half).split(CRLF).join('<br>\r\n')}</p></body></html>`),
      `--${boundary}--`,
    );
  } else if (hasNonAscii(text)) {
    headers.push('Content-Type: text/plain; charset=utf-8', 'Content-Transfer-Encoding: quoted-printable');
    body.push(quotedPrintable(text));
  } else {
    headers.push('Content-Type: text/plain; charset=us-ascii', 'Content-Transfer-Encoding: 7bit');
    body.push(text);
  }
  return `${headers.join(CRLF)}${CRLF}${CRLF}${body.join(CRLF)}${CRLF}`;
}

function pickFlags(rng: Rng, folder: string): string[] {
  const flags = new Set<string>();
  if (folder === 'Drafts' || folder === 'Entwürfe') {
    flags.add('\\Draft');
    if (rng.chance(0.3)) flags.add('\\Seen');
  } else if (folder === 'Sent' || folder === 'Отправленные') {
    flags.add('\\Seen');
  } else if (rng.chance(folder === 'INBOX' ? 0.7 : 0.9)) {
    flags.add('\\Seen');
  }
  if (rng.chance(0.1)) flags.add('\\Flagged');
  if (folder !== 'Drafts' && folder !== 'Entwürfe' && rng.chance(0.15)) flags.add('\\Answered');
  if (rng.chance(0.05)) flags.add('$Forwarded');
  if (rng.chance(0.08)) flags.add('Work');
  if (rng.chance(0.05)) flags.add('$label1');
  return [...flags];
}

function pickDate(rng: Rng): Date {
  const t = DATE_FROM + Math.floor(rng.float() * (DATE_TO - DATE_FROM));
  return new Date(Math.floor(t / 1000) * 1000); // IMAP INTERNALDATE has second precision
}

/** `'Projects/Q3'` -> `['Projects', 'Q3']`. */
export function folderSegments(folder: string): string[] {
  return folder.split('/').filter((s) => s !== '');
}

/**
 * Generates a deterministic corpus. The first 8 messages (fewer if `messages` < 8) are the edge
 * cases, all in INBOX (or the first folder): no Message-ID, two different messages sharing one
 * Message-ID, two byte-identical copies, raw 8-bit UTF-8 headers, bare LF line endings, no final CRLF.
 */
export function generateCorpus(opts: CorpusOptions): CorpusMessage[] {
  const count = Math.max(0, Math.floor(opts.messages));
  const folders = opts.folders ?? [...DEFAULT_FOLDERS];
  if (folders.length === 0) throw new Error('generateCorpus: folders must not be empty');
  const maxSize = opts.maxSize ?? 1024 * 1024;
  const rng = new Rng(opts.seed ?? 1);
  const weights = folders.map((f) => FOLDER_WEIGHTS[f] ?? (f.toUpperCase() === 'INBOX' ? 40 : 6));
  const total = weights.reduce((a, b) => a + b, 0);
  const pickFolder = (): string => {
    let r = rng.float() * total;
    for (let i = 0; i < folders.length; i++) {
      r -= weights[i] as number;
      if (r < 0) return folders[i] as string;
    }
    return folders[folders.length - 1] as string;
  };
  const edgeFolder = folders.find((f) => f.toUpperCase() === 'INBOX') ?? (folders[0] as string);
  const newId = (i: number) => `<${rng.hex(6)}.${i}@corpus.ums-lab.test>`;
  const out: CorpusMessage[] = [];
  const push = (m: Omit<CorpusMessage, 'folder'> & { folder: string }) => {
    const { folder, ...rest } = m;
    out.push({ folder: folderSegments(folder), ...rest });
  };

  // ---- edge cases
  const edges: (() => void)[] = [
    () => {
      const date = pickDate(rng);
      const raw = buildMessage({ rng, index: 0, folder: edgeFolder, date, size: 3000, messageId: undefined, subject: 'No Message-ID here' });
      push({ folder: edgeFolder, raw: Buffer.from(raw, 'utf8'), flags: ['\\Seen'], internalDate: date, edgeCase: 'no-message-id' });
    },
    () => {
      const shared = `<shared.${rng.hex(6)}@corpus.ums-lab.test>`;
      for (const [i, subject] of [
        [1, 'Shared Message-ID, first message'],
        [2, 'Shared Message-ID, second (different) message'],
      ] as const) {
        const date = pickDate(rng);
        const raw = buildMessage({ rng, index: i, folder: edgeFolder, date, size: rng.int(2500, 6000), messageId: shared, subject });
        push({ folder: edgeFolder, raw: Buffer.from(raw, 'utf8'), flags: [], internalDate: date, messageId: shared, edgeCase: 'shared-message-id' });
      }
    },
    () => {
      const date = pickDate(rng);
      const id = newId(3);
      const raw = Buffer.from(buildMessage({ rng, index: 3, folder: edgeFolder, date, size: 4000, messageId: id, subject: 'Identical copy' }), 'utf8');
      for (let k = 0; k < 2; k++) {
        push({ folder: edgeFolder, raw: Buffer.from(raw), flags: ['\\Seen', '\\Flagged'], internalDate: new Date(date), messageId: id, edgeCase: 'identical-copy' });
      }
    },
    () => {
      const date = pickDate(rng);
      const id = newId(5);
      const raw = [
        'From: Иван Петров <ivan@example.ru>',
        `To: ${OWNER.name} <${OWNER.addr}>`,
        'Subject: Привет, как дела? Grüße aus München',
        `Date: ${rfc2822Date(date, 180)}`,
        `Message-ID: ${id}`,
        'MIME-Version: 1.0',
        'Content-Type: text/plain; charset=utf-8',
        'Content-Transfer-Encoding: 8bit',
        'X-Corpus-Index: 5',
        '',
        'Привет! Это письмо с заголовками в сыром UTF-8 (8-bit, без RFC 2047).',
        paragraphText(rng, 2000),
        '',
      ].join(CRLF);
      push({ folder: edgeFolder, raw: Buffer.from(raw, 'utf8'), flags: ['\\Seen'], internalDate: date, messageId: id, edgeCase: 'utf8-headers' });
    },
    () => {
      const date = pickDate(rng);
      const id = newId(6);
      const raw = buildMessage({ rng, index: 6, folder: edgeFolder, date, size: 3000, messageId: id, subject: 'Bare LF line endings' }).replace(/\r\n/g, '\n');
      push({ folder: edgeFolder, raw: Buffer.from(raw, 'utf8'), flags: [], internalDate: date, messageId: id, edgeCase: 'bare-lf' });
    },
    () => {
      const date = pickDate(rng);
      const id = newId(7);
      const raw = buildMessage({ rng, index: 7, folder: edgeFolder, date, size: 3000, messageId: id, subject: 'No final CRLF' }).replace(/(\r\n)+$/, '');
      push({ folder: edgeFolder, raw: Buffer.from(raw, 'utf8'), flags: ['\\Seen'], internalDate: date, messageId: id, edgeCase: 'no-final-crlf' });
    },
  ];
  for (const edge of edges) {
    if (out.length >= count) break;
    edge();
  }
  out.splice(count);

  // ---- regular messages
  for (let i = out.length; i < count; i++) {
    const folder = pickFolder();
    const date = pickDate(rng);
    const size = pickSize(rng, maxSize);
    const messageId = newId(i);
    const raw = buildMessage({ rng, index: i, folder, date, size, messageId });
    push({ folder, raw: Buffer.from(raw, 'utf8'), flags: pickFlags(rng, folder), internalDate: date, messageId });
  }
  return out;
}

/** Folder key for counting: segments joined with '/'. */
export function folderKey(folder: readonly string[]): string {
  return folder.join('/');
}

/** Number of messages per folder (key: segments joined with '/'). */
export function countByFolder(messages: readonly CorpusMessage[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const m of messages) counts.set(folderKey(m.folder), (counts.get(folderKey(m.folder)) ?? 0) + 1);
  return counts;
}

export interface SeedOptions {
  /** Parallel IMAP connections (default 4; Dovecot allows 50 per user+IP in the lab). */
  connections?: number;
}

function sourceClient(lab: Lab, login: string, password: string): ImapFlow {
  return new ImapFlow({
    host: lab.source.host,
    port: lab.source.tlsPort,
    secure: true,
    auth: { user: login, pass: password },
    tls: { ca: [caPem(lab.source.caFile)] },
    logger: false,
    disableAutoIdle: true,
  });
}

const caCache = new Map<string, Buffer>();
function caPem(file: string): Buffer {
  let pem = caCache.get(file);
  if (!pem) {
    pem = readFileSync(file);
    caCache.set(file, pem);
  }
  return pem;
}

/**
 * APPENDs `messages` to the Dovecot user (over IMAPS, CA verified), creating folders first and
 * preserving flags and INTERNALDATE. All messages of one folder go through one connection, in
 * corpus order, so UIDs follow the corpus order within each folder.
 */
export async function seedSource(lab: Lab, login: string, password: string, messages: readonly CorpusMessage[], opts: SeedOptions = {}): Promise<void> {
  const byFolder = new Map<string, { folder: string[]; items: CorpusMessage[]; bytes: number }>();
  for (const m of messages) {
    const key = folderKey(m.folder);
    let entry = byFolder.get(key);
    if (!entry) {
      entry = { folder: m.folder, items: [], bytes: 0 };
      byFolder.set(key, entry);
    }
    entry.items.push(m);
    entry.bytes += m.raw.length + 2000; // + per-command overhead
  }

  // Create the folders (parents first) on one connection; the delimiter comes from LIST.
  // imapflow takes decoded (UTF-8) paths and encodes modified UTF-7 itself.
  let delimiter = '/';
  let prefix = '';
  const serverPath = (folder: readonly string[]) =>
    folder.length === 1 && folder[0]?.toUpperCase() === 'INBOX' ? 'INBOX' : prefix + folder.join(delimiter);
  const admin = sourceClient(lab, login, password);
  await admin.connect();
  try {
    const existing = await admin.list();
    delimiter = existing.find((e) => e.delimiter)?.delimiter ?? admin.namespace?.delimiter ?? '/';
    prefix = admin.namespace?.prefix ?? '';
    const have = new Set(existing.map((e) => e.path));
    for (const { folder } of byFolder.values()) {
      if (folder.length === 1 && folder[0]?.toUpperCase() === 'INBOX') continue;
      for (let depth = 1; depth <= folder.length; depth++) {
        const segments = folder.slice(0, depth);
        if (segments.some((s) => s.includes(delimiter))) {
          throw new Error(`folder segment of ${JSON.stringify(folder)} contains the server delimiter ${delimiter}`);
        }
        const key = serverPath(segments);
        if (have.has(key)) continue;
        await admin.mailboxCreate(key);
        have.add(key);
      }
    }
  } finally {
    await admin.logout();
  }

  // Distribute whole folders over the connections (largest first onto the least loaded one).
  const lanes = Math.max(1, Math.min(opts.connections ?? 4, byFolder.size));
  const buckets: { bytes: number; folders: { folder: string[]; items: CorpusMessage[] }[] }[] = Array.from({ length: lanes }, () => ({ bytes: 0, folders: [] }));
  for (const entry of [...byFolder.values()].sort((a, b) => b.bytes - a.bytes)) {
    const target = buckets.reduce((min, b) => (b.bytes < min.bytes ? b : min));
    target.folders.push(entry);
    target.bytes += entry.bytes;
  }

  await Promise.all(
    buckets.map(async (bucket) => {
      if (bucket.folders.length === 0) return;
      const client = sourceClient(lab, login, password);
      await client.connect();
      try {
        for (const { folder, items } of bucket.folders) {
          for (const m of items) {
            const res = await client.append(serverPath(folder), m.raw, m.flags, m.internalDate);
            if (!res) throw new Error(`APPEND to ${folderKey(folder)} failed`);
          }
        }
      } finally {
        await client.logout();
      }
    }),
  );
}
