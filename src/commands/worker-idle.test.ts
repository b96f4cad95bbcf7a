/**
 * `worker --exit-when-idle`: the idle check (worker-loop.ts waitUntilIdle) runs at once when one of
 * the worker's jobs ends, not only on its one-second tick, and a queue that still holds a job that
 * could run keeps the worker. Fake timers: no time passes unless the test advances it.
 */
import { jest } from '@jest/globals';
import { waitUntilIdle } from './worker-loop.js';

afterEach(() => { jest.useRealTimers(); });

function fakeQueue(jobs: number) {
  const state = { jobs, queries: 0, beats: 0 };
  const db = { query: async () => { state.queries++; return { rows: [{ n: state.jobs }] }; } };
  const liveness = { beat: async () => { state.beats++; } };
  return { state, db: db as never, liveness: liveness as never };
}

/** 'idle' once `p` has resolved, 'waiting' if it has not by the time pending callbacks have run. */
const settled = (p: Promise<void>) => Promise.race([p.then(() => 'idle'), new Promise((r) => setImmediate(() => r('waiting')))]);

test('a job that ends wakes the check at once; an empty queue then ends the wait', async () => {
  jest.useFakeTimers({ doNotFake: ['setImmediate'] });
  const q = fakeQueue(1);
  let wake: (() => void) | undefined;
  const idle = waitUntilIdle(q.db, new AbortController().signal, q.liveness, (w) => { wake = w; });
  expect(await settled(idle)).toBe('waiting');
  expect(q.state.queries).toBe(0);
  // the worker's last job ends (the queue has removed it): asked at once, without a tick
  q.state.jobs = 0;
  wake?.();
  expect(await settled(idle)).toBe('idle');
  expect(q.state).toEqual({ jobs: 0, queries: 1, beats: 1 });
});

test('a job still queued (waiting, retrying or running elsewhere) keeps the worker; the tick asks again', async () => {
  jest.useFakeTimers({ doNotFake: ['setImmediate'] });
  const q = fakeQueue(1);
  let wake: (() => void) | undefined;
  const idle = waitUntilIdle(q.db, new AbortController().signal, q.liveness, (w) => { wake = w; });
  wake?.();
  expect(await settled(idle)).toBe('waiting');
  expect(q.state.queries).toBe(1);
  await jest.advanceTimersByTimeAsync(1000);
  expect(await settled(idle)).toBe('waiting');
  expect(q.state.queries).toBe(2);
  q.state.jobs = 0;
  await jest.advanceTimersByTimeAsync(1000);
  expect(await settled(idle)).toBe('idle');
  expect(q.state.queries).toBe(3);
});

test('a job that ends while the queue is being asked is not lost: the check runs again at once', async () => {
  jest.useFakeTimers({ doNotFake: ['setImmediate'] });
  let wake: (() => void) | undefined;
  const answers = [1, 0];
  let queries = 0;
  const db = {
    query: async () => {
      queries++;
      // the other job ends while this answer is on its way
      if (queries === 1) wake?.();
      return { rows: [{ n: answers.shift() ?? 0 }] };
    },
  };
  const idle = waitUntilIdle(db as never, new AbortController().signal, { beat: async () => undefined } as never, (w) => { wake = w; });
  wake?.();
  expect(await settled(idle)).toBe('idle');
  expect(queries).toBe(2);
});
