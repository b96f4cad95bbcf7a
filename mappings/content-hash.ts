/**
 * Content identity of a message across servers that rewrite line endings.
 *
 * Courier-IMAP (and other targets) may store a message with LF turned into CRLF and a final
 * CRLF added. `contentHash` hashes a canonical form so the source bytes and what the target
 * returns compare equal:
 * - every line ending (CRLF, bare LF, bare CR) becomes CRLF;
 * - the content ends with CRLF (one is added when missing; an empty message becomes "\r\n").
 *
 * Both functions are linear in the input. `normaliseForHash` returns the input itself when it is
 * already canonical (the usual case for IMAP sources) and otherwise copies it exactly once into a
 * buffer of the final size.
 */
import { createHash } from 'node:crypto';

const CR = 0x0d;
const LF = 0x0a;

/**
 * Walking from break to break with `indexOf` (native, fast on long lines) costs one call per
 * break; when breaks are denser than one per DENSE_GAP bytes a plain byte loop is cheaper, so the
 * walkers switch to it for the rest of the buffer. Both ways are linear.
 */
const DENSE_GAP = 16;
const MIN_STEPS = 1024;

/** Position of the next `byte` at or after `from`, or `buf.length` when there is none. */
function next(buf: Buffer, byte: number, from: number): number {
  const i = buf.indexOf(byte, from);
  return i < 0 ? buf.length : i;
}

/** Number of bare CRs and bare LFs in `buf` from `from` on, byte by byte. */
function countBareLoop(buf: Buffer, from: number): number {
  let n = 0;
  for (let i = from; i < buf.length; i++) {
    const c = buf[i];
    if (c === CR) {
      if (buf[i + 1] === LF) i++;
      else n++;
    } else if (c === LF) n++;
  }
  return n;
}

/** Number of bare CRs and bare LFs in `buf` (each needs one more byte). */
function countBare(buf: Buffer): number {
  const len = buf.length;
  let n = 0;
  let steps = 0;
  let cr = next(buf, CR, 0);
  let lf = next(buf, LF, 0);
  while (cr < len || lf < len) {
    // `pos`: everything before it is counted and it does not split a CRLF.
    const pos = Math.min(cr, lf);
    if (++steps > MIN_STEPS && steps * DENSE_GAP > pos) return n + countBareLoop(buf, pos);
    if (cr < lf) {
      if (lf < len && cr + 1 === lf) {
        cr = next(buf, CR, lf + 1);
        lf = next(buf, LF, lf + 1);
      } else {
        n++;
        cr = next(buf, CR, cr + 1);
      }
    } else {
      n++;
      lf = next(buf, LF, lf + 1);
    }
  }
  return n;
}

/** Copies `buf[r..]` to `out[w..]` byte by byte, writing every line break as CRLF; returns the new `w`. */
function copyLoop(buf: Buffer, r: number, out: Buffer, w: number): number {
  for (; r < buf.length; r++) {
    const c = buf[r]!;
    if (c === CR || c === LF) {
      out[w++] = CR;
      out[w++] = LF;
      if (c === CR && buf[r + 1] === LF) r++;
    } else out[w++] = c;
  }
  return w;
}

/** Copies `buf` to `out` writing every line break as CRLF; returns the number of bytes written. */
function copyNormalised(buf: Buffer, out: Buffer): number {
  const len = buf.length;
  let w = 0;
  let r = 0;
  let steps = 0;
  let cr = next(buf, CR, 0);
  let lf = next(buf, LF, 0);
  while (cr < len || lf < len) {
    if (++steps > MIN_STEPS && steps * DENSE_GAP > r) return copyLoop(buf, r, out, w);
    const at = Math.min(cr, lf);
    w += buf.copy(out, w, r, at);
    out[w++] = CR;
    out[w++] = LF;
    if (cr < lf && lf < len && cr + 1 === lf) {
      r = lf + 1;
      cr = next(buf, CR, r);
      lf = next(buf, LF, r);
    } else if (cr < lf) {
      r = cr + 1;
      cr = next(buf, CR, r);
    } else {
      r = lf + 1;
      lf = next(buf, LF, r);
    }
  }
  return w + buf.copy(out, w, r, len);
}

/** The line-ending-normalised bytes of `buf` (see the module comment); `buf` itself when already so. */
export function normaliseForHash(buf: Buffer): Buffer {
  const len = buf.length;
  const last = len > 0 ? buf[len - 1] : undefined;
  // After normalisation the content ends with CRLF iff its last byte is CR or LF.
  const endsWithBreak = last === CR || last === LF;
  const extra = countBare(buf) + (endsWithBreak ? 0 : 2);
  if (extra === 0) return buf;
  const out = Buffer.allocUnsafe(len + extra);
  let w = copyNormalised(buf, out);
  if (!endsWithBreak) {
    out[w++] = CR;
    out[w++] = LF;
  }
  if (w !== out.length) throw new Error(`normaliseForHash: wrote ${w} of ${out.length} bytes`); // invariant
  return out;
}

/** sha256 (lowercase hex) of `normaliseForHash(buf)`. */
export function contentHash(buf: Buffer): string {
  return createHash('sha256').update(normaliseForHash(buf)).digest('hex');
}
