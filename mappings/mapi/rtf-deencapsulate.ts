/**
 * De-encapsulation of HTML or plain text from RTF ([MS-OXRTFEX]): rtf-stream-parser's
 * deEncapsulateSync with the options rtf-body.ts uses (mode 'either', outlookQuirksMode,
 * htmlFixContentType, output as a string), in one pass without its stream objects.
 *
 * rtf-stream-parser runs each token through ten "feature" objects (three loops of handlers per
 * token) behind two Transform streams, and creates a stream pair per call: a 40 KB body took
 * 5 ms, a third of a PST message's time. This is the same pipeline written out as one switch:
 * the same tokenizer (text runs, control words and parameters, \'hh, \bin), the same group
 * states (each group's state inheriting from its parent's), destinations (its table of control
 * words), \uc/\u skipping, code pages (\ansicpg, font tables with \fcharset/\cpg, symbol fonts),
 * \htmlrtf suppression (Outlook quirks mode: only \f and \htmlrtf count inside it), \htmltag
 * output with the HTML charset rewritten to UTF-8, < and > escaped outside it, and the same
 * errors. Its warnings (console.warn by default) are not printed. rtf-deencapsulate.test.ts
 * compares the two on real bodies and on thousands of generated and damaged ones.
 */
import { words } from 'rtf-stream-parser/dist/src/words.js';

export interface DeEncapsulated { mode: 'html' | 'text'; text: string }
type Decode = (data: Buffer, encoding: string) => string;

interface Font { fontName?: string; cpg?: number; fcharsetCpg?: number; themeFont?: string; fontFamily?: string }
/**
 * A group's state: its parent's, copied when the group opens, then changed for the group alone
 * (rtf-stream-parser inherits through prototypes; a parent never changes while a child group is
 * open, so a copy reads the same, without lookups along chains as deep as the nesting).
 */
interface State {
  uc: number; groupDepth: number; destDepth: number; destGroupDepth: number;
  destination: string | undefined; destIgnorable: boolean | undefined; destIgnorableImmediate: boolean | undefined;
  /** The destinations of this group and its ancestors (a copy per group that adds one). */
  allDestinations: Record<string, boolean> | undefined; font: string | undefined; htmlrtf: boolean | undefined;
  parent: State | undefined;
}
/** A token as rtf-stream-parser's tokenizer gives it: 0 `{`, 1 `}`, 2 control word or symbol, 3 text. */
interface Token { type: 0 | 1 | 2 | 3; word?: string; param?: number; data?: Buffer }

const CHARSET_CPG: Record<number, number> = {
  0: 1252, 2: 42, 77: 10000, 78: 10001, 79: 10003, 80: 10008, 81: 10002, 83: 10005, 84: 10004, 85: 10006, 86: 10081, 87: 10021,
  88: 10029, 89: 10007, 128: 932, 129: 949, 130: 1361, 134: 936, 136: 950, 161: 1253, 162: 1254, 163: 1258, 177: 1255, 178: 1256,
  186: 1257, 204: 1251, 222: 874, 238: 1250, 254: 437, 255: 850,
};
const KNOWN_CPG = new Set<number>([20127, 28591, ...Object.values(CHARSET_CPG)]);
const SYMBOL_FONTS = new Set(['Wingdings', 'Wingdings 2', 'Wingdings 3', 'Webdings', 'Symbol']);
const FONT_FAMILY = new Set(['fnil', 'froman', 'fswiss', 'fmodern', 'fscript', 'fdecor', 'ftech', 'fbidi']);
const THEME_FONT = new Set(['flomajor', 'fhimajor', 'fdbmajor', 'fbimajor', 'flominor', 'fhiminor', 'fdbminor', 'fbiminor']);
const ESCAPES: Record<string, string> = {
  par: '\r\n', line: '\r\n', tab: '\t', lquote: '\u2018', rquote: '\u2019', ldblquote: '\u201C', rdblquote: '\u201D', bullet: '\u2022',
  endash: '\u2013', emdash: '\u2014', '{': '{', '}': '}', '\\': '\\', '~': '\u00A0', _: '\u00AD',
};
const WORD_TYPES = words as Record<string, unknown>;
const isAlpha = (c: number): boolean => (c > 64 && c < 91) || (c > 96 && c < 123);
const isDigit = (c: number): boolean => c > 47 && c < 58;
const rxCharset = /(\bcharset=)([\w-]+)(")/i;
const modeError = (): Error => new Error('Not encapsulated HTML or text file');

class DeEncapsulator {
  private readonly root: State = {
    uc: 1, groupDepth: 0, destDepth: 0, destGroupDepth: 0, destination: undefined, destIgnorable: undefined, destIgnorableImmediate: undefined,
    allDestinations: undefined, font: undefined, htmlrtf: undefined, parent: undefined,
  };
  private state: State = this.root;
  private cpg = 1252;
  private count = 0;
  private lastLast: Token | null = null;
  private last: Token | null = null;
  private curr: Token | null = null;
  private done = false;
  private ansicpg = false;
  private skip = 0;
  private fromhtml = false;
  private fromtext = false;
  private didCharsetReplace = false;
  private deff: string | undefined;
  private fonttbl: Record<string, Font> | undefined;
  private buildingFontTable = false;
  private fontEntry: Font | undefined;
  private fontKey: string | undefined;
  private unicodeOut: string[] | undefined;
  private binaryOut: Buffer[] | undefined;
  private readonly out: string[] = [];

  constructor(private readonly decode: Decode) {}

  get isHtml(): boolean { return this.fromhtml; }
  result(): string { return this.out.join(''); }

  // --- tokenizer (rtf-stream-parser's Tokenize) ---

  tokenize(buf: Buffer): void {
    let mode = 0;
    let token: (Token & { length?: number }) | null = null;
    let param = '';
    let hexDigits = 0;
    const flush = (): void => {
      if (token) {
        if (param) token.param = Number.parseInt(param, 10);
        if (token.data && token.data.length > (token.length || 0)) token.data = token.data.subarray(0, token.length);
        const t: Token = token;
        token = null;
        this.handle(t);
      }
      token = null;
      hexDigits = 0;
      param = '';
      mode = 0;
    };
    const specialOrPush = (): void => {
      const t = token!;
      const n = parseInt(param || '0', 10) || 0;
      if (t.word === 'bin' && n > 0) {
        mode = 4;
        t.data = Buffer.alloc(n);
        t.length = 0;
      } else if (t.word === '\'') {
        mode = 5;
        t.data = Buffer.alloc(1);
        t.length = 0;
        hexDigits = 0;
      } else {
        flush();
      }
    };
    const len = buf.length;
    for (let i = 0; i < len; i++) {
      const c = buf[i]!;
      switch (mode) {
        case 4: {
          const t = token!;
          t.data![t.length!++] = c;
          if (t.length! >= t.data!.length) flush();
          break;
        }
        case 5: {
          const t = token!;
          const byte = parseInt(String.fromCharCode(c), 16);
          if (!Number.isNaN(byte)) t.data![0] = t.data![0]! + (hexDigits === 0 ? byte * 16 : byte);
          hexDigits++;
          if (hexDigits === 2) { t.length = 1; flush(); }
          break;
        }
        case 1:
          token = { type: 2, word: String.fromCharCode(c) };
          if (isAlpha(c)) mode = 2;
          else specialOrPush();
          break;
        case 2:
          if (isAlpha(c)) token!.word += String.fromCharCode(c);
          else if (isDigit(c) || c === 45) { mode = 3; param = String.fromCharCode(c); } else {
            specialOrPush();
            if (c !== 32) i -= 1;
          }
          break;
        case 3:
          if (isDigit(c)) param += String.fromCharCode(c);
          else {
            specialOrPush();
            if (c !== 32) i -= 1;
          }
          break;
        default:
          if (c === 123) { flush(); this.handle({ type: 0 }); } else if (c === 125) { flush(); this.handle({ type: 1 }); } else if (c === 92) { flush(); mode = 1; } else if (c !== 13 && c !== 10) {
            let end = i;
            while (end < len) { const d = buf[end]!; if (d === 13 || d === 10 || d === 123 || d === 125 || d === 92) break; end++; }
            const slice = buf.subarray(i, end);
            if (!token) token = { type: 3, data: slice, length: slice.length };
            else if (token.type === 3) { token.length! += slice.length; token.data = Buffer.concat([token.data!, slice], token.length); } else throw new Error('Unpushed token!');
            i = end - 1;
          }
      }
    }
    flush();
    // the end: rtf-stream-parser's flush handlers
    if (this.count === 0) throw new Error('File should start with "{"');
    if (this.count === 1) throw new Error('File should start with "{\\rtf"');
    if (!this.fromhtml && !this.fromtext) throw modeError();
  }

  // --- one token through the handlers, in rtf-stream-parser's order ---

  private handle(token: Token): void {
    // countTokens, checkVersion
    ++this.count;
    if (this.count === 1 && token.type !== 0) throw new Error('File should start with "{"');
    if (this.count === 2 && (token.word !== 'rtf' || (token.param && token.param !== 1))) throw new Error('File should start with "{\\rtf[0,1]"');
    // group state: nothing after the final closing brace
    if (this.done) return;
    // \uc/\u skipping
    switch (token.type) {
      case 0: case 1: this.skip = 0; break;
      case 2: if (this.skip > 0) { this.skip--; return; } break;
      default:
        if (this.skip >= token.data!.length) { this.skip -= token.data!.length; return; }
        if (this.skip > 0) { token.data = token.data!.subarray(this.skip); this.skip = 0; }
    }
    // the last tokens (for destinations)
    this.lastLast = this.last;
    this.last = this.curr;
    this.curr = token;
    // de-encapsulation: text before \fromhtml/\fromtext is an error; \htmlrtf hides all but \f and \htmlrtf
    if (!this.fromhtml && !this.fromtext && (token.type === 3 || this.count > 10)) throw modeError();
    if (this.state.htmlrtf && (token.type !== 2 || (token.word !== 'f' && token.word !== 'htmlrtf'))) return;
    // buffered \u and \'hh output ends at any other token
    if (this.unicodeOut && (token.type !== 2 || (token.word !== 'uc' && token.word !== 'u'))) this.flushBuffers();
    else if (this.binaryOut && (token.type !== 2 || token.word !== '\'')) this.flushBuffers();
    switch (token.type) {
      case 0: this.open(); return;
      case 1: this.close(); return;
      case 3: this.flushBuffers(); this.output(token.data!); return;
      default: this.destination(token); this.control(token);
    }
  }

  private open(): void {
    const p = this.state;
    const s: State = {
      uc: p.uc, groupDepth: p.groupDepth + 1, destDepth: p.destDepth, destGroupDepth: p.destGroupDepth, destination: p.destination,
      destIgnorable: p.destIgnorable, destIgnorableImmediate: p.destIgnorableImmediate, allDestinations: p.allDestinations,
      font: p.font, htmlrtf: p.htmlrtf, parent: p,
    };
    this.state = s;
    if (this.buildingFontTable && s.destination === 'fonttbl' && s.groupDepth === s.destGroupDepth + 1) this.fontEntry = {};
  }

  private close(): void {
    this.state = this.state.parent ?? this.root;
    if (this.state === this.root) this.done = true;
    const s = this.state;
    if (this.buildingFontTable && s.destination === 'fonttbl' && s.groupDepth === s.destGroupDepth) {
      if (!this.fontEntry || !this.fontKey) throw new Error('Finished a font table group but no key?');
      this.fonttbl![this.fontKey] = this.fontEntry;
      this.fontEntry = undefined;
      this.fontKey = undefined;
    }
    if (this.buildingFontTable && s.destGroupDepth === 1) this.buildingFontTable = false;
  }

  private destination(token: Token): void {
    const type = WORD_TYPES[token.word!] || 0;
    const afterBrace = this.last?.type === 0;
    const afterStar = this.last?.type === 2 && this.last.word === '*' && this.lastLast?.type === 0;
    if (type === 5 && afterBrace) {
      this.state.destination = token.word;
      this.state.destIgnorableImmediate = false;
      this.addDestination(token.word!);
    } else if ((type === 5 || type === 0) && afterStar) {
      this.state.destination = token.word;
      this.state.destIgnorableImmediate = this.state.destIgnorable = true;
      this.addDestination(token.word!);
    }
  }

  private addDestination(name: string): void {
    const s = this.state;
    s.destDepth = (s.destDepth || 0) + 1;
    s.destGroupDepth = s.groupDepth;
    if (!s.allDestinations) s.allDestinations = { [name]: true };
    else if (!s.allDestinations[name]) s.allDestinations = { ...s.allDestinations, [name]: true };
  }

  private control(token: Token): void {
    const s = this.state;
    const word = token.word!;
    const param = token.param;
    switch (word) {
      case 'uc': s.uc = param || 0; return;
      case 'u': {
        this.skip = s.uc;
        if (typeof param !== 'number') throw new Error('Unicode control word with no param');
        (this.unicodeOut ??= []).push(String.fromCodePoint(param < 0 ? param + 0x10000 : param));
        return;
      }
      case '\'': (this.binaryOut ??= []).push(token.data!); return;
      case 'mac': case 'pc': case 'pca': throw new Error(`Unsupported character set \\${word}`);
      case 'ansicpg':
        if ((s.destination === 'rtf' && s.destDepth > 1 && this.ansicpg) || this.ansicpg || typeof param !== 'number') return;
        this.ansicpg = true;
        this.cpg = param;
        return;
      case 'deff':
        if (s.destination === 'rtf' && s.destDepth > 1 && this.deff !== undefined) return;
        if (s.destination !== 'rtf' || s.destDepth !== 1) throw new Error('\\deff not at root group');
        if (this.deff !== undefined) throw new Error('\\deff already defined');
        this.deff = `${param}`;
        return;
      case 'fonttbl':
        if (this.fonttbl && s.destGroupDepth > 2) return;
        if (this.fonttbl) throw new Error('fonttbl already created');
        if (s.destDepth !== 2 || s.destGroupDepth !== 2) throw new Error('fonttbl not in header');
        this.buildingFontTable = true;
        this.fonttbl = {};
        return;
      case 'f': {
        if (param === undefined) throw new Error('No param for \\f');
        if (this.fontEntry && this.fontKey) throw new Error('\\f control word in font group which already has \\f');
        if (this.fontEntry) this.fontKey = `${param}`;
        else s.font = `${param}`;
        return;
      }
      case 'fcharset': {
        if (!this.fontEntry) return;
        if (typeof param !== 'number') throw new Error('fcharset with no param');
        if (param !== 1) {
          let cpg = CHARSET_CPG[param];
          if (cpg === undefined && KNOWN_CPG.has(param)) cpg = param;
          if (cpg !== undefined) this.fontEntry.fcharsetCpg = cpg;
        }
        return;
      }
      case 'cpg':
        if (this.fontEntry && typeof param === 'number') this.fontEntry.cpg = param;
        return;
      case 'fromhtml': case 'fromtext':
        if (s.destination !== 'rtf') throw new Error(`\\${word} not at root group`);
        if (this.fromhtml || this.fromtext) throw new Error('\\fromhtml or \\fromtext already defined');
        if (word === 'fromhtml') this.fromhtml = true;
        else this.fromtext = true;
        return;
      case 'htmlrtf': s.htmlrtf = param !== 0; return;
      default:
        if (THEME_FONT.has(word)) { if (this.fontEntry) this.fontEntry.themeFont = word.slice(1); return; }
        if (FONT_FAMILY.has(word)) { if (this.fontEntry) this.fontEntry.fontFamily = word.slice(1); return; }
        if (Object.prototype.hasOwnProperty.call(ESCAPES, word)) this.output(ESCAPES[word]!);
    }
  }

  private flushBuffers(): void {
    if (this.unicodeOut) {
      const str = this.unicodeOut.join('');
      this.unicodeOut = undefined;
      this.output(str);
    }
    if (this.binaryOut) {
      const data = Buffer.concat(this.binaryOut);
      this.binaryOut = undefined;
      this.output(data);
    }
  }

  // --- output: the filters, the code page, the HTML fix-ups ---

  private output(data: string | Buffer): void {
    const s = this.state;
    if (this.fontEntry) {
      // a font table entry's text is its name (non-ASCII characters as \uXXXX)
      let text = (typeof data === 'string' ? data : data.toString('latin1'))
        // eslint-disable-next-line no-control-regex
        .replace(/[^\x00-\x7F]/g, (c) => { const hex = c.charCodeAt(0).toString(16).toUpperCase(); return `\\u${'0000'.slice(0, 4 - hex.length)}${hex}`; });
      text = (this.fontEntry.fontName || '') + text;
      if (text.endsWith(';')) {
        text = text.substr(0, text.length - 1);
        if (text.length > 2 && text.startsWith('"') && text.endsWith('"')) text = text.substr(1, text.length - 2);
      }
      this.fontEntry.fontName = text;
      return;
    }
    if (s.htmlrtf) return;
    const dests = s.allDestinations || {};
    const inHtmltag = !!dests.htmltag;
    if (!inHtmltag && (s.destIgnorable || dests.fonttbl || dests.colortbl || dests.stylesheet || dests.pntext)) return;
    const font = inHtmltag ? undefined : this.fonttbl && this.fonttbl[s.font || this.deff || ''];
    let str: string;
    if (font && (font.fcharsetCpg === 42 || font.cpg === 42 || SYMBOL_FONTS.has(font.fontName || ''))) {
      if (typeof data === 'string') {
        str = '';
        for (const c of data) {
          const cp = c.codePointAt(0)!;
          str += (cp >= 0 && cp <= 0xff) || (cp >= 0xf000 && cp <= 0xf0ff) ? String.fromCodePoint(cp % 0xf000) : String.fromCodePoint(cp);
        }
      } else {
        str = data.toString('latin1');
      }
    } else if (typeof data === 'string') {
      str = data;
    } else {
      const cpg = font ? font.cpg || font.fcharsetCpg || this.cpg : this.cpg;
      if (cpg === 20127 || cpg === 65001) str = data.toString('utf8');
      else if (cpg === 1200) str = data.toString('utf16le');
      else if (cpg) str = this.decode(data, `cp${cpg}`);
      else throw new Error('text with no codepage');
    }
    if (this.fromhtml) {
      if (inHtmltag) {
        if (!this.didCharsetReplace) {
          str = str.replace(rxCharset, (_m, pre: string, _charset: string, post: string) => {
            this.didCharsetReplace = true;
            return `${pre}UTF-8${post}`;
          });
        }
      } else if (str.includes('<') || str.includes('>')) {
        str = str.replace(/<|>/g, (m) => (m === '<' ? '&lt;' : '&gt;'));
      }
    }
    this.out.push(str);
  }
}

/** The HTML or text Outlook encapsulated in an RTF body; throws (as rtf-stream-parser does) when it is genuine RTF. */
export function deEncapsulate(rtf: Buffer, decode: Decode): DeEncapsulated {
  const d = new DeEncapsulator(decode);
  d.tokenize(rtf);
  return { mode: d.isHtml ? 'html' : 'text', text: d.result() };
}
