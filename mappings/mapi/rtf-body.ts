/**
 * PR_RTF_COMPRESSED → what the MIME builder can use ([MS-OXRTFCP], [MS-OXRTFEX]):
 * decompressed with @kenjiuno/decompressrtf; when Outlook stored an HTML (\fromhtml) or plain
 * text (\fromtext) body encapsulated in RTF, rtf-stream-parser de-encapsulates it; otherwise the
 * body is genuine RTF and is kept as text/rtf. Pure.
 */
import { decompressRTF } from '@kenjiuno/decompressrtf';
import iconv from 'iconv-lite';
import { deEncapsulateSync } from 'rtf-stream-parser';

export type RtfBody =
  | { kind: 'html'; html: string }
  | { kind: 'text'; text: string }
  | { kind: 'rtf'; rtf: Buffer };

/** Decompresses PR_RTF_COMPRESSED (LZFu or the uncompressed "MELA" form). Throws on malformed data. */
export function decompressRtf(compressed: Buffer): Buffer {
  if (compressed.length < 16) throw new Error(`compressed RTF too short (${compressed.length} bytes, the header alone is 16)`);
  const declared = compressed.readUInt32LE(0);
  if (declared + 4 > compressed.length) {
    throw new Error(`compressed RTF truncated: its header says ${declared + 4} bytes, ${compressed.length} present`);
  }
  return Buffer.from(decompressRTF(Array.from(compressed)));
}

/** Decodes RTF's 8-bit text runs (\ansicpgN, \fcharsetN) with iconv-lite; unknown code pages fall back to CP1252. */
function decode(data: Buffer, encoding: string): string {
  const enc = iconv.encodingExists(encoding) ? encoding : 'cp1252';
  return iconv.decode(data, enc);
}

/** Classifies and, where encapsulated, extracts a decompressed RTF body. */
export function rtfToBody(rtf: Buffer): RtfBody {
  const head = rtf.subarray(0, 2048).toString('latin1');
  const encapsulated = /\\from(html|text)/.exec(head)?.[1];
  if (encapsulated) {
    try {
      const r = deEncapsulateSync(rtf, { decode, mode: 'either', htmlFixContentType: true, outlookQuirksMode: true });
      const text = typeof r.text === 'string' ? r.text : r.text.toString('utf8');
      return r.mode === 'html' ? { kind: 'html', html: text } : { kind: 'text', text };
    } catch {
      // not parseable as encapsulated after all: keep the RTF itself
    }
  }
  return { kind: 'rtf', rtf };
}
