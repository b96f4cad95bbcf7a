/**
 * openMailboxPair opens the source before the target (a mailbox's first connection to each server
 * holds a slot until it closes: taking them in one order keeps two mailboxes from waiting for each
 * other's), never the target when the source failed, and closes the source when the target
 * failed; closeMailboxPair closes both at once, the target's pass ended first where asked, and
 * throws nothing.
 */
import { MemorySource, MemoryTarget } from '../../test/support/memory-connectors.js';
import type { Account, SourceMailbox, TargetMailbox } from '../model/types.js';
import { closeMailboxPair, openMailboxPair, type JobOptions } from './job.js';

const options: Pick<JobOptions, 'folders'> = {
  folders: { include: ['**'], exclude: [], rename: [], specialUse: { sent: 'Sent', trash: 'Trash', junk: 'Spam', drafts: 'Drafts', archive: 'Archive' }, invalidCharReplacement: '_' },
};
const job = { source: { login: 'alice' }, target: { login: 'alice' } };

/** A promise and its resolve, to hold one side until the other has been reached. */
function gate(): { reached: Promise<void>; open: () => void } {
  let open = () => undefined as void;
  const reached = new Promise<void>((r) => { open = r; });
  return { reached, open };
}

/** Fails the test instead of hanging when `p` waits for something that never comes. */
function within<T>(p: Promise<T>, what: string, ms = 2000): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => { timer = setTimeout(() => reject(new Error(`${what}: still waiting after ${ms} ms`)), ms); });
  return Promise.race([p, late]).finally(() => clearTimeout(timer));
}

test('the target is opened once the source is open, and not at all when the source failed', async () => {
  const calls: string[] = [];
  const source = new MemorySource();
  source.add(['INBOX'], 'Message-ID: <a@x>\r\n\r\nbody\r\n');
  const openSource = source.openMailbox.bind(source);
  source.openMailbox = async (a: Account) => { calls.push('source open'); await new Promise((r) => setTimeout(r, 20)); calls.push('source opened'); return openSource(a); };
  const target = new MemoryTarget();
  const openTarget = target.openMailbox.bind(target);
  target.openMailbox = async (a: Account) => { calls.push('target open'); return openTarget(a); };
  const pair = await openMailboxPair({ sources: source, targets: target }, job, options);
  expect(pair.containers.map((c) => c.path)).toEqual([['INBOX']]);
  expect(calls).toEqual(['source open', 'source opened', 'target open']);
  await closeMailboxPair(pair);

  calls.length = 0;
  source.openMailbox = async () => { calls.push('source open'); throw new Error('source login refused'); };
  await expect(openMailboxPair({ sources: source, targets: target }, job, options)).rejects.toThrow('source login refused');
  expect(calls).toEqual(['source open']);
});

test('a target that fails to open closes the source, and its error is the one reported', async () => {
  const closed: string[] = [];
  const source = new MemorySource();
  const openSource = source.openMailbox.bind(source);
  source.openMailbox = async (a) => Object.assign(Object.create(await openSource(a)) as SourceMailbox, { close: async () => { closed.push('source'); } });
  const target = Object.assign(new MemoryTarget(), { openMailbox: async () => { throw new Error('target login refused'); } });
  await expect(openMailboxPair({ sources: source, targets: target }, job, options)).rejects.toThrow('target login refused');
  expect(closed).toEqual(['source']);
});

test('both sides are closed at once, the target\'s pass ended before its close; a failing close is not thrown', async () => {
  const calls: string[] = [];
  const targetClosing = gate();
  const source = Object.assign(Object.create(new MemorySource()) as SourceMailbox, {
    // the source's LOGOUT answers only once the target's close has begun
    close: async () => { calls.push('source close'); await targetClosing.reached; calls.push('source closed'); },
  });
  const target = Object.assign(Object.create(new MemoryTarget()) as TargetMailbox, {
    finishPass: async () => { calls.push('finishPass'); },
    close: async () => { calls.push('target close'); targetClosing.open(); throw new Error('connection reset'); },
  });
  await within(closeMailboxPair({ source, target }, { finishPass: true }), 'closing the pair');
  expect(calls).toEqual(['source close', 'finishPass', 'target close', 'source closed']);

  calls.length = 0;
  // a close that throws before it returns a promise is not thrown either
  const throwing = Object.assign(Object.create(new MemorySource()) as SourceMailbox, { close: () => { calls.push('source close'); throw new Error('socket gone'); } });
  await closeMailboxPair({ source: throwing, target });
  expect(calls).toEqual(['source close', 'target close']); // no finishPass unless asked
  await closeMailboxPair(undefined);
});
