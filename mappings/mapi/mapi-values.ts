/**
 * Pure helpers that turn raw MAPI property values (as stored in PST, .msg and Kopano files) into
 * the neutral model's fields: SMTP addresses, multi-valued strings, HTML bodies stored as bytes,
 * and the follow-up/verb state.
 */
import iconv from 'iconv-lite';
import { codepageToEncoding } from './string8.js';

export const PR_LAST_VERB_EXECUTED = 0x1081;
export const PR_FLAG_STATUS = 0x1090;
export const PR_INTERNET_REFERENCES = 0x1039;
export const PR_IN_REPLY_TO_ID = 0x1042;
export const PR_BODY_HTML = 0x1013;
export const PR_RTF_COMPRESSED = 0x1009;
export const PR_INTERNET_CPID = 0x3fde;
export const PR_SENDER_SMTP_ADDRESS = 0x5d01;
export const PR_SENT_REPRESENTING_SMTP_ADDRESS = 0x5d02;
export const PR_CREATION_TIME = 0x3007;
export const PR_LAST_MODIFICATION_TIME = 0x3008;
export const PR_ATTACH_FLAGS = 0x3714;
export const PR_ATTACHMENT_HIDDEN = 0x7ffe;
export const PR_ATTACH_DATA = 0x3701;

/** [MS-OXOMSG] PidTagLastVerbExecuted values. */
export const VERB_REPLY_TO_SENDER = 102;
export const VERB_REPLY_TO_ALL = 103;
export const VERB_FORWARD = 104;
/** [MS-OXOFLAG] PidTagFlagStatus: 1 = complete, 2 = flagged. */
export const FLAG_STATUS_FLAGGED = 2;
/** [MS-OXCMSG] PidTagAttachFlags: attInvisibleInHtml (1), attInvisibleInRtf (2), attRenderedInBody (4). */
export const ATT_RENDERED_IN_BODY = 4;

/** [MS-OXCMSG] PidTagAttachMethod. */
export const ATTACH = {
  NONE: 0, BY_VALUE: 1, BY_REFERENCE: 2, BY_REF_RESOLVE: 3, BY_REF_ONLY: 4, EMBEDDED_MSG: 5, OLE: 6, BY_WEB_REFERENCE: 7,
} as const;

const SMTP_LIKE = /^[^\s@<>()",;:]+@[^\s@<>()",;:]+$/;

/**
 * The SMTP address of a sender or recipient: the explicit PR_*_SMTP_ADDRESS when present, else
 * the e-mail address when its type is SMTP (or it looks like one). An Exchange (EX) address
 * without an SMTP form gives undefined: the builder then keeps the display name only.
 */
export function smtpAddress(addrType: string | undefined, email: string | undefined, smtp: string | undefined): string | undefined {
  const s = smtp?.trim();
  if (s && SMTP_LIKE.test(s)) return s;
  const e = email?.trim();
  if (!e || (addrType ?? '').toUpperCase() === 'EX') return undefined;
  return SMTP_LIKE.test(e) ? e : undefined;
}

/**
 * A multi-valued variable-size property (PT_MV_UNICODE 0x101F / PT_MV_STRING8 0x101E) as stored
 * in a PST heap: ulCount (4 bytes LE), then ulCount offsets (4 bytes LE, from the start of the
 * value), then the values back to back. Throws on a value that does not fit.
 */
export function parseMultiValueStrings(data: Buffer, unicode: boolean, decode8: (b: Buffer) => string = (b) => b.toString('latin1')): string[] {
  return parseMultiValue(data, 'string').map((bytes) => (unicode ? bytes.toString('utf16le') : decode8(bytes)).replace(/\0+$/, ''));
}

/** A multi-valued variable-size property (PT_MV_BINARY 0x1102, or the strings above): its values' bytes, same layout. */
export function parseMultiValue(data: Buffer, what = 'binary'): Buffer[] {
  if (data.length < 4) return [];
  const count = data.readUInt32LE(0);
  if (count === 0) return [];
  if (4 + count * 4 > data.length) throw new Error(`multi-valued ${what}: ${count} values do not fit in ${data.length} bytes`);
  const offsets = Array.from({ length: count }, (_, i) => data.readUInt32LE(4 + i * 4));
  return offsets.map((start, i) => {
    const end = i + 1 < count ? offsets[i + 1]! : data.length;
    if (start > end || end > data.length) throw new Error(`multi-valued ${what}: value ${i} at ${start}..${end} outside ${data.length} bytes`);
    return data.subarray(start, end);
  });
}

/** Internet code pages iconv-lite lacks, by their WHATWG label (Node's TextDecoder has them). */
const TEXT_DECODER_LABELS: Record<number, string> = {
  50220: 'iso-2022-jp', 50221: 'iso-2022-jp', 50222: 'iso-2022-jp', 50225: 'iso-2022-kr', 52936: 'hz-gb-2312', 20932: 'euc-jp',
};

/** Decodes bytes in a Windows/Internet code page; undefined when neither iconv-lite nor TextDecoder knows it. */
export function decodeCodepage(bytes: Buffer, codepage: number): string | undefined {
  const enc = codepageToEncoding(codepage);
  if (enc) return iconv.decode(bytes, enc);
  const label = TEXT_DECODER_LABELS[codepage];
  if (!label) return undefined;
  try {
    return new TextDecoder(label).decode(bytes);
  } catch {
    return undefined;
  }
}

/**
 * An HTML body stored as bytes (PR_HTML is PT_BINARY): decoded with PR_INTERNET_CPID, else the
 * charset its <meta> declares, else UTF-8. The <meta> charset is rewritten to utf-8 to match
 * the MIME part the builder writes.
 */
export function decodeHtmlBytes(bytes: Buffer, cpid: number | undefined): string {
  let text = cpid !== undefined ? decodeCodepage(bytes, cpid) : undefined;
  if (text === undefined) {
    const meta = /<meta[^>]+charset\s*=\s*["']?([\w.:-]+)/i.exec(bytes.subarray(0, 4096).toString('latin1'))?.[1];
    if (meta && iconv.encodingExists(meta)) text = iconv.decode(bytes, meta);
    else if (meta) {
      try {
        text = new TextDecoder(meta).decode(bytes);
      } catch {
        text = undefined;
      }
    }
  }
  text ??= bytes.toString('utf8');
  return text.replace(/^\uFEFF/, '').replace(/(<meta[^>]+charset\s*=\s*["']?)[\w.:-]+/i, '$1utf-8');
}

/** Answered/forwarded from PidTagLastVerbExecuted. */
export function verbState(lastVerb: number | undefined): { answered: boolean; forwarded: boolean } {
  return {
    answered: lastVerb === VERB_REPLY_TO_SENDER || lastVerb === VERB_REPLY_TO_ALL,
    forwarded: lastVerb === VERB_FORWARD,
  };
}

/** PR_IMPORTANCE (0 low, 1 normal, 2 high). */
export function importanceOf(value: number | undefined): 'low' | 'normal' | 'high' | undefined {
  return value === 0 ? 'low' : value === 2 ? 'high' : value === 1 ? 'normal' : undefined;
}
