/** The run's folder-task slots shared fairly between mailboxes (fair-tasks.ts). */
import { FairTasks } from './fair-tasks.js';

/** A task that runs until released, recording when it started. */
function gate(log: string[], name: string) {
  let release!: () => void;
  const done = new Promise<void>((r) => { release = r; });
  return { fn: async () => { log.push(name); await done; return name; }, release };
}
const tick = () => new Promise((r) => setImmediate(r));

test('a mailbox that arrives first takes the free slots, but each slot that frees goes to a waiting mailbox with fewer running', async () => {
  const q = new FairTasks(4);
  const log: string[] = [];
  const a = ['a1', 'a2', 'a3', 'a4', 'a5'].map((n) => gate(log, n));
  const b = ['b1', 'b2', 'b3'].map((n) => gate(log, n));
  const c = ['c1', 'c2'].map((n) => gate(log, n));
  // a adds all its tasks first (its inventory finished first), then b, then c
  const all = [...a.map((t) => q.add('a', t.fn))];
  await tick();
  all.push(...b.map((t) => q.add('b', t.fn)), ...c.map((t) => q.add('c', t.fn)));
  await tick();
  // a took the four free slots at once (nobody else was waiting); from now on the slots go round
  expect(log).toEqual(['a1', 'a2', 'a3', 'a4']);
  expect(q.active).toBe(4);
  a[0]!.release();
  await tick();
  expect(log.slice(4)).toEqual(['b1']);
  a[1]!.release();
  await tick();
  expect(log.slice(5)).toEqual(['c1']);
  // a runs 2 (a3, a4), b 1, c 1: the next slot goes to the fewest running, the first of them (b)
  b[0]!.release();
  await tick();
  expect(log.slice(6)).toEqual(['b2']);
  // a3 ends: all run one; the tie goes to the mailbox whose last task started longest ago (a: a4)
  a[2]!.release();
  await tick();
  expect(log.slice(7)).toEqual(['a5']);
  for (const t of [...a, ...b, ...c]) t.release();
  await expect(Promise.all(all)).resolves.toEqual(['a1', 'a2', 'a3', 'a4', 'a5', 'b1', 'b2', 'b3', 'c1', 'c2']);
  expect(log).toHaveLength(10);
  expect(q.active).toBe(0);
});

test('fewer slots than mailboxes: the slots go round, a mailbox whose task ended does not take the slot back', async () => {
  const q = new FairTasks(2);
  const log: string[] = [];
  const byName = new Map<string, ReturnType<typeof gate>>();
  const all = ['a', 'b', 'c', 'd'].flatMap((m) => [1, 2, 3].map((i) => {
    const t = gate(log, `${m}${i}`);
    byName.set(`${m}${i}`, t);
    return q.add(m, t.fn);
  }));
  await tick();
  // the tasks end in the order they started, one at a time
  for (let ended = 0; ended < byName.size; ended++) {
    byName.get(log[ended] as string)?.release();
    await tick();
  }
  await Promise.all(all);
  expect(log).toEqual(['a1', 'a2', 'b1', 'c1', 'd1', 'a3', 'b2', 'c2', 'd2', 'b3', 'c3', 'd3']);
});

test('never more than the concurrency at once; one mailbox alone uses every slot; a failing task frees its slot', async () => {
  const q = new FairTasks(3);
  let now = 0;
  let peak = 0;
  const work = (fail: boolean) => async () => {
    now++;
    peak = Math.max(peak, now);
    await tick();
    now--;
    if (fail) throw new Error('folder failed');
    return 'ok';
  };
  const results = await Promise.allSettled(Array.from({ length: 10 }, (_, i) => q.add('only', work(i % 4 === 0))));
  expect(peak).toBe(3);
  expect(results.filter((r) => r.status === 'rejected')).toHaveLength(3);
  expect(q.active).toBe(0);
});

test('within a mailbox the tasks start in the order they were added', async () => {
  const q = new FairTasks(1);
  const log: string[] = [];
  await Promise.all(['heavy', 'middle', 'light'].map((n) => q.add('m', async () => { log.push(n); await tick(); })));
  expect(log).toEqual(['heavy', 'middle', 'light']);
});

test('a concurrency below 1 is refused', () => {
  expect(() => new FairTasks(0)).toThrow(RangeError);
});
