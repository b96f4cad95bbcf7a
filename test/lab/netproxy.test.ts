/**
 * The network-conditions proxy: bytes pass intact and in order, a round trip through it takes at
 * least the configured RTT, and faults happen at the byte offset asked for. A plain TCP server
 * stands in for the lab servers (the proxy does not look at what it carries), and one IMAPS login
 * to the lab's Dovecot shows TLS passing through.
 */
import { randomBytes, createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer, connect, type Server, type Socket } from 'node:net';
import { ImapFlow } from 'imapflow';
import { startNetProxy, type NetProxy } from './netproxy.js';
import { addSourceUser, startLab, uniqueLogin } from './lab.js';

/** A server that sends `payload` to every client and echoes everything else back. */
async function startServer(payload = Buffer.alloc(0)): Promise<{ server: Server; port: number; received: Buffer[] }> {
  const received: Buffer[] = [];
  const server = createServer((s) => {
    s.on('error', () => undefined);
    if (payload.length > 0) s.end(payload);
    else s.on('data', (d: Buffer) => { received.push(d); s.write(d); });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const addr = server.address();
  if (addr === null || typeof addr === 'string') throw new Error('no address');
  return { server, port: addr.port, received };
}

function dial(port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const s = connect({ host: '127.0.0.1', port }, () => resolve(s));
    s.once('error', reject);
  });
}

/** Reads until the socket ends or errors: the bytes and how it ended. */
function drain(s: Socket): Promise<{ bytes: Buffer; how: 'end' | string }> {
  const chunks: Buffer[] = [];
  s.on('data', (d: Buffer) => chunks.push(d));
  return new Promise((resolve) => {
    s.once('end', () => resolve({ bytes: Buffer.concat(chunks), how: 'end' }));
    s.once('error', (err: NodeJS.ErrnoException) => resolve({ bytes: Buffer.concat(chunks), how: err.code ?? err.message }));
  });
}

function readN(s: Socket, n: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let have = 0;
  return new Promise((resolve) => {
    const on = (d: Buffer) => {
      chunks.push(d);
      have += d.length;
      if (have >= n) { s.off('data', on); resolve(Buffer.concat(chunks)); }
    };
    s.on('data', on);
  });
}

const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

describe('netproxy', () => {
  let srv: Awaited<ReturnType<typeof startServer>>;
  let proxy: NetProxy | undefined;
  afterEach(async () => {
    await proxy?.close();
    proxy = undefined;
    await new Promise((r) => srv.server.close(r));
  });

  test('echo round trips take at least the RTT, bytes come back intact and in order', async () => {
    srv = await startServer();
    proxy = await startNetProxy({ host: '127.0.0.1', port: srv.port }, { rttMs: 40 });
    const s = await dial(proxy.port);
    const sent: Buffer[] = [];
    for (let i = 0; i < 5; i++) {
      const msg = randomBytes(1000 + i * 777);
      sent.push(msg);
      const t0 = performance.now();
      const got = readN(s, msg.length);
      s.write(msg);
      const back = await got;
      // The RTT is added once per request/answer pair; loopback itself adds ~nothing.
      expect(performance.now() - t0).toBeGreaterThanOrEqual(40 - 1);
      expect(sha(back)).toBe(sha(msg));
    }
    // Many small writes in one go come out in order.
    const burst = Array.from({ length: 200 }, (_, i) => Buffer.from(`line ${i}\n`));
    const total = Buffer.concat(burst);
    const got = readN(s, total.length);
    for (const b of burst) s.write(b);
    expect((await got).toString()).toBe(total.toString());
    expect(Buffer.concat(srv.received).length).toBe(sent.reduce((n, b) => n + b.length, 0) + total.length);
    s.destroy();
  });

  test('a bandwidth cap makes a transfer take at least bytes/rate', async () => {
    const payload = randomBytes(200_000);
    srv = await startServer(payload);
    proxy = await startNetProxy({ host: '127.0.0.1', port: srv.port }, { rttMs: 0, bytesPerSecond: 1_000_000 });
    const t0 = performance.now();
    const r = await drain(await dial(proxy.port));
    expect(r.how).toBe('end');
    expect(sha(r.bytes)).toBe(sha(payload));
    expect(performance.now() - t0).toBeGreaterThanOrEqual(200 - 5);
  });

  test.each(['reset', 'close'] as const)('%s after N bytes towards the client: exactly N bytes arrive, then the connection ends that way', async (kind) => {
    const payload = randomBytes(300_000);
    srv = await startServer(payload);
    proxy = await startNetProxy({ host: '127.0.0.1', port: srv.port }, { rttMs: 10 });
    const fired = proxy.fault({ kind, direction: 'toClient', afterBytes: 123_457 });
    const r = await drain(await dial(proxy.port));
    expect(await fired).toBe(0);
    expect(r.bytes.length).toBe(123_457);
    expect(r.bytes.equals(payload.subarray(0, 123_457))).toBe(true);
    expect(r.how).toBe(kind === 'reset' ? 'ECONNRESET' : 'end');
  });

  test('a fault towards the server is counted from the moment it is armed on a live connection', async () => {
    srv = await startServer();
    proxy = await startNetProxy({ host: '127.0.0.1', port: srv.port }, { rttMs: 0 });
    const s = await dial(proxy.port);
    const first = readN(s, 500);
    s.write(Buffer.alloc(500, 1));
    await first;
    const fired = proxy.fault({ kind: 'reset', direction: 'toServer', afterBytes: 300 });
    const ended = drain(s);
    s.write(Buffer.alloc(1000, 2));
    expect(await fired).toBe(0);
    const r = await ended;
    expect(r.how).toBe('ECONNRESET');
    // What the server received: the first 500 bytes, then exactly 300 of the 1000.
    await new Promise((res) => setTimeout(res, 50));
    const atServer = Buffer.concat(srv.received);
    expect(atServer.length).toBe(800);
    expect(atServer.subarray(500).equals(Buffer.alloc(300, 2))).toBe(true);
  });

  test('a stall holds a direction at the offset until released; nothing is lost', async () => {
    const payload = randomBytes(100_000);
    srv = await startServer(payload);
    proxy = await startNetProxy({ host: '127.0.0.1', port: srv.port }, { rttMs: 0 });
    const fired = proxy.fault({ kind: 'stall', direction: 'toClient', afterBytes: 50_000 });
    const s = await dial(proxy.port);
    const chunks: Buffer[] = [];
    s.on('data', (d: Buffer) => chunks.push(d));
    const ended = new Promise((res) => s.once('end', res));
    await fired;
    await new Promise((res) => setTimeout(res, 100));
    expect(Buffer.concat(chunks).length).toBe(50_000);
    proxy.release();
    await ended;
    expect(sha(Buffer.concat(chunks))).toBe(sha(payload));
  });

  test('an IMAPS login to the lab Dovecot works through it (TLS passes through)', async () => {
    const lab = await startLab();
    const login = uniqueLogin('proxy');
    await addSourceUser(login, 'secret-1');
    srv = await startServer();
    proxy = await startNetProxy({ host: lab.source.host, port: lab.source.tlsPort }, { rttMs: 20 });
    const client = new ImapFlow({
      host: '127.0.0.1', port: proxy.port, secure: true, auth: { user: login, pass: 'secret-1' },
      tls: { ca: [readFileSync(lab.source.caFile)] }, logger: false,
    });
    await client.connect();
    const t0 = performance.now();
    await client.noop();
    expect(performance.now() - t0).toBeGreaterThanOrEqual(20 - 1);
    expect((await client.list()).map((f) => f.path)).toContain('INBOX');
    await client.logout();
    expect(proxy.accepted).toBe(1);
  });
});
