/**
 * PR_RTF_COMPRESSED → what the MIME builder can use ([MS-OXRTFCP], [MS-OXRTFEX]):
 * decompressed here (the same bytes as @kenjiuno/decompressrtf gives, in a Buffer rather than an
 * array of numbers: 10× faster on a 300 KB body); when Outlook stored an HTML (\fromhtml) or plain
 * text (\fromtext) body encapsulated in RTF, it is de-encapsulated (rtf-deencapsulate.ts: what
 * rtf-stream-parser gives, in one pass); otherwise the body is genuine RTF and is kept as
 * text/rtf. Pure.
 */
import iconv from 'iconv-lite';
import { deEncapsulate } from './rtf-deencapsulate.js';

export type RtfBody =
  | { kind: 'html'; html: string }
  | { kind: 'text'; text: string }
  | { kind: 'rtf'; rtf: Buffer };

/** [MS-OXRTFCP] 2.1.3.1.1: the dictionary's initial contents. */
const PREBUF = Buffer.from('{\\rtf1\\ansi\\mac\\deff0\\deftab720{\\fonttbl;}{\\f0\\fnil \\froman \\fswiss \\fmodern \\fscript \\fdecor '
  + 'MS Sans SerifSymbolArialTimes New RomanCourier{\\colortbl\\red0\\green0\\blue0\r\n\\par \\pard\\plain\\f0\\fs20\\b\\i\\u\\tab\\tx', 'latin1');
const COMPRESSED = 0x75465a4c; // "LZFu"
const UNCOMPRESSED = 0x414c454d; // "MELA"

/**
 * LZFu ([MS-OXRTFCP] 2.1.3.1), as @kenjiuno/decompressrtf 0.1 does it: the output is kept whole
 * after the dictionary's initial 207 bytes, so a reference reads position (out & ~4095) + offset,
 * 4096 back when that is ahead; positions before the start read 0 (the dictionary's unwritten
 * part), input past the end reads 0, and a reference to the current position ends the data.
 */
function lzfu(input: Buffer, end: number): Buffer {
  const at = (i: number): number => (i < input.length ? input[i]! : 0);
  let out = Buffer.allocUnsafe(Math.max(4096, PREBUF.length + 2 * input.length));
  PREBUF.copy(out, 0);
  let outPos = PREBUF.length;
  let inPos = 16;
  let control = 0;
  for (let run = 0; inPos < end; run = (run + 1) & 7) {
    if (run === 0) control = at(inPos++);
    if (outPos + 17 > out.length) {
      const grown = Buffer.allocUnsafe(out.length * 2);
      out.copy(grown, 0, 0, outPos);
      out = grown;
    }
    if ((control & (1 << run)) === 0) {
      out[outPos++] = at(inPos++);
      continue;
    }
    const token = (at(inPos) << 8) | at(inPos + 1);
    inPos += 2;
    let readPos = (outPos & ~4095) + (token >> 4);
    if (readPos === outPos) break;
    if (readPos > outPos) readPos -= 4096;
    for (let n = (token & 15) + 2; n > 0; n--, readPos++) out[outPos++] = readPos < 0 ? 0 : out[readPos]!;
  }
  return out.subarray(PREBUF.length, outPos);
}

/** Decompresses PR_RTF_COMPRESSED (LZFu or the uncompressed "MELA" form). Throws on malformed data. */
export function decompressRtf(compressed: Buffer): Buffer {
  if (compressed.length < 16) throw new Error(`compressed RTF too short (${compressed.length} bytes, the header alone is 16)`);
  const declared = compressed.readUInt32LE(0);
  if (declared + 4 > compressed.length) {
    throw new Error(`compressed RTF truncated: its header says ${declared + 4} bytes, ${compressed.length} present`);
  }
  const type = compressed.readUInt32LE(8);
  if (type === COMPRESSED) return lzfu(compressed, compressed.readInt32LE(0) + 4);
  if (type === UNCOMPRESSED) {
    // Array#slice(16, 16 + rawSize), as the library does it (a negative end counts from the end)
    let end = 16 + compressed.readInt32LE(4);
    if (end < 0) end = Math.max(0, compressed.length + end);
    return Buffer.from(compressed.subarray(16, Math.max(16, Math.min(end, compressed.length))));
  }
  throw new Error('Either COMPRESSED or UNCOMPRESSED');
}

/** Decodes RTF's 8-bit text runs (\ansicpgN, \fcharsetN) with iconv-lite; unknown code pages fall back to CP1252. */
function decode(data: Buffer, encoding: string): string {
  let enc = usable.get(encoding);
  if (enc === undefined) {
    enc = iconv.encodingExists(encoding) ? encoding : 'cp1252';
    if (usable.size < 256) usable.set(encoding, enc);
  }
  return iconv.decode(data, enc);
}
/** Encoding names rtf-stream-parser asks for → the one decoded with (asked for every run of text). */
const usable = new Map<string, string>();

/** Classifies and, where encapsulated, extracts a decompressed RTF body. */
export function rtfToBody(rtf: Buffer): RtfBody {
  const head = rtf.subarray(0, 2048).toString('latin1');
  const encapsulated = /\\from(html|text)/.exec(head)?.[1];
  if (encapsulated) {
    try {
      const r = deEncapsulate(rtf, decode);
      return r.mode === 'html' ? { kind: 'html', html: r.text } : { kind: 'text', text: r.text };
    } catch {
      // not parseable as encapsulated after all: keep the RTF itself
    }
  }
  return { kind: 'rtf', rtf };
}
