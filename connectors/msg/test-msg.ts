/**
 * Test helper: writes small Outlook .msg files ([MS-OXMSG]: a compound file with a
 * `__properties_version1.0` stream of fixed-size properties and one `__substg1.0_<tag>` stream per
 * string), through msgreader's own compound-file writer (Burner), so a test can choose exactly
 * which properties a message has — e.g. no PR_MESSAGE_DELIVERY_TIME.
 */
import { burn, type Entry } from '@kenjiuno/msgreader/lib/Burner.js';

const ROOT = 5;
const DOCUMENT = 2;

export interface GenMsg {
  subject?: string;
  body?: string;
  messageClass?: string;
  /** PR_TRANSPORT_MESSAGE_HEADERS. */
  transportHeaders?: string;
  messageId?: string;
  delivered?: Date;
  submitted?: Date;
  created?: Date;
  modified?: Date;
}

const PROP_READWRITE = 0x6;
const FILETIME_1970 = 116444736000000000n;

function fileTime(d: Date): Buffer {
  const b = Buffer.alloc(8);
  b.writeBigUInt64LE(BigInt(d.getTime()) * 10000n + FILETIME_1970);
  return b;
}

/** The bytes of a .msg file with the given properties (strings as PT_UNICODE, times as PT_SYSTIME). */
export function generateMsg(m: GenMsg): Buffer {
  const strings: [number, string | undefined][] = [
    [0x001a, m.messageClass ?? 'IPM.Note'], [0x0037, m.subject], [0x1000, m.body], [0x007d, m.transportHeaders], [0x1035, m.messageId],
  ];
  const times: [number, Date | undefined][] = [[0x0e06, m.delivered], [0x0039, m.submitted], [0x3007, m.created], [0x3008, m.modified]];
  const props: Buffer[] = [Buffer.alloc(32)]; // top-level header: reserved, next ids and counts (no recipients, no attachments)
  const streams: { name: string; data: Buffer }[] = [];
  for (const [id, value] of strings) {
    if (value === undefined) continue;
    const tag = ((id << 16) | 0x001f) >>> 0;
    const data = Buffer.from(`${value}\0`, 'utf16le');
    const entry = Buffer.alloc(16);
    entry.writeUInt32LE(tag, 0);
    entry.writeUInt32LE(PROP_READWRITE, 4);
    entry.writeUInt32LE(data.length, 8);
    props.push(entry);
    streams.push({ name: `__substg1.0_${tag.toString(16).toUpperCase().padStart(8, '0')}`, data: data.subarray(0, data.length - 2) });
  }
  for (const [id, value] of times) {
    if (value === undefined) continue;
    const entry = Buffer.alloc(16);
    entry.writeUInt32LE(((id << 16) | 0x0040) >>> 0, 0);
    entry.writeUInt32LE(PROP_READWRITE, 4);
    fileTime(value).copy(entry, 8);
    props.push(entry);
  }
  streams.push({ name: '__properties_version1.0', data: Buffer.concat(props) });
  const entries: Entry[] = [{ name: 'Root Entry', type: ROOT, children: streams.map((_, i) => i + 1), length: 0 }];
  for (const s of streams) entries.push({ name: s.name, type: DOCUMENT, length: s.data.length, binaryProvider: () => new Uint8Array(s.data) }); // a copy: the writer reads the ArrayBuffer, not the view
  return Buffer.from(burn(entries));
}
