import { ConnectionPool } from './pool.js';
import { ByteBudget, Semaphore } from './semaphore.js';

const tick = () => new Promise((r) => setImmediate(r));

describe('Semaphore and ByteBudget', () => {
  test('semaphore hands permits to waiters in order', async () => {
    const s = new Semaphore(1);
    await s.acquire();
    expect(s.tryAcquire()).toBe(false);
    const order: number[] = [];
    void s.acquire().then(() => order.push(1));
    void s.acquire().then(() => order.push(2));
    s.release();
    await tick();
    expect(order).toEqual([1]);
    s.release();
    await tick();
    expect(order).toEqual([1, 2]);
  });

  test('byte budget lets an item larger than the whole budget through alone', async () => {
    const b = new ByteBudget(100);
    const big = await b.acquire(1000);
    expect(big).toBe(100);
    let second = false;
    void b.acquire(10).then(() => { second = true; });
    await tick();
    expect(second).toBe(false);
    b.release(big);
    await tick();
    expect(second).toBe(true);
  });
});

describe('ConnectionPool', () => {
  test('opens extra connections only while server slots are free, and shares its own otherwise', async () => {
    const slots = new Semaphore(2);
    let opened = 0;
    const pool = new ConnectionPool<{ id: number; ok: boolean }>({
      open: async () => ({ id: ++opened, ok: true }), close: async () => undefined, usable: (c) => c.ok, max: 5, slots,
    });
    const seen = new Set<number>();
    await Promise.all(Array.from({ length: 6 }, () => pool.use(async (c) => { seen.add(c.id); await tick(); })));
    expect(opened).toBe(2);
    expect(seen).toEqual(new Set([1, 2]));
    await pool.close();
    expect(slots.available).toBe(2);
  });

  test('a broken connection is replaced and its slot returned', async () => {
    const slots = new Semaphore(1);
    let opened = 0;
    const pool = new ConnectionPool<{ id: number; ok: boolean }>({
      open: async () => ({ id: ++opened, ok: true }), close: async () => undefined, usable: (c) => c.ok, max: 1, slots,
    });
    await pool.use(async (c) => { c.ok = false; });
    const id = await pool.use(async (c) => c.id);
    expect(id).toBe(2);
    await pool.close();
    expect(slots.available).toBe(1);
  });

  test('a failed open wakes a caller queued behind it instead of leaving it waiting forever', async () => {
    const slots = new Semaphore(1);
    let attempts = 0;
    const pool = new ConnectionPool<{ ok: boolean }>({
      open: async () => { if (++attempts === 1) throw new Error('refused'); return { ok: true }; },
      close: async () => undefined, usable: () => true, max: 2, slots,
    });
    const a = pool.use(async () => 'a');
    const b = pool.use(async () => 'b');
    await expect(a).rejects.toThrow('refused');
    await expect(b).resolves.toBe('b');
    await pool.close();
  });

  test('a pool never waits on a slot held by another idle pool once it has a connection', async () => {
    const slots = new Semaphore(2);
    const mk = () => new ConnectionPool<{ ok: boolean }>({ open: async () => ({ ok: true }), close: async () => undefined, usable: () => true, max: 4, slots });
    const a = mk();
    const b = mk();
    await a.use(async () => undefined);
    await b.use(async () => undefined);
    // Both hold one slot; parallel work on each must still complete on their own connection.
    await Promise.all([a, b].flatMap((p) => [1, 2, 3].map(() => p.use(async () => tick()))));
    await a.close();
    await b.close();
    expect(slots.available).toBe(2);
  });

  describe('fair share: a pool waiting for its first slot gets one from a pool holding more', () => {
    const mk = (slots: Semaphore, log: string[], name: string) => {
      let n = 0;
      return new ConnectionPool<{ id: string }>({
        open: async () => { const id = `${name}${++n}`; log.push(`open ${id}`); return { id }; },
        close: async (c) => { log.push(`close ${c.id}`); },
        usable: () => true, max: 4, slots,
      });
    };

    test('idle connections beyond the first are closed as soon as another pool waits', async () => {
      const slots = new Semaphore(3);
      const log: string[] = [];
      const a = mk(slots, log, 'a');
      const b = mk(slots, log, 'b');
      // a fills every slot, then goes idle
      await Promise.all([1, 2, 3].map(() => a.use(async () => tick())));
      expect(slots.available).toBe(0);
      const got = await b.use(async (c) => c.id);
      expect(got).toBe('b1');
      // one of a's idle connections made way (a keeps two: nobody waits any more)
      expect(log.filter((l) => l.startsWith('close'))).toHaveLength(1);
      await a.use(async () => undefined);
      await a.close();
      await b.close();
      expect(slots.available).toBe(3);
    });

    test('a slot made way goes back only once its connection is closed (the server never sees one more than the cap)', async () => {
      const slots = new Semaphore(2);
      const log: string[] = [];
      let finishClose: () => void = () => undefined;
      const a = new ConnectionPool<{ id: string }>({
        open: async () => ({ id: `a${log.push('open a')}` }),
        close: (c) => new Promise<void>((resolve) => { log.push(`closing ${c.id}`); finishClose = () => { log.push(`closed ${c.id}`); resolve(); }; }),
        usable: () => true, max: 2, slots,
      });
      const b = mk(slots, log, 'b');
      await Promise.all([1, 2].map(() => a.use(async () => tick())));
      const got = b.use(async (c) => c.id);
      for (let i = 0; i < 5; i++) await tick();
      expect(log.filter((l) => l.startsWith('closing'))).toHaveLength(1);
      expect(log).not.toContain('open b1');
      finishClose();
      expect(await got).toBe('b1');
      expect(log.indexOf('open b1')).toBeGreaterThan(log.findIndex((l) => l.startsWith('closed')));
      await b.close();
      const closingA = a.close();
      finishClose();
      await closingA;
      expect(slots.available).toBe(2);
    });

    test('a busy pool gives its extra connection back when it comes free, its own callers go on with the first', async () => {
      const slots = new Semaphore(2);
      const log: string[] = [];
      const a = mk(slots, log, 'a');
      const b = mk(slots, log, 'b');
      let release!: () => void;
      const gate = new Promise<void>((r) => { release = r; });
      const ran: string[] = [];
      // a holds both slots, busy; more of its work queues behind them
      const work = [1, 2, 3, 4].map((i) => a.use(async (c) => { ran.push(`${i}:${c.id}`); await gate; }));
      await tick();
      expect(slots.available).toBe(0);
      const bDone = b.use(async (c) => c.id);
      release();
      await Promise.all(work);
      expect(await bDone).toBe('b1');
      // the connection a gave back went to b; a's queued work ran on the one it kept
      const closed = log.filter((l) => l.startsWith('close')).map((l) => l.slice('close '.length));
      expect(closed).toHaveLength(1);
      const kept = closed[0] === 'a1' ? 'a2' : 'a1';
      expect(ran.slice(2)).toEqual([`3:${kept}`, `4:${kept}`]);
      await a.close();
      await b.close();
      expect(slots.available).toBe(2);
    });

    test('a pool never gives back its only connection: with as many pools as slots, the next waits', async () => {
      const slots = new Semaphore(1);
      const log: string[] = [];
      const a = mk(slots, log, 'a');
      const b = mk(slots, log, 'b');
      await a.use(async () => undefined);
      let bGot = false;
      const bDone = b.use(async () => { bGot = true; });
      await tick();
      expect(bGot).toBe(false);
      expect(log).toEqual(['open a1']);
      await a.close();
      await bDone;
      expect(bGot).toBe(true);
      await b.close();
    });

    test('a pool listens to the gate from its first connection until closed; one whose login failed never does', async () => {
      const sem = new Semaphore(2);
      let listening = 0;
      const slots = {
        acquire: () => sem.acquire(), tryAcquire: () => sem.tryAcquire(), release: () => sem.release(),
        get contended() { return sem.contended; },
        onContention: (fn: () => void) => { listening++; const off = sem.onContention(fn); return () => { listening--; off(); }; },
      };
      const refused = new ConnectionPool<object>({ open: async () => { throw new Error('login refused'); }, close: async () => undefined, usable: () => true, max: 2, slots });
      await expect(refused.use(async () => undefined)).rejects.toThrow('login refused');
      expect(listening).toBe(0);
      const ok = new ConnectionPool<object>({ open: async () => ({}), close: async () => undefined, usable: () => true, max: 2, slots });
      await ok.use(async () => undefined);
      await ok.use(async () => undefined);
      expect(listening).toBe(1);
      await ok.close();
      expect(listening).toBe(0);
      expect(sem.available).toBe(2);
    });
  });
});
