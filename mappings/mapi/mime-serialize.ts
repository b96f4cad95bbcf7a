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
import type MimeNode from 'nodemailer/lib/mime-node/index.js';

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
const HEX = '0123456789ABCDEF';

/** nodemailer's qp.encode: `=XX` for unsafe bytes and for a space or tab before a line end or at the end. */
export function qpEncode(buffer: Buffer): string {
  const len = buffer.length;
  const out = Buffer.allocUnsafe(len * 3);
  let o = 0;
  for (let i = 0; i < len; i++) {
    const b = buffer[i]!;
    if (QP_SAFE[b] === 1 && !((b === 0x20 || b === 0x09) && (i === len - 1 || buffer[i + 1] === 0x0a || buffer[i + 1] === 0x0d))) {
      out[o++] = b;
    } else {
      out[o++] = 0x3d;
      out[o++] = HEX.charCodeAt(b >> 4);
      out[o++] = HEX.charCodeAt(b & 15);
    }
  }
  return out.toString('latin1', 0, o);
}

/** nodemailer's qp.wrap (soft line breaks), as it is: the same cuts, line by line. */
export function qpWrap(input: string, lineLength = 76): string {
  const str = input;
  if (str.length <= lineLength) return str;
  let pos = 0;
  const len = str.length;
  let match: RegExpMatchArray | null;
  let line: string;
  const lineMargin = Math.floor(lineLength / 3);
  const result: string[] = [];
  while (pos < len) {
    line = str.substr(pos, lineLength);
    if ((match = line.match(/\r\n/))) {
      line = line.substr(0, match.index! + match[0].length);
      result.push(line);
      pos += line.length;
      continue;
    }
    if (line.substr(-1) === '\n') {
      result.push(line);
      pos += line.length;
      continue;
    } else if ((match = line.substr(-lineMargin).match(/\n.*?$/))) {
      line = line.substr(0, line.length - (match[0].length - 1));
      result.push(line);
      pos += line.length;
      continue;
    } else if (line.length > lineLength - lineMargin && (match = line.substr(-lineMargin).match(/[ \t.,!?][^ \t.,!?]*$/))) {
      line = line.substr(0, line.length - (match[0].length - 1));
    } else if (line.match(/[=][\da-f]{0,2}$/i)) {
      if ((match = line.match(/[=][\da-f]{0,1}$/i))) line = line.substr(0, line.length - match[0].length);
      while (line.length > 3 && line.length < len - pos && !line.match(/^(?:=[\da-f]{2}){1,4}$/i) && (match = line.match(/[=][\da-f]{2}$/gi))) {
        const code = parseInt(match[0]!.substr(1, 2), 16);
        if (code < 128) break;
        line = line.substr(0, line.length - 3);
        if (code >= 0xc0) break;
      }
    }
    if (pos + line.length < len && line.substr(-1) !== '\n') {
      if (line.length === lineLength && line.match(/[=][\da-f]{2}$/i)) line = line.substr(0, line.length - 3);
      else if (line.length === lineLength) line = line.substr(0, line.length - 1);
      pos += line.length;
      line += '=\r\n';
    } else {
      pos += line.length;
    }
    result.push(line);
  }
  return result.join('');
}

/** nodemailer's base64.wrap: CRLF after every complete line (none when the whole fits one line). */
function base64Wrap(str: string, lineLength = 76): string {
  if (str.length <= lineLength) return str;
  const parts: string[] = [];
  let pos = 0;
  for (; pos + lineLength <= str.length; pos += lineLength) parts.push(str.substr(pos, lineLength), '\r\n');
  if (pos < str.length) parts.push(str.substr(pos));
  return parts.join('');
}

/** What nodemailer's base64 Encoder writes for one chunk: whole groups wrapped, the rest added at the end unwrapped. */
export function base64Encode(chunk: Buffer): string {
  if (chunk.length === 0) return '';
  const whole = chunk.length - (chunk.length % 3);
  let b64 = base64Wrap(chunk.toString('base64', 0, whole));
  let cur: string;
  const lastLF = b64.lastIndexOf('\n');
  if (lastLF < 0) {
    cur = b64;
    b64 = '';
  } else {
    cur = b64.substring(lastLF + 1);
    b64 = b64.substring(0, lastLF + 1);
    if (b64 && !b64.endsWith('\r\n')) b64 += '\r\n';
  }
  return b64 + cur + chunk.toString('base64', whole);
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

function write(node: Node, out: Buffer[]): void {
  if (node._raw || node._transforms.length || node._processFuncs.length || node.newline) {
    throw new Error('mime-serialize: a raw node, transform or newline option (not used by the MIME builder)');
  }
  node._getTextEncoding = textEncoding;
  const transferEncoding = node.getTransferEncoding();
  out.push(Buffer.from(`${node.buildHeaders()}\r\n\r\n`, 'utf8'));
  const content = node.content;
  if (content) {
    if (typeof content !== 'string' && !Buffer.isBuffer(content)) throw new Error('mime-serialize: content that is not a string or Buffer (not used by the MIME builder)');
    const bytes = typeof content === 'string' ? Buffer.from(content, 'utf8') : content;
    if (transferEncoding === 'base64') out.push(Buffer.from(base64Encode(bytes), 'latin1'));
    else if (transferEncoding === 'quoted-printable') out.push(Buffer.from(qpWrap(qpEncode(bytes)), 'latin1'));
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

/** The message a compiled MailComposer tree stands for: MimeNode#build's bytes, synchronously. */
export function serializeMime(root: MimeNode): Buffer {
  const out: Buffer[] = [];
  write(root as unknown as Node, out);
  const last = out.filter((b) => b.length > 0).at(-1);
  const end = last?.[last.length - 1];
  if (end === 0x0d) out.push(Buffer.from('\n'));
  else if (end !== 0x0a) out.push(Buffer.from('\r\n'));
  return Buffer.concat(out);
}
