/**
 * nodemailer's MimeNode tree written out in one synchronous pass, with its bytes.
 *
 * nodemailer builds a message as a chain of streams: a PassThrough per part, a transform per
 * encoding, a setImmediate between parts, and encoders that concatenate strings a character at a
 * time (quoted-printable: 20 MB/s) and wrap base64 with a regular expression. For a 300 KB RTF
 * body that was 60 ms, the larger half of the time a PST message took. This writer walks the tree
 * MailComposer compiled and writes what MimeNode#build would: each node's headers as the node
 * builds them (nodemailer still decides every header, boundary and transfer encoding), then its
 * content encoded the way nodemailer's encoders encode one chunk (the chunk they get from a
 * Buffer or string content), then its children framed by the boundary, and a final line break as
 * nodemailer's LastNewline adds it. The text-encoding choice MimeNode makes by counting regular
 * expression matches (an array of every letter of a body) is counted in a loop instead, per node.
 *
 * mime-serialize.test.ts checks the bytes against MimeNode#build on generated messages and on
 * the builder's own cases; a node kind this writer does not know (streamed or fetched content,
 * raw nodes, transforms) is an error rather than a guess.
 */
import MimeNode from 'nodemailer/lib/mime-node/index.js';

/**
 * MimeNode#_normalizeHeaderKey ("content-type" → "Content-Type": a trim, a lower-casing and three
 * regular expressions) with its answers kept: every getHeader/setHeader of every node asks it,
 * a twentieth of the time to build a message. A pure function of the key: the same strings.
 */
const headerKeys = MimeNode.prototype as unknown as { _normalizeHeaderKey(key: unknown): string };
export const normalizeHeaderKeyUncached = headerKeys._normalizeHeaderKey;
const normalizedKeys = new Map<string, string>();
headerKeys._normalizeHeaderKey = function normalizeHeaderKey(this: unknown, key: unknown): string {
  if (typeof key !== 'string') return normalizeHeaderKeyUncached.call(this, key);
  let normalized = normalizedKeys.get(key);
  if (normalized === undefined) {
    normalized = normalizeHeaderKeyUncached.call(this, key);
    if (normalizedKeys.size < 1024) normalizedKeys.set(key, normalized);
  }
  return normalized;
};

/** The MimeNode fields and methods used here (some are not in its typings). */
interface Node {
  content?: unknown;
  multipart?: string | false;
  boundary?: string;
  childNodes: Node[];
  textEncoding?: string;
  newline?: unknown;
  _raw?: unknown;
  _transforms: unknown[];
  _processFuncs: unknown[];
  _getTextEncoding(value: unknown): string;
  buildHeaders(): string;
  getTransferEncoding(): string | false;
}

/** RFC 2045 6.7 characters quoted-printable keeps as they are (nodemailer's ranges). */
const QP_SAFE = new Uint8Array(256);
for (const c of [0x09, 0x0a, 0x0d]) QP_SAFE[c] = 1;
for (let c = 0x20; c <= 0x7e; c++) if (c !== 0x3d) QP_SAFE[c] = 1;
const HEX = Buffer.from('0123456789ABCDEF', 'latin1');

/** nodemailer's qp.encode, as ASCII bytes: `=XX` for unsafe bytes and for a space or tab before a line end or at the end. */
export function qpEncode(buffer: Buffer): Buffer {
  return Buffer.from(qpEncodeView(buffer));
}

/** qpEncode's bytes in the encoder's working buffer: valid until its next call. */
function qpEncodeView(buffer: Buffer): Buffer {
  const len = buffer.length;
  // the working buffer is kept between calls up to 1 MiB (a larger one is made for that body only)
  if (scratch.length < len * 3 && len * 3 <= 1024 * 1024) scratch = Buffer.allocUnsafe(Math.min(1024 * 1024, Math.max(len * 3, 2 * scratch.length)));
  const out = scratch.length >= len * 3 ? scratch : Buffer.allocUnsafe(len * 3);
  const safe = QP_SAFE;
  let o = 0;
  for (let i = 0; i < len; i++) {
    const b = buffer[i]!;
    if (safe[b] === 1 && !((b === 0x20 || b === 0x09) && (i === len - 1 || buffer[i + 1] === 0x0a || buffer[i + 1] === 0x0d))) {
      out[o++] = b;
    } else {
      out[o++] = 0x3d;
      out[o++] = HEX[b >> 4]!;
      out[o++] = HEX[b & 15]!;
    }
  }
  return out.subarray(0, o);
}
/** The encoder's working buffer, kept between calls (copied out exactly sized). */
let scratch = Buffer.allocUnsafe(64 * 1024);

const CR = 0x0d;
const LF = 0x0a;
const CRLF = Buffer.from('\r\n');
const EQ = 0x3d;
const isHex = (c: number | undefined): boolean => c !== undefined && ((c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x46) || (c >= 0x61 && c <= 0x66));
const hexValue = (c: number): number => (c <= 0x39 ? c - 0x30 : (c | 0x20) - 0x61 + 10);
/** Characters nodemailer may break a line after: space, tab, . , ! ? */
const isBreak = (c: number): boolean => c === 0x20 || c === 0x09 || c === 0x2e || c === 0x2c || c === 0x21 || c === 0x3f;

/**
 * nodemailer's qp.wrap (soft line breaks) on the encoded bytes, cut for cut: a line is the next
 * `lineLength` characters, up to the first CRLF in them, or up to the last LF of its last third
 * (when no CR follows it), or up to the last space or punctuation of its last third, or short of
 * an `=` escape it would split (and of the bytes of a UTF-8 sequence); a line that does not end
 * the text or a line ends with a soft break `=\r\n`, one character shorter when it was full.
 * (nodemailer does this with regular expressions on strings; these are the same tests on bytes.)
 */
export function qpWrap(src: Buffer, lineLength = 76): Buffer {
  const len = src.length;
  if (len <= lineLength) return src;
  const margin = Math.floor(lineLength / 3);
  let out = Buffer.allocUnsafe(len + (len >> 3) + 16);
  let o = 0;
  const emit = (from: number, to: number, soft: boolean): void => {
    const need = to - from + (soft ? 3 : 0);
    if (o + need > out.length) {
      const grown = Buffer.allocUnsafe(Math.max(out.length * 2, o + need));
      out.copy(grown, 0, 0, o);
      out = grown;
    }
    o += src.copy(out, o, from, to);
    if (soft) { out[o++] = EQ; out[o++] = CR; out[o++] = LF; }
  };
  /** Whether [from, to) ends with `=` followed by min..max hex digits (at most one such ending exists). */
  const endsWithEscape = (from: number, to: number, min: number, max: number): number => {
    for (let digits = min; digits <= max; digits++) {
      const at = to - 1 - digits;
      if (at < from || src[at] !== EQ) continue;
      let ok = true;
      for (let k = at + 1; k < to; k++) if (!isHex(src[k])) ok = false;
      if (ok) return digits + 1;
    }
    return 0;
  };
  let pos = 0;
  let nextCrlf = -2; // the first CRLF at or after pos (-1: none left), found with indexOf and kept until passed
  while (pos < len) {
    let end = Math.min(pos + lineLength, len);
    if (nextCrlf !== -1 && nextCrlf < pos) nextCrlf = src.indexOf(CRLF, pos);
    const crlf = nextCrlf >= 0 && nextCrlf + 1 < end ? nextCrlf : -1;
    if (crlf >= 0) {
      emit(pos, crlf + 2, false);
      pos = crlf + 2;
      continue;
    }
    if (src[end - 1] === LF) {
      emit(pos, end, false);
      pos = end;
      continue;
    }
    const tail = Math.max(pos, end - margin);
    let lf = -1;
    for (let k = end - 1; k >= tail; k--) if (src[k] === LF) { lf = k; break; }
    let crAfter = false;
    if (lf >= 0) for (let k = lf + 1; k < end; k++) if (src[k] === CR) crAfter = true;
    if (lf >= 0 && !crAfter) {
      emit(pos, lf + 1, false);
      pos = lf + 1;
      continue;
    }
    let space = -1;
    if (end - pos > lineLength - margin) for (let k = end - 1; k >= tail; k--) if (isBreak(src[k]!)) { space = k; break; }
    if (space >= 0) {
      end = space + 1;
    } else if (endsWithEscape(pos, end, 0, 2)) {
      end -= endsWithEscape(pos, end, 0, 1);
      // do not split the bytes of one UTF-8 character
      while (end - pos > 3 && end - pos < len - pos && !wholeEscapes(src, pos, end) && endsWithEscape(pos, end, 2, 2)) {
        const code = hexValue(src[end - 2]!) * 16 + hexValue(src[end - 1]!);
        if (code < 128) break;
        end -= 3;
        if (code >= 0xc0) break;
      }
    }
    if (end < len && src[end - 1] !== LF) {
      if (end - pos === lineLength && endsWithEscape(pos, end, 2, 2)) end -= 3;
      else if (end - pos === lineLength) end -= 1;
      emit(pos, end, true);
    } else {
      emit(pos, end, false);
    }
    pos = end;
  }
  return out.subarray(0, o);
}

/** Whether [from, to) is one to four `=XX` escapes and nothing else. */
function wholeEscapes(src: Buffer, from: number, to: number): boolean {
  const n = to - from;
  if (n % 3 !== 0 || n < 3 || n > 12) return false;
  for (let k = from; k < to; k += 3) if (src[k] !== EQ || !isHex(src[k + 1]) || !isHex(src[k + 2])) return false;
  return true;
}

const RUN = 57 * 512;
const run = Buffer.allocUnsafe((RUN / 3) * 4);

/**
 * What nodemailer's base64 Encoder writes for one chunk, as bytes: the whole 3-byte groups in
 * lines of 76 with CRLF after each complete line (none when they fit one line), then the
 * remaining 1–2 bytes' characters added to the last line unwrapped. Written straight into one
 * buffer, 57 input bytes (one line) at a time.
 */
export function base64Encode(chunk: Buffer): Buffer {
  const out = Buffer.allocUnsafe(base64Size(chunk.length));
  base64Into(chunk, out, 0);
  return out;
}

/** The size of base64Encode's output for `n` bytes. */
function base64Size(n: number): number {
  const chars = ((n - (n % 3)) / 3) * 4;
  return chars + 2 * (chars > 76 ? Math.floor(chars / 76) : 0) + (n % 3 ? 4 : 0);
}

/** base64Encode's output written into `out` at `at`; the bytes written. */
function base64Into(chunk: Buffer, out: Buffer, at: number): number {
  const whole = chunk.length - (chunk.length % 3);
  const chars = (whole / 3) * 4;
  const breaks = chars > 76 ? Math.floor(chars / 76) : 0;
  const rest = chunk.length - whole ? 4 : 0;
  let o = at;
  // runs of whole lines: encoded into the run buffer once, then copied into lines
  for (let i = 0; i < whole; i += RUN) {
    const end = Math.min(whole, i + RUN);
    const n = run.write(chunk.toString('base64', i, end), 0, 'latin1');
    for (let j = 0; j < n; j += 76) {
      const line = n - j >= 76 ? 76 : n - j;
      o += run.copy(out, o, j, j + line);
      if (line === 76 && breaks > 0) { out[o++] = 0x0d; out[o++] = 0x0a; }
    }
  }
  if (rest) o += out.write(chunk.toString('base64', whole), o, 'latin1');
  return o - at;
}

/** A piece of the message: bytes, or an encoding written straight into the message when it is joined. */
export type Part = Buffer | { size: number; writeInto(target: Buffer, at: number): number };

/** The message: its parts joined into one buffer, deferred encodings written in place. */
export function joinParts(parts: readonly Part[]): Buffer {
  let total = 0;
  for (const p of parts) total += Buffer.isBuffer(p) ? p.length : p.size;
  const out = Buffer.allocUnsafe(total);
  let at = 0;
  for (const p of parts) at += Buffer.isBuffer(p) ? p.copy(out, at) : p.writeInto(out, at);
  return at === total ? out : out.subarray(0, at);
}

/** MimeNode#_getTextEncoding, counted in a loop: 'Q' when Latin letters outnumber 8-bit and control characters. */
function textEncoding(this: Node, value: unknown): string {
  if (this.textEncoding) return this.textEncoding;
  const s = (value || '').toString() as string;
  let latin = 0;
  let other = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if ((c >= 0x61 && c <= 0x7a) || (c >= 0x41 && c <= 0x5a)) latin++;
    else if (c >= 0x80 || c <= 0x08 || c === 0x0b || c === 0x0c || (c >= 0x0e && c <= 0x1f)) other++;
  }
  return other < latin ? 'Q' : 'B';
}

function write(node: Node, out: Part[]): void {
  if (node._raw || node._transforms.length || node._processFuncs.length || node.newline) {
    throw new Error('mime-serialize: a raw node, transform or newline option (not used by the MIME builder)');
  }
  node._getTextEncoding = textEncoding;
  const transferEncoding = node.getTransferEncoding();
  // buildHeaders asks again: the same answer, without counting the body's letters a second time
  node.getTransferEncoding = () => transferEncoding;
  out.push(Buffer.from(`${node.buildHeaders()}\r\n\r\n`, 'utf8'));
  const content = node.content;
  if (content) {
    if (typeof content !== 'string' && !Buffer.isBuffer(content)) throw new Error('mime-serialize: content that is not a string or Buffer (not used by the MIME builder)');
    const bytes = typeof content === 'string' ? Buffer.from(content, 'utf8') : content;
    if (transferEncoding === 'base64') out.push({ size: base64Size(bytes.length), writeInto: (target, at) => base64Into(bytes, target, at) });
    else if (transferEncoding === 'quoted-printable') {
      const encoded = qpEncodeView(bytes);
      const wrapped = qpWrap(encoded);
      out.push(wrapped === encoded ? Buffer.from(encoded) : wrapped); // (the encoder's buffer is reused)
    }
    else out.push(bytes);
  }
  if (node.multipart) {
    node.childNodes.forEach((child, i) => {
      out.push(Buffer.from(`${i > 0 ? '\r\n' : ''}--${node.boundary}\r\n`, 'utf8'));
      write(child, out);
    });
    out.push(Buffer.from(`\r\n--${node.boundary}--\r\n`, 'utf8'));
  }
}

/** The last byte of a base64 part of `size` bytes: LF when it ends with a line break (a complete last line), else a base64 character. */
function lastBase64Byte(size: number): number {
  return size > 78 && size % 78 === 0 ? 0x0a : 0x41;
}

/**
 * The message a compiled MailComposer tree stands for, MimeNode#build's bytes, synchronously: as
 * parts to be joined, the first the root's header block (so a caller rewriting the header joins
 * the message once).
 */
export function serializeMime(root: MimeNode): Part[] {
  const out: Part[] = [];
  write(root as unknown as Node, out);
  // base64 output ends in a base64 character or a line break; bytes are looked at
  const last = out.filter((b) => (Buffer.isBuffer(b) ? b.length : b.size) > 0).at(-1);
  const end = last === undefined ? undefined : Buffer.isBuffer(last) ? last[last.length - 1] : lastBase64Byte(last.size);
  if (end === 0x0d) out.push(Buffer.from('\n'));
  else if (end !== 0x0a) out.push(Buffer.from('\r\n'));
  return out;
}
