/**
 * A small hostile IMAP server for tests (plaintext, 127.0.0.1, a random port): just enough IMAP4rev1
 * for imapflow and the IMAP source connector (CAPABILITY, LOGIN, AUTHENTICATE PLAIN, LIST, LSUB,
 * STATUS, EXAMINE/SELECT, UID SEARCH, UID FETCH, CLOSE, LOGOUT), with the misbehaviour a test
 * needs: a refused login answered with an echo of the credentials it received, folder names with
 * any characters (sent in modified UTF-7, as RFC 3501 requires), and EXAMINE or a body FETCH
 * refused with a given text.
 */
import net from 'node:net';

export interface FakeMessage { uid: number; body: string; flags?: string[] }
export interface FakeFolder {
  name: string;
  uidValidity?: number;
  messages?: FakeMessage[];
  /** EXAMINE/SELECT answered `NO <text>` (imapflow turns a refused STATUS into "no answer", hiding the text). */
  openNo?: string;
  /** UID FETCH of message bodies answered `NO <text>`. */
  bodyNo?: string;
  /** A special-use attribute LIST gives the folder (RFC 6154), e.g. `\\Sent`. */
  specialUse?: string;
}
export interface FakeImapOptions {
  /** Login (authentication identity) → accepted password. Anything else is refused with an echo of what was sent. */
  users: Record<string, string>;
  folders: FakeFolder[];
  /** Offer AUTH=PLAIN (imapflow then authenticates with AUTHENTICATE PLAIN instead of LOGIN). */
  authPlain?: boolean;
  /** Offer LIST-EXTENDED and LIST-STATUS (RFC 5819): `LIST … RETURN (STATUS (…))` answers each folder's STATUS with the listing. */
  listStatus?: boolean;
  /** With listStatus: the listing's STATUS answers carry MESSAGES and UIDVALIDITY only ('partial'), or the LIST is refused with NO ('no'). */
  listStatusQuirk?: 'partial' | 'no';
  /** Offer CONDSTORE: STATUS answers HIGHESTMODSEQ when asked (each folder's highest UID + 100). */
  condstore?: boolean;
  /** Rewrites each answer chunk (a line, or a FETCH response with its literal) before it is sent: lies, drops, a BYE. */
  rewrite?: (data: Buffer) => Buffer;
}
export interface FakeImap { port: number; commands: string[]; close(): Promise<void> }

export async function startFakeImap(opts: FakeImapOptions): Promise<FakeImap> {
  const commands: string[] = [];
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => undefined);
    new Session(socket, opts, commands).start();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as net.AddressInfo).port;
  return {
    port,
    commands,
    close: () => new Promise<void>((resolve) => {
      for (const s of sockets) s.destroy();
      server.close(() => resolve());
    }),
  };
}

interface Piece { literal: boolean; data: Buffer }

class Session {
  private buf = Buffer.alloc(0);
  private pending: { need: number } | undefined;
  private line: Piece[] = [];
  private continuation: ((line: string) => void) | undefined;
  private selected: FakeFolder | undefined;

  constructor(private readonly socket: net.Socket, private readonly opts: FakeImapOptions, private readonly log: string[]) {}

  start(): void {
    this.send(`* OK [CAPABILITY ${this.caps()}] fake IMAP ready`);
    this.socket.on('data', (d: Buffer) => { this.buf = Buffer.concat([this.buf, d]); this.drain(); });
  }

  private caps(): string {
    return `IMAP4rev1 LITERAL+${this.opts.authPlain ? ' AUTH=PLAIN SASL-IR' : ''}${this.opts.listStatus ? ' LIST-EXTENDED LIST-STATUS' : ''}${this.opts.condstore ? ' CONDSTORE' : ''}`;
  }

  private send(s: string | Buffer): void {
    const data = typeof s === 'string' ? Buffer.from(`${s}\r\n`) : s;
    if (!this.socket.destroyed) this.socket.write(this.opts.rewrite ? this.opts.rewrite(data) : data);
  }

  /** Splits the input into command lines, with literals ({n} / {n+}) spliced in. */
  private drain(): void {
    for (;;) {
      if (this.pending) {
        if (this.buf.length < this.pending.need) return;
        this.line.push({ literal: true, data: this.buf.subarray(0, this.pending.need) });
        this.buf = this.buf.subarray(this.pending.need);
        this.pending = undefined;
        continue;
      }
      const nl = this.buf.indexOf('\r\n');
      if (nl < 0) return;
      const chunk = this.buf.subarray(0, nl);
      this.buf = this.buf.subarray(nl + 2);
      const lit = /\{(\d+)(\+?)\}$/.exec(chunk.toString('latin1'));
      if (lit) {
        this.line.push({ literal: false, data: chunk });
        this.pending = { need: Number(lit[1]) };
        if (lit[2] !== '+') this.send('+ go ahead');
        continue;
      }
      this.line.push({ literal: false, data: chunk });
      const whole = this.line;
      this.line = [];
      this.handle(whole);
    }
  }

  private handle(parts: Piece[]): void {
    const raw = Buffer.concat(parts.map((p) => p.data)).toString('utf8');
    if (this.continuation) {
      const k = this.continuation;
      this.continuation = undefined;
      k(raw);
      return;
    }
    const [tag, cmd, ...args] = tokenize(parts);
    this.log.push(raw);
    if (!tag || !cmd) return;
    const upper = cmd.toUpperCase();
    const sub = upper === 'UID' ? (args.shift() ?? '').toUpperCase() : '';
    try {
      this.dispatch(tag, upper === 'UID' ? `UID ${sub}` : upper, args, raw);
    } catch (err) {
      this.send(`${tag} BAD ${(err as Error).message}`);
    }
  }

  /** A folder's STATUS answer; `asked`: the command that asked (UIDNEXT and HIGHESTMODSEQ only when named in it). */
  private status(f: FakeFolder, asked: string): void {
    const msgs = f.messages ?? [];
    const uidNext = Math.max(0, ...msgs.map((m) => m.uid)) + 1;
    const items = [`MESSAGES ${msgs.length}`];
    if (/\bUIDNEXT\b/i.test(asked)) items.push(`UIDNEXT ${uidNext}`);
    items.push(`UIDVALIDITY ${f.uidValidity ?? 1}`);
    if (this.opts.condstore && /\bHIGHESTMODSEQ\b/i.test(asked)) items.push(`HIGHESTMODSEQ ${uidNext + 99}`);
    this.send(`* STATUS "${encodeMailboxName(f.name).replace(/[\\"]/g, '\\$&')}" (${items.join(' ')})`);
  }

  private dispatch(tag: string, cmd: string, args: string[], raw: string): void {
    const ok = (text = 'done') => this.send(`${tag} OK ${text}`);
    switch (cmd) {
      case 'CAPABILITY':
        this.send(`* CAPABILITY ${this.caps()}`);
        return ok();
      case 'NOOP': case 'CHECK': case 'ENABLE': case 'LSUB': case 'UNSELECT':
        return ok();
      case 'CLOSE':
        this.selected = undefined;
        return ok();
      case 'LOGOUT':
        this.send('* BYE bye');
        ok();
        this.socket.end();
        return;
      case 'LOGIN': {
        const [user = '', pass = ''] = args;
        if (this.opts.users[user] === pass) return ok(`[CAPABILITY ${this.caps()}] logged in`);
        // The hostile part: the refusal quotes the credentials, as sent on the wire and decoded.
        const wire = raw.replace(/^\S+\s+LOGIN\s+/i, '');
        return this.send(`${tag} NO [AUTHENTICATIONFAILED] bad login user "${user}" pass "${pass}" (sent: ${wire})`);
      }
      case 'AUTHENTICATE': {
        const finish = (b64: string) => {
          const [, authcid = '', pass = ''] = Buffer.from(b64.trim(), 'base64').toString('utf8').split('\0');
          if (this.opts.users[authcid] === pass) return ok(`[CAPABILITY ${this.caps()}] logged in`);
          return this.send(`${tag} NO [AUTHENTICATIONFAILED] bad login ${b64.trim()} user "${authcid}" pass "${pass}"`);
        };
        if (args[1] !== undefined) return finish(args[1]);
        this.continuation = finish;
        return this.send('+ ');
      }
      case 'NAMESPACE':
        this.send('* NAMESPACE (("" "/")) NIL NIL');
        return ok();
      case 'LIST':
        // LIST "" "": the hierarchy delimiter only (imapflow asks when there is no NAMESPACE).
        if (args[1] === '') this.send('* LIST (\\Noselect) "/" ""');
        else {
          const withStatus = this.opts.listStatus && /\bRETURN\s*\(.*\bSTATUS\b/i.test(raw);
          if (withStatus && this.opts.listStatusQuirk === 'no') return this.send(`${tag} NO LIST-STATUS is not available now`);
          for (const f of this.opts.folders) {
            const name = encodeMailboxName(f.name);
            this.send(`* LIST (\\HasNoChildren${f.specialUse ? ` ${f.specialUse}` : ''}) "/" "${name.replace(/[\\"]/g, '\\$&')}"`);
            if (withStatus) this.status(f, this.opts.listStatusQuirk === 'partial' ? '' : raw);
          }
        }
        return ok();
      case 'STATUS': {
        const f = this.folder(args[0]);
        if (!f) return this.send(`${tag} NO no such folder`);
        this.status(f, raw);
        return ok();
      }
      case 'SELECT': case 'EXAMINE': {
        const f = this.folder(args[0]);
        if (!f) return this.send(`${tag} NO no such folder`);
        if (f.openNo !== undefined) return this.send(`${tag} NO ${f.openNo}`);
        this.selected = f;
        const msgs = f.messages ?? [];
        this.send(`* ${msgs.length} EXISTS`);
        this.send('* 0 RECENT');
        this.send('* FLAGS (\\Seen \\Answered \\Flagged \\Deleted \\Draft)');
        this.send(`* OK [UIDVALIDITY ${f.uidValidity ?? 1}] ok`);
        this.send(`* OK [UIDNEXT ${Math.max(0, ...msgs.map((m) => m.uid)) + 1}] ok`);
        return ok(cmd === 'EXAMINE' ? '[READ-ONLY] done' : '[READ-WRITE] done');
      }
      case 'UID SEARCH': case 'SEARCH': {
        const msgs = this.selected?.messages ?? [];
        this.send(`* SEARCH${msgs.map((m) => ` ${m.uid}`).join('')}`);
        return ok();
      }
      case 'UID FETCH': case 'FETCH':
        return this.fetch(tag, args, cmd === 'UID FETCH');
      default:
        return this.send(`${tag} BAD unknown command ${cmd}`);
    }
  }

  private fetch(tag: string, args: string[], byUid: boolean): void {
    const f = this.selected;
    if (!f) return this.send(`${tag} BAD no folder selected`);
    const items = args.slice(1).join(' ').toUpperCase();
    const wantsBody = /BODY(\.PEEK)?\[\]/.test(items);
    if (wantsBody && f.bodyNo !== undefined) return this.send(`${tag} NO ${f.bodyNo}`);
    const msgs = f.messages ?? [];
    const wanted = inSet(args[0] ?? '', msgs.map((m, i) => (byUid ? m.uid : i + 1)));
    msgs.forEach((m, i) => {
      if (!wanted.has(byUid ? m.uid : i + 1)) return;
      const body = Buffer.from(m.body.replace(/\r?\n/g, '\r\n'));
      const parts: (string | Buffer)[] = [`* ${i + 1} FETCH (UID ${m.uid} FLAGS (${(m.flags ?? []).join(' ')}) INTERNALDATE "01-Jan-2024 10:00:00 +0000" RFC822.SIZE ${body.length}`];
      if (/HEADER\.FIELDS/.test(items)) {
        const mid = /^Message-ID:.*\r\n/im.exec(body.toString())?.[0] ?? '';
        const hdr = `${mid}\r\n`;
        parts.push(` BODY[HEADER.FIELDS (MESSAGE-ID)] {${Buffer.byteLength(hdr)}}\r\n${hdr}`);
      }
      if (wantsBody) parts.push(Buffer.concat([Buffer.from(` BODY[] {${body.length}}\r\n`), body]));
      parts.push(')\r\n');
      this.send(Buffer.concat(parts.map((p) => (typeof p === 'string' ? Buffer.from(p) : p))));
    });
    this.send(`${tag} OK done`);
  }

  private folder(encoded: string | undefined): FakeFolder | undefined {
    return this.opts.folders.find((f) => encodeMailboxName(f.name) === encoded);
  }
}

/** Atoms, quoted strings (unescaped) and literals of one command line, as strings. */
function tokenize(parts: Piece[]): string[] {
  const out: string[] = [];
  for (const part of parts) {
    if (part.literal) {
      out.push(part.data.toString('utf8'));
      continue;
    }
    // A literal announcement at the end of a piece stands for the literal (the next piece).
    const s = part.data.toString('utf8').replace(/\{\d+\+?\}$/, '');
    const re = /"((?:[^"\\]|\\.)*)"|(\S+)/g;
    for (let m = re.exec(s); m; m = re.exec(s)) out.push(m[1] !== undefined ? m[1].replace(/\\(.)/g, '$1') : (m[2] as string));
  }
  return out;
}

function inSet(set: string, ids: number[]): Set<number> {
  const max = Math.max(0, ...ids);
  const out = new Set<number>();
  for (const range of set.split(',')) {
    const [a = '', b] = range.split(':');
    const lo = a === '*' ? max : Number(a);
    const hi = b === undefined ? lo : b === '*' ? max : Number(b);
    for (const id of ids) if (id >= Math.min(lo, hi) && id <= Math.max(lo, hi)) out.add(id);
  }
  return out;
}

/** RFC 3501 modified UTF-7: printable ASCII as is ("&" as "&-"), anything else base64 of UTF-16BE. */
export function encodeMailboxName(name: string): string {
  let out = '';
  let run = '';
  const flush = () => {
    if (run === '') return;
    const utf16 = Buffer.alloc(run.length * 2);
    for (let i = 0; i < run.length; i++) utf16.writeUInt16BE(run.charCodeAt(i), i * 2);
    out += `&${utf16.toString('base64').replace(/=+$/, '').replace(/\//g, ',')}-`;
    run = '';
  };
  for (const ch of name) {
    const c = ch.codePointAt(0) as number;
    if (c >= 0x20 && c <= 0x7e) {
      flush();
      out += ch === '&' ? '&-' : ch;
    } else run += ch;
  }
  flush();
  return out;
}
