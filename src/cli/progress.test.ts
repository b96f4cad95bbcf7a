import { ProgressLine } from './progress.js';

/** A stand-in for a TTY stderr that records what is written. */
function fakeTty(): NodeJS.WriteStream & { written: string[] } {
  const written: string[] = [];
  return { isTTY: true, columns: 200, written, write: (s: string) => { written.push(s); return true; } } as unknown as NodeJS.WriteStream & { written: string[] };
}

test('the progress line shows a hostile mailbox and folder name escaped: no raw control character reaches the terminal', () => {
  const out = fakeTty();
  const p = new ProgressLine(out);
  p.onEvent({ type: 'container-start', mailbox: 'bob\u202e', container: 'Evil\x1b]0;pwned\x07\x1b[2J\u009b31m\r', target: 'INBOX.x', total: 3, bytes: 10 });
  p.onEvent({ type: 'item', mailbox: 'bob', container: 'x', status: 'done', size: 5 });
  p.stop();
  const text = out.written.join('');
  expect(text).toContain('bob\\u202e: Evil\\x1b]0;pwned\\x07\\x1b[2J\\x9b31m\\x0d');
  // Only the line's own carriage return and final newline remain.
  // eslint-disable-next-line no-control-regex
  expect(text.replace(/^\r/, '').replace(/\n$/, '')).not.toMatch(/[\u0000-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/);
});
