/**
 * A network-conditions proxy for the lab (loopback only; this kernel has no netem): a TCP proxy in
 * front of any lab server that adds round-trip time, a bandwidth cap per connection and direction,
 * and faults on command (reset after N bytes, stall, close mid-stream).
 *
 *   const proxy = await startNetProxy({ host: '127.0.0.1', port: lab.source.tlsPort }, { rttMs: 50 });
 *   // connect to proxy.host:proxy.port instead (TLS passes through untouched)
 *   proxy.fault({ kind: 'reset', direction: 'toClient', afterBytes: 4096 });
 *   await proxy.close();
 *
 * Each chunk is forwarded RTT/2 after it arrived (so a request/answer pair costs one RTT more than
 * direct), never before the chunk ahead of it in the same direction: order is kept. With a
 * bandwidth cap, a chunk also waits for its bytes to "transmit" after the previous one.
 */
import { createServer, connect, type Server, type Socket } from 'node:net';

export interface NetConditions {
  /** Round-trip time added, in milliseconds (half each way). */
  rttMs: number;
  /** Bytes per second per connection and direction; undefined: unlimited. */
  bytesPerSecond?: number;
}

export type Direction = 'toServer' | 'toClient';

export interface NetFault {
  /** reset: TCP RST both ways; close: FIN both ways (a clean close mid-stream); stall: stop forwarding that direction. */
  kind: 'reset' | 'close' | 'stall';
  direction: Direction;
  /**
   * Bytes forwarded in `direction` before the fault, counted from the moment it is armed on each
   * connection open then (from its start on connections opened later). The first connection to get
   * there takes the fault; it then is spent.
   */
  afterBytes: number;
}

export interface NetProxy {
  host: string;
  port: number;
  /** Changes the conditions for chunks arriving from now on. */
  set(conditions: NetConditions): void;
  /** Arms a fault; resolves with the connection's number (0-based, in accept order) when it fires. */
  fault(f: NetFault): Promise<number>;
  /** Forwarding resumes on every stalled connection. */
  release(): void;
  /** Sees every chunk as it is forwarded (e.g. to trace plaintext IMAP commands); undefined stops it. */
  tap(fn: ((dir: Direction, chunk: Buffer, conn: number) => void) | undefined): void;
  /** Connections accepted so far. */
  readonly accepted: number;
  /** Bytes forwarded so far, per direction, over all connections. */
  readonly forwarded: Record<Direction, number>;
  close(): Promise<void>;
}

interface ArmedFault extends NetFault {
  fired: boolean;
  /** Per connection: its forwarded count in `direction` when the fault was armed. */
  base: Map<Link, number>;
  resolve(conn: number): void;
}

/** Above this many queued bytes in one direction the sending socket is paused. */
const HIGH_WATER = 4 * 1024 * 1024;

class Pipe {
  private readonly queue: { at: number; buf: Buffer }[] = [];
  private queued = 0;
  private lastAt = 0;
  private timer: NodeJS.Timeout | undefined;
  stalled = false;
  forwarded = 0;
  private paused = false;

  constructor(readonly link: Link, readonly dir: Direction, readonly from: Socket, readonly to: Socket) {
    from.on('data', (buf: Buffer) => this.push(buf));
  }

  private push(buf: Buffer): void {
    const { rttMs, bytesPerSecond } = this.link.proxy.conditions;
    const now = performance.now();
    const transmit = bytesPerSecond ? (buf.length / bytesPerSecond) * 1000 : 0;
    this.lastAt = Math.max(now + rttMs / 2, this.lastAt) + transmit;
    this.queue.push({ at: this.lastAt, buf });
    this.queued += buf.length;
    if (this.queued > HIGH_WATER && !this.paused) { this.paused = true; this.from.pause(); }
    this.schedule();
  }

  schedule(): void {
    if (this.timer || this.stalled || this.link.ended) return;
    const head = this.queue[0];
    if (!head) {
      if (this.link.fromEnded.has(this.dir)) this.to.end();
      return;
    }
    const wait = head.at - performance.now();
    if (wait > 0.5) {
      this.timer = setTimeout(() => { this.timer = undefined; this.schedule(); }, Math.ceil(wait));
      return;
    }
    this.queue.shift();
    this.queued -= head.buf.length;
    if (this.paused && this.queued <= HIGH_WATER) { this.paused = false; this.from.resume(); }
    this.forward(head.buf);
    setImmediate(() => this.schedule());
  }

  private forward(buf: Buffer): void {
    const f = this.link.proxy.pendingFault(this.link, this.dir);
    if (f) {
      const room = f.afterBytes - (this.forwarded - (f.base.get(this.link) ?? 0));
      if (room < buf.length) {
        const head = buf.subarray(0, Math.max(0, room));
        if (head.length > 0) this.write(head);
        f.fired = true;
        f.resolve(this.link.index);
        if (f.kind === 'stall') {
          this.stalled = true;
          this.queue.unshift({ at: 0, buf: buf.subarray(head.length) });
          this.queued += buf.length - head.length;
        } else {
          // Once what was written left the socket (the offset is exact), and a moment later, so the
          // peer has read those bytes before a reset (Linux drops unread data when an RST arrives).
          const how = f.kind;
          this.link.ended = true;
          this.to.write(Buffer.alloc(0), () => setTimeout(() => this.link.end(how), 20));
        }
        return;
      }
    }
    this.write(buf);
  }

  private write(buf: Buffer): void {
    this.link.proxy.tapFn?.(this.dir, buf, this.link.index);
    this.forwarded += buf.length;
    this.link.proxy.forwarded[this.dir] += buf.length;
    this.to.write(buf);
  }

  stop(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.queue.length = 0;
  }
}

class Link {
  readonly up: Pipe;
  readonly down: Pipe;
  ended = false;
  readonly fromEnded = new Set<Direction>();

  constructor(readonly proxy: Proxy, readonly index: number, readonly client: Socket, readonly server: Socket) {
    this.up = new Pipe(this, 'toServer', client, server);
    this.down = new Pipe(this, 'toClient', server, client);
    client.on('end', () => { this.fromEnded.add('toServer'); this.up.schedule(); });
    server.on('end', () => { this.fromEnded.add('toClient'); this.down.schedule(); });
    // A reset on one side is passed on as a reset; a FIN is passed on once the data before it is.
    const gone = () => { if (!this.ended) this.end('reset'); };
    client.on('error', gone);
    server.on('error', gone);
    const closed = () => { if (client.destroyed && server.destroyed) this.proxy.links.delete(this); };
    client.on('close', closed);
    server.on('close', closed);
  }

  pipe(d: Direction): Pipe {
    return d === 'toServer' ? this.up : this.down;
  }

  end(how: 'reset' | 'close'): void {
    this.ended = true;
    this.up.stop();
    this.down.stop();
    for (const s of [this.client, this.server]) {
      if (s.destroyed) continue;
      if (how === 'reset') s.resetAndDestroy();
      else s.end(() => s.destroy());
    }
    this.proxy.links.delete(this);
  }
}

class Proxy implements NetProxy {
  readonly links = new Set<Link>();
  readonly faults: ArmedFault[] = [];
  readonly forwarded: Record<Direction, number> = { toServer: 0, toClient: 0 };
  accepted = 0;
  tapFn: ((dir: Direction, chunk: Buffer, conn: number) => void) | undefined;
  host = '127.0.0.1';
  port = 0;

  constructor(readonly server: Server, public conditions: NetConditions) {}

  set(conditions: NetConditions): void {
    if (!(conditions.rttMs >= 0)) throw new RangeError(`rttMs must be >= 0, got ${conditions.rttMs}`);
    if (conditions.bytesPerSecond !== undefined && !(conditions.bytesPerSecond > 0)) throw new RangeError(`bytesPerSecond must be > 0, got ${conditions.bytesPerSecond}`);
    this.conditions = { ...conditions };
  }

  tap(fn: ((dir: Direction, chunk: Buffer, conn: number) => void) | undefined): void {
    this.tapFn = fn;
  }

  fault(f: NetFault): Promise<number> {
    if (!(f.afterBytes >= 0)) throw new RangeError(`afterBytes must be >= 0, got ${f.afterBytes}`);
    return new Promise((resolve) => {
      const base = new Map<Link, number>();
      for (const l of this.links) base.set(l, l.pipe(f.direction).forwarded);
      this.faults.push({ ...f, fired: false, base, resolve });
    });
  }

  pendingFault(link: Link, dir: Direction): ArmedFault | undefined {
    while (this.faults[0]?.fired) this.faults.shift();
    return this.faults.find((f) => !f.fired && f.direction === dir);
  }

  release(): void {
    for (const l of this.links) {
      for (const p of [l.up, l.down]) {
        if (!p.stalled) continue;
        p.stalled = false;
        p.schedule();
      }
    }
  }

  accept(client: Socket, target: { host: string; port: number }): void {
    const index = this.accepted++;
    const server = connect({ host: target.host, port: target.port, allowHalfOpen: true });
    client.setNoDelay(true);
    server.setNoDelay(true);
    const link = new Link(this, index, client, server);
    this.links.add(link);
  }

  async close(): Promise<void> {
    for (const l of [...this.links]) l.end('close');
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

/** Starts a proxy on 127.0.0.1 (a free port unless `listenPort`) forwarding to `target`. */
export async function startNetProxy(target: { host: string; port: number }, conditions: NetConditions = { rttMs: 0 }, listenPort = 0): Promise<NetProxy> {
  const server = createServer({ allowHalfOpen: true });
  const proxy = new Proxy(server, { rttMs: 0 });
  proxy.set(conditions);
  server.on('connection', (s) => proxy.accept(s, target));
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(listenPort, '127.0.0.1', () => resolve());
  });
  const addr = server.address();
  if (addr === null || typeof addr === 'string') throw new Error('netproxy: no TCP address');
  proxy.port = addr.port;
  return proxy;
}
