/**
 * The hostile-input corpus's building blocks: strings that attack a terminal, a file name, a CSV
 * cell or a Postfix map, a seeded generator for mutations, and the checks every suite applies to
 * what the tool prints (no raw control or bidi character in human output, no secret anywhere).
 * Deterministic: everything random comes from src/util/seeded-random.ts.
 */
import { seededRandom } from '../../src/util/seeded-random.js';

/** Strings a terminal would act on, or that hide what a line says. */
export const TERMINAL_ATTACKS = {
  titleChange: 't\x1b]0;pwned\x07',
  clearScreen: 'c\x1b[2J\x1b[H',
  c1Csi: 'k\u009b31mred',
  bell: 'b\x07\x07',
  backspace: 'abc\b\b\bxyz',
  carriageReturn: 'real\rfake',
  nul: 'n\x00ul',
  del: 'd\x7fel',
  rtlOverride: 'invoice\u202efdp.exe',
  isolate: 'x\u2066y\u2069z',
  lineSeparator: 'l\u2028s',
} as const;

export type AttackName = keyof typeof TERMINAL_ATTACKS;
export const ATTACK_NAMES = Object.keys(TERMINAL_ATTACKS) as AttackName[];

/**
 * Characters that must never reach a human reader raw: C0 controls but tab and newline, DEL, C1
 * controls, bidi embeddings/overrides/isolates and marks, and the Unicode line/paragraph separators.
 */
// eslint-disable-next-line no-control-regex
const UNSAFE = /[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/u;
const UNSAFE_ALL = new RegExp(UNSAFE.source, 'gu');

/** The unsafe characters in `text`, each with a little context (JSON-escaped), for failure messages. */
export function unsafeSpots(text: string, max = 5): string[] {
  const out: string[] = [];
  for (const m of text.matchAll(UNSAFE_ALL)) {
    const at = m.index ?? 0;
    out.push(JSON.stringify(text.slice(Math.max(0, at - 30), at + 10)));
    if (out.length >= max) break;
  }
  return out;
}

/** (jest) Human output must hold no raw control or bidi character; `where` names the output. */
export function expectCleanHuman(text: string, where: string): void {
  expect({ where, unsafe: unsafeSpots(text) }).toEqual({ where, unsafe: [] });
}

/** (jest) None of `secrets` appears in `text` (nor its base64, as in an Authorization header). */
export function expectNoSecret(text: string | Buffer, secrets: readonly string[], where: string): void {
  const s = Buffer.isBuffer(text) ? text.toString('latin1') : text;
  const found = secrets.filter((x) => x.length >= 6 && (s.includes(x) || s.includes(Buffer.from(x).toString('base64'))));
  expect({ where, found }).toEqual({ where, found: [] });
}

/** A seeded generator with the helpers the generators need. */
export class Rng {
  private readonly next: () => number;
  constructor(seed: number) {
    this.next = seededRandom(seed);
  }
  float(): number {
    return this.next();
  }
  int(min: number, max: number): number {
    return min + Math.floor(this.next() * (max - min + 1));
  }
  pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.next() * items.length)] as T;
  }
  bytes(n: number): Buffer {
    const b = Buffer.alloc(n);
    for (let i = 0; i < n; i++) b[i] = Math.floor(this.next() * 256);
    return b;
  }
}

/** `buf` with `count` seeded mutations: control bytes inserted, bytes flipped high, a cut. */
export function mutate(buf: Buffer, rng: Rng, count: number): Buffer {
  let out = Buffer.from(buf);
  for (let i = 0; i < count; i++) {
    const at = rng.int(0, Math.max(0, out.length - 1));
    const kind = rng.int(0, 3);
    if (kind === 0) out = Buffer.concat([out.subarray(0, at), Buffer.from([rng.pick([0x00, 0x07, 0x08, 0x0d, 0x1b, 0x7f, 0x9b])]), out.subarray(at)]);
    else if (kind === 1) out[at] = 0x80 | (out[at] ?? 0);
    else if (kind === 2) out = Buffer.concat([out.subarray(0, at), Buffer.from(rng.pick(Object.values(TERMINAL_ATTACKS))), out.subarray(at)]);
    else out = Buffer.concat([out.subarray(0, at), Buffer.from('\r\n\r\n'), out.subarray(at)]);
  }
  return out;
}

/** Folder names a source may report (beyond control characters): traversal, wildcards, CSV formulas, map comments. */
export const NAME_ATTACKS = {
  dotdot: '..',
  tildeRoot: '~root',
  percent: '50%',
  star: 'star*',
  formula: '=HYPERLINK("evil","x")',
  plusFormula: '+cmd|\' -C calc\'!A0',
  hash: '#comment',
  quote: 'say "hi"',
  backslash: 'back\\slash',
  ampersand: 'a&b',
  leadingSpace: ' lead',
  zeroWidth: 'zero\u200bwidth',
  long: `long-${'x'.repeat(240)}`,
} as const;
