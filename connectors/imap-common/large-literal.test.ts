/**
 * Large literals through imapflow as patched (patches/imapflow+2.10.2.patch): a message being
 * appended is written in slices as the link drains, not queued whole (TLS used to encrypt all of
 * it into the socket's queue at once: a second copy of a 40 MB message); a message being fetched
 * is gathered into one buffer of its declared size (collecting chunks and joining them held it
 * twice). These tests check the behaviour that gives the memory bound, and that the bytes are
 * exact, against a small IMAP server on loopback that reads slowly and answers in odd pieces.
 */
import net from 'node:net';
import { randomBytes } from 'node:crypto';
import { ImapFlow } from 'imapflow';

const MiB = 1024 * 1024;

/** A message of `size` bytes: headers, then random base64 lines. */
function message(size: number): Buffer {
  const head = Buffer.from('From: a@example.org\r\nSubject: big\r\n\r\n');
  const lines = randomBytes(size).toString('base64').replace(/.{76}/g, '$&\r\n');
  return Buffer.concat([head, Buffer.from(lines)]).subarray(0, size);
}

interface Server { port: number; appended: Buffer[]; close(): Promise<void> }

/**
 * Plaintext IMAP4rev1 just wide enough for LOGIN, SELECT, APPEND and UID FETCH of one message.
 * The APPEND literal is read slowly (paused between reads) so the client's socket fills up;
 * `dropAfter` closes the connection once that many literal bytes have arrived.
 */
async function startServer(opts: { fetchBody?: Buffer; dropAfter?: number }): Promise<Server> {
  const appended: Buffer[] = [];
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => undefined);
    let buf = Buffer.alloc(0);
    let literal: { tag: string; need: number; parts: Buffer[]; got: number } | undefined;
    const say = (s: string) => { if (!socket.destroyed) socket.write(`${s}\r\n`); };
    // Reads slowly: a pause after each chunk, so the client's writes pile up unless it waits for drain.
    const slow = () => { socket.pause(); setTimeout(() => socket.resume(), 2); };
    const handle = (line: string) => {
      const [tag = '*', cmd = '', ...rest] = line.split(' ');
      const verb = cmd.toUpperCase();
      if (verb === 'CAPABILITY') { say('* CAPABILITY IMAP4rev1 UIDPLUS'); say(`${tag} OK done`); return; }
      if (verb === 'LOGIN') { say(`${tag} OK logged in`); return; }
      if (verb === 'SELECT' || verb === 'EXAMINE') { say('* 1 EXISTS'); say('* OK [UIDVALIDITY 7] ok'); say('* OK [UIDNEXT 2] ok'); say(`${tag} OK [READ-WRITE] selected`); return; }
      if (verb === 'APPEND') {
        const m = /\{(\d+)\}$/.exec(line);
        if (!m) { say(`${tag} BAD no literal`); return; }
        literal = { tag, need: Number(m[1]), parts: [], got: 0 };
        say('+ go ahead');
        return;
      }
      if (verb === 'UID' && rest[0]?.toUpperCase() === 'FETCH' && opts.fetchBody) {
        const body = opts.fetchBody;
        const response = Buffer.concat([Buffer.from(`* 1 FETCH (UID 1 BODY[] {${body.length}}\r\n`), body, Buffer.from(`)\r\n${tag} OK fetched\r\n`)]);
        // Odd piece sizes, so literal boundaries fall inside chunks.
        for (let i = 0; i < response.length; i += 65_519) socket.write(response.subarray(i, i + 65_519));
        return;
      }
      if (verb === 'LOGOUT') { say('* BYE bye'); say(`${tag} OK bye`); socket.end(); return; }
      say(`${tag} OK ${verb}`);
    };
    socket.on('data', (d: Buffer) => {
      buf = Buffer.concat([buf, d]);
      for (;;) {
        if (literal) {
          slow();
          const take = Math.min(buf.length, literal.need - literal.got);
          literal.parts.push(buf.subarray(0, take));
          literal.got += take;
          buf = buf.subarray(take);
          if (opts.dropAfter !== undefined && literal.got >= opts.dropAfter) { socket.destroy(); return; }
          if (literal.got < literal.need) return;
          const i = buf.indexOf('\r\n');
          if (i < 0) return;
          appended.push(Buffer.concat(literal.parts));
          say(`${literal.tag} OK [APPENDUID 7 ${appended.length}] appended`);
          literal = undefined;
          buf = buf.subarray(i + 2);
          continue;
        }
        const i = buf.indexOf('\r\n');
        if (i < 0) return;
        const line = buf.subarray(0, i).toString('latin1');
        buf = buf.subarray(i + 2);
        handle(line);
      }
    });
    say('* OK [CAPABILITY IMAP4rev1 UIDPLUS] ready');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as net.AddressInfo).port,
    appended,
    close: () => new Promise<void>((resolve) => { for (const s of sockets) s.destroy(); server.close(() => resolve()); }),
  };
}

function client(port: number): ImapFlow {
  return new ImapFlow({ host: '127.0.0.1', port, secure: false, auth: { user: 'u', pass: 'p' }, logger: false, disableAutoIdle: true });
}

describe('imapflow large literals (patched)', () => {
  let server: Server | undefined;
  afterEach(async () => { await server?.close(); server = undefined; });

  test('an appended 24 MiB message is written as the link drains (never more than a slice or two queued) and arrives byte-identical', async () => {
    server = await startServer({});
    const c = client(server.port);
    await c.connect();
    const body = message(24 * MiB);
    const socket = (c as unknown as { writeSocket: net.Socket }).writeSocket;
    const write = socket.write.bind(socket) as (...a: unknown[]) => boolean;
    let peak = 0;
    let writes = 0;
    socket.write = ((...args: unknown[]) => {
      writes++;
      const ok = write(...args);
      peak = Math.max(peak, socket.writableLength);
      return ok;
    }) as typeof socket.write;
    const res = await c.append('INBOX', body, ['\\Seen']);
    socket.write = write as typeof socket.write;
    expect(res && res.uid).toBe(1);
    expect(server.appended).toHaveLength(1);
    expect(server.appended[0]!.equals(body)).toBe(true);
    // Unpatched: one write of 24 MiB, all of it queued at once.
    expect(writes).toBeGreaterThan(24 * 4);
    expect(peak).toBeLessThanOrEqual(2 * MiB);
    // The connection goes on working after the slices.
    const again = await c.append('INBOX', Buffer.from('Subject: small\r\n\r\nhi\r\n'));
    expect(again && again.uid).toBe(2);
    await c.logout();
  });

  test('a connection dropped in the middle of a large literal fails the APPEND instead of hanging', async () => {
    server = await startServer({ dropAfter: 3 * MiB });
    const c = client(server.port);
    c.on('error', () => undefined);
    await c.connect();
    await expect(c.append('INBOX', message(16 * MiB))).rejects.toBeDefined();
    expect(server.appended).toHaveLength(0);
    expect(c.usable).toBe(false);
  });

  test('a fetched 20 MiB literal split across odd chunks comes back byte-identical, with what follows it parsed', async () => {
    const body = message(20 * MiB + 3);
    server = await startServer({ fetchBody: body });
    const c = client(server.port);
    await c.connect();
    await c.mailboxOpen('INBOX');
    const m = await c.fetchOne('1', { uid: true, source: true }, { uid: true });
    expect(m && m.uid).toBe(1);
    expect(m && m.source && m.source.equals(body)).toBe(true);
    await c.logout();
  });
});
