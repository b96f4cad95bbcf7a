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
});
