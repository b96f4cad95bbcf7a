import type { EngineEvent } from '../engine/events.js';
import type { KindTotals } from '../state/store.js';
import { ProgressLine } from './progress.js';

/** A stand-in for a TTY stderr that records what is written. */
function fakeTty(isTTY = true): NodeJS.WriteStream & { written: string[] } {
  const written: string[] = [];
  return { isTTY, columns: 200, written, write: (s: string) => { written.push(s); return true; } } as unknown as NodeJS.WriteStream & { written: string[] };
}

function kind(k: Partial<KindTotals> & Pick<KindTotals, 'kind' | 'totalItems'>): KindTotals {
  return { containers: 1, totalBytes: 0, bytesUnknown: 0, doneItems: 0, doneBytes: 0, failedItems: 0, skippedItems: 0, ...k };
}

/** A clock the test moves. */
function fakeClock(): { now: () => number; advance: (ms: number) => void } {
  let t = 1_000_000;
  return { now: () => t, advance: (ms) => { t += ms; } };
}

const items = (n: number, mailbox: string, container: string, size = 100): EngineEvent[] =>
  Array.from({ length: n }, () => ({ type: 'item', mailbox, container, status: 'done', size }) as EngineEvent);

test('the progress line shows a hostile mailbox and folder name escaped: no raw control character reaches the terminal', () => {
  const out = fakeTty();
  const p = new ProgressLine(out, { intervalMs: 0 });
  p.onEvent({ type: 'inventory', mailbox: 'bob\u202e', inventoriedAt: '2026-01-01T00:00:00.000Z', kinds: [kind({ kind: 'mail', totalItems: 3 })] });
  p.onEvent({ type: 'container-start', mailbox: 'bob\u202e', container: 'x', name: 'Evil\x1b]0;pwned\x07\x1b[2J\u009b31m\r', kind: 'mail', target: 'INBOX.x', total: 3, bytes: 10 });
  p.onEvent({ type: 'item', mailbox: 'bob\u202e', container: 'x', status: 'done', size: 5 });
  p.stop();
  const text = out.written.join('');
  expect(text).toContain('bob\\u202e: Evil\\x1b]0;pwned\\x07\\x1b[2J\\x9b31m\\x0d');
  // Only the line's own carriage return and final newline remain.
  // eslint-disable-next-line no-control-regex
  expect(text.replace(/^\r/, '').replace(/\n$/, '')).not.toMatch(/[\u0000-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/);
});

test('percent, counts, bytes, rate and ETA of the whole inventory (pending mailbox included); folder by name, never its id', () => {
  const clock = fakeClock();
  const out = fakeTty();
  const p = new ProgressLine(out, { intervalMs: 0, now: clock.now });
  p.onEvent({ type: 'inventory', mailbox: 'erin@x', inventoriedAt: '2026-01-01T00:00:00.000Z', kinds: [kind({ kind: 'mail', totalItems: 100, totalBytes: 10_000 })] });
  p.onEvent({ type: 'inventory', mailbox: 'finn@x', inventoriedAt: '2026-01-01T00:00:00.000Z', kinds: [kind({ kind: 'mail', totalItems: 100, totalBytes: 10_000 })] });
  p.onEvent({ type: 'mailbox-start', mailbox: 'erin@x' });
  p.onEvent({ type: 'container-start', mailbox: 'erin@x', container: 'AAMkADk0ZWM5NjE2LWI0ZDQtNDkzYS1iMWY2LTEzNjk0', name: 'Posteingang/Projekte', kind: 'mail', target: 'INBOX.Projekte', total: 100, bytes: 10_000 });
  for (const e of items(50, 'erin@x', 'AAMkADk0ZWM5NjE2LWI0ZDQtNDkzYS1iMWY2LTEzNjk0')) p.onEvent(e);
  clock.advance(10_000);
  const s = p.snapshot();
  expect(s).toMatchObject({ percent: 25, processed: 50, total: 200, doneBytes: 5000, totalBytes: 20_000, itemsPerSecond: 5, etaSeconds: 30 });
  const line = p.line();
  expect(line).toMatch(/^ 25% \[#####-+\] 50\/200 items \| 4\.9 KiB\/19\.5 KiB \| 5\.0 items\/s 500 B\/s \| ETA 0:30 \| erin@x: Posteingang\/Projekte$/);
  expect(line).not.toContain('AAMk');
});

test('after a resume it continues from the done counts, never goes back, and a complete run ends at 100 %', () => {
  const clock = fakeClock();
  const out = fakeTty();
  const p = new ProgressLine(out, { intervalMs: 0, now: clock.now });
  // the interrupted run had done 60 of 100; items outside a date window (10) are never listed
  p.onEvent({ type: 'inventory', mailbox: 'a', inventoriedAt: '2026-01-01T00:00:00.000Z', kinds: [kind({ kind: 'mail', totalItems: 100, doneItems: 60 })] });
  expect(p.snapshot().percent).toBe(60);
  p.onEvent({ type: 'container-start', mailbox: 'a', container: 'INBOX', name: 'INBOX', kind: 'mail', target: 'INBOX', total: 100, bytes: null });
  const seen: number[] = [p.snapshot().percent];
  for (const e of items(20, 'a', 'INBOX')) { p.onEvent(e); seen.push(p.snapshot().percent); }
  // its pass re-inventories: 20 new messages arrived meanwhile (total 120, done 80)
  p.onEvent({ type: 'inventory', mailbox: 'a', inventoriedAt: '2026-01-01T01:00:00.000Z', kinds: [kind({ kind: 'mail', totalItems: 120, doneItems: 80 })] });
  seen.push(p.snapshot().percent);
  for (const e of items(30, 'a', 'INBOX')) { p.onEvent(e); seen.push(p.snapshot().percent); }
  expect(seen.every((v, i) => i === 0 || v >= (seen[i - 1] as number))).toBe(true);
  expect(p.snapshot().processed).toBe(110);
  p.onEvent({ type: 'mailbox-end', mailbox: 'a', ok: true, interrupted: false });
  p.stop();
  expect(p.snapshot()).toMatchObject({ percent: 100, processed: 120, total: 120, etaSeconds: 0 });
  expect(out.written.join('')).toMatch(/100% \[#{20}\] 120\/120 items[^\n]*\n$/);
});

test('an interrupted mailbox is not shown complete; done never exceeds the total', () => {
  const p = new ProgressLine(fakeTty(), { intervalMs: 0 });
  p.onEvent({ type: 'inventory', mailbox: 'a', inventoriedAt: '2026-01-01T00:00:00.000Z', kinds: [kind({ kind: 'mail', totalItems: 10, totalBytes: 1000 })] });
  p.onEvent({ type: 'container-start', mailbox: 'a', container: 'INBOX', name: 'INBOX', kind: 'mail', target: 'INBOX', total: 10, bytes: 1000 });
  for (const e of items(15, 'a', 'INBOX', 120)) p.onEvent(e);
  p.onEvent({ type: 'mailbox-end', mailbox: 'a', ok: true, interrupted: true });
  expect(p.snapshot()).toMatchObject({ processed: 10, total: 10, doneBytes: 1000, totalBytes: 1000 });
  const q = new ProgressLine(fakeTty(), { intervalMs: 0 });
  q.onEvent({ type: 'inventory', mailbox: 'a', inventoriedAt: '2026-01-01T00:00:00.000Z', kinds: [kind({ kind: 'mail', totalItems: 10 })] });
  q.onEvent({ type: 'mailbox-end', mailbox: 'a', ok: true, interrupted: true });
  expect(q.snapshot().percent).toBe(0);
});

test('kinds apart on the line: mail, events, contacts, tasks each with done of total', () => {
  const p = new ProgressLine(fakeTty(), { intervalMs: 0 });
  p.onEvent({ type: 'inventory', mailbox: 'a', inventoriedAt: '2026-01-01T00:00:00.000Z', kinds: [
    kind({ kind: 'mail', totalItems: 10 }), kind({ kind: 'event', totalItems: 4 }), kind({ kind: 'contact', totalItems: 3 }), kind({ kind: 'task', totalItems: 2, bytesUnknown: 1 }),
  ] });
  p.onEvent({ type: 'container-start', mailbox: 'a', container: 'cal', name: 'Kalender', kind: 'event', target: 'calendar:Kalender', total: 4, bytes: null });
  for (const e of items(4, 'a', 'cal')) p.onEvent(e);
  p.onEvent({ type: 'container-start', mailbox: 'a', container: 'tasks', name: 'Aufgaben', kind: 'task', target: 'tasks:Aufgaben', total: 2, bytes: null });
  p.onEvent({ type: 'item', mailbox: 'a', container: 'tasks', status: 'failed', size: 0 });
  expect(p.snapshot().kinds).toEqual([{ kind: 'mail', done: 0, total: 10 }, { kind: 'event', done: 4, total: 4 }, { kind: 'contact', done: 0, total: 3 }, { kind: 'task', done: 0, total: 2 }]);
  const line = p.line();
  expect(line).toContain('| mail 0/10 events 4/4 contacts 0/3 tasks 0/2 |');
  expect(line).toContain('1 failed 0 skipped');
  expect(line).toContain('/≥0 B'); // a size unknown: the total is a lower bound, never a plain 0
});

test('a mailbox never inventoried is said to be not counted, not counted as 0 items', () => {
  const p = new ProgressLine(fakeTty(), { intervalMs: 0 });
  p.onEvent({ type: 'inventory', mailbox: 'a', inventoriedAt: '2026-01-01T00:00:00.000Z', kinds: [kind({ kind: 'mail', totalItems: 10 })] });
  p.onEvent({ type: 'inventory', mailbox: 'b', inventoriedAt: null, kinds: [] });
  expect(p.snapshot()).toMatchObject({ total: 10, uncounted: 1 });
  expect(p.line()).toContain('0/10+ items');
  expect(p.line()).toContain('1 mailbox not counted yet');
});

test('text printed while the line is shown clears the line first; nothing at all is written to a non-terminal', () => {
  const out = fakeTty();
  const p = new ProgressLine(out, { intervalMs: 0 });
  p.redraw();
  p.onEvent({ type: 'inventory', mailbox: 'a', inventoriedAt: null, kinds: [] });
  p.redraw();
  expect(out.written).toEqual([]); // no totals known yet: no line of zeros
  p.onEvent({ type: 'inventory', mailbox: 'a', inventoriedAt: '2026-01-01T00:00:00.000Z', kinds: [] });
  p.redraw();
  p.print('SIGINT: finishing\n');
  expect(out.written.slice(1, 3)).toEqual(['\r\x1b[2K', 'SIGINT: finishing\n']);
  expect(out.written[3]).toMatch(/^\r {2}0%/);
  const pipe = fakeTty(false);
  const q = new ProgressLine(pipe, { intervalMs: 0 });
  q.onEvent({ type: 'inventory', mailbox: 'a', inventoriedAt: null, kinds: [] });
  q.redraw();
  q.stop();
  expect(pipe.written).toEqual([]);
});
