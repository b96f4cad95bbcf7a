/**
 * The LZFu decompressor gives @kenjiuno/decompressrtf's bytes (the library it replaced for
 * speed): on real compressed RTF (a long, back-reference-heavy body written by Outlook, built
 * here by compressing a 300 KB RTF the way LZFu does) and on thousands of random and damaged
 * inputs, where both must agree byte for byte, including what they make of garbage.
 */
import { decompressRTF } from '@kenjiuno/decompressrtf';
import { seededRandom } from '../../src/util/seeded-random.js';
import { decompressRtf } from './rtf-body.js';

const PREBUF = '{\\rtf1\\ansi\\mac\\deff0\\deftab720{\\fonttbl;}{\\f0\\fnil \\froman \\fswiss \\fmodern \\fscript \\fdecor '
  + 'MS Sans SerifSymbolArialTimes New RomanCourier{\\colortbl\\red0\\green0\\blue0\r\n\\par \\pard\\plain\\f0\\fs20\\b\\i\\u\\tab\\tx';

/** A real LZFu encoder (greedy longest match in the 4 KiB ring), so the data has the back-references Outlook writes. */
function compress(text: string): Buffer {
  const raw = Buffer.from(text, 'latin1');
  const ring = Buffer.alloc(4096);
  Buffer.from(PREBUF, 'latin1').copy(ring);
  let w = PREBUF.length;
  const out: number[] = [];
  let i = 0;
  while (i <= raw.length) {
    const controlAt = out.length;
    out.push(0);
    let control = 0;
    for (let bit = 0; bit < 8; bit++) {
      if (i === raw.length) {
        // the end: a reference to the write position
        control |= 1 << bit;
        out.push((w >> 4) & 0xff, ((w & 0xf) << 4) & 0xff);
        i++;
        break;
      }
      let best = 0;
      let bestAt = 0;
      for (let start = 0; start < 4096; start++) {
        if (start === w) continue;
        let n = 0;
        while (n < 17 && i + n < raw.length && ring[(start + n) % 4096] === raw[i + n] && (start + n) % 4096 !== w) n++;
        if (n > best) { best = n; bestAt = start; }
      }
      if (best >= 2) {
        control |= 1 << bit;
        const token = (bestAt << 4) | (best - 2);
        out.push(token >> 8, token & 0xff);
        for (let k = 0; k < best; k++) { ring[w] = raw[i + k]!; w = (w + 1) % 4096; }
        i += best;
      } else {
        out.push(raw[i]!);
        ring[w] = raw[i]!;
        w = (w + 1) % 4096;
        i++;
      }
    }
    out[controlAt] = control;
  }
  const body = Buffer.from(out);
  const header = Buffer.alloc(16);
  header.writeUInt32LE(body.length + 12, 0);
  header.writeUInt32LE(raw.length, 4);
  header.writeUInt32LE(0x75465a4c, 8);
  return Buffer.concat([header, body]);
}

const theirs = (b: Buffer): Buffer => Buffer.from(decompressRTF(Array.from(b)));

describe('decompressRtf', () => {
  test('real LZFu with back-references decompresses to the original, as the library does', () => {
    const rtf = `{\\rtf1\\ansi\\ansicpg1252 ${Array.from({ length: 300 }, (_, i) => `\\par Line ${i} of the quarterly report, total ${i * 17}.`).join('')}}`;
    const packed = compress(rtf);
    expect(packed.length).toBeLessThan(rtf.length / 2);
    expect(decompressRtf(packed).toString('latin1')).toBe(rtf);
    expect(decompressRtf(packed).equals(theirs(packed))).toBe(true);
  });

  test('uncompressed ("MELA") bodies, with sizes that are right, too large, negative', () => {
    for (const raw of [5, 100, -3, -30]) {
      const b = Buffer.concat([Buffer.alloc(16), Buffer.from('{\\rtf1 plain}')]);
      b.writeUInt32LE(b.length - 4, 0);
      b.writeInt32LE(raw, 4);
      b.writeUInt32LE(0x414c454d, 8);
      expect(decompressRtf(b).equals(theirs(b))).toBe(true);
    }
  });

  test('random and damaged inputs: the same bytes as the library, whatever they are', () => {
    const random = seededRandom(12);
    for (let n = 0; n < 3000; n++) {
      const body = Buffer.from(Array.from({ length: 1 + Math.floor(random() * 600) }, () => Math.floor(random() * 256)));
      const header = Buffer.alloc(16);
      // the declared size is at most the data's (the caller refuses more), sometimes less
      header.writeUInt32LE(Math.max(12, body.length + 12 - Math.floor(random() * 20)), 0);
      header.writeUInt32LE(Math.floor(random() * 2000), 4);
      header.writeUInt32LE(0x75465a4c, 8);
      const input = Buffer.concat([header, body]);
      expect(decompressRtf(input).equals(theirs(input))).toBe(true);
    }
  });

  test('malformed input is an error', () => {
    expect(() => decompressRtf(Buffer.alloc(8))).toThrow(/too short/);
    const lying = Buffer.alloc(32);
    lying.writeUInt32LE(1000, 0);
    expect(() => decompressRtf(lying)).toThrow(/truncated/);
    const unknown = Buffer.alloc(32);
    unknown.writeUInt32LE(28, 0);
    expect(() => decompressRtf(unknown)).toThrow(/COMPRESSED or UNCOMPRESSED/);
  });
});
