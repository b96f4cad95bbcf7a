/**
 * openMailboxPair opens the source and the target of a mailbox at once (each login is several
 * round trips of its own), reports the source's error when both fail, and closes the side that
 * opened when the other did not; closeMailboxPair closes both at once, the target's pass ended
 * first where asked. SplitTarget opens its mail and groupware sides the same way.
 */
import { SplitTarget } from '../../connectors/split-target.js';
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

test('the target is opened while the source is still logging in', async () => {
  const targetAsked = gate();
  const source = new MemorySource();
  source.add(['INBOX'], 'Message-ID: <a@x>\r\n\r\nbody\r\n');
  const openSource = source.openMailbox.bind(source);
  // the source's login ends only once the target's has begun: one after the other would wait forever
  source.openMailbox = async (a: Account) => { await targetAsked.reached; return openSource(a); };
  const target = new MemoryTarget();
  const openTarget = target.openMailbox.bind(target);
  target.openMailbox = async (a: Account) => { targetAsked.open(); return openTarget(a); };
  const pair = await within(openMailboxPair({ sources: source, targets: target }, job, options), 'opening the pair');
  expect(pair.containers.map((c) => c.path)).toEqual([['INBOX']]);
  await closeMailboxPair(pair);
});

test('when both sides fail the source\'s error is reported; a side that opened is closed when the other failed', async () => {
  const failing = <T extends { openMailbox: (a: Account) => Promise<unknown> }>(c: T, message: string): T => Object.assign(c, { openMailbox: async () => { throw new Error(message); } });
  await expect(openMailboxPair({ sources: failing(new MemorySource(), 'source login refused'), targets: failing(new MemoryTarget(), 'target login refused') }, job, options))
    .rejects.toThrow('source login refused');

  const closed: string[] = [];
  const target = new MemoryTarget();
  const openTarget = target.openMailbox.bind(target);
  target.openMailbox = async (a) => Object.assign(Object.create(await openTarget(a)) as TargetMailbox, { close: async () => { closed.push('target'); } });
  await expect(openMailboxPair({ sources: failing(new MemorySource(), 'source login refused'), targets: target }, job, options)).rejects.toThrow('source login refused');
  expect(closed).toEqual(['target']);

  const source = new MemorySource();
  const openSource = source.openMailbox.bind(source);
  source.openMailbox = async (a) => Object.assign(Object.create(await openSource(a)) as SourceMailbox, { close: async () => { closed.push('source'); } });
  await expect(openMailboxPair({ sources: source, targets: failing(new MemoryTarget(), 'target login refused') }, job, options)).rejects.toThrow('target login refused');
  expect(closed).toEqual(['target', 'source']);
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
  await closeMailboxPair({ source: Object.assign(Object.create(new MemorySource()) as SourceMailbox, { close: async () => { calls.push('source close'); } }), target });
  expect(calls).toEqual(['source close', 'target close']); // no finishPass unless asked
  await closeMailboxPair(undefined);
});

test('SplitTarget opens its mail and groupware sides at once; one that opened is closed when the other failed', async () => {
  const groupwareAsked = gate();
  const mail = new MemoryTarget();
  const openMail = mail.openMailbox.bind(mail);
  mail.openMailbox = async (a: Account) => { await groupwareAsked.reached; return openMail(a); };
  const groupware = new MemoryTarget();
  const openGroupware = groupware.openMailbox.bind(groupware);
  groupware.openMailbox = async (a: Account) => { groupwareAsked.open(); return openGroupware(a); };
  const opened = await within(new SplitTarget(mail, groupware).openMailbox(job.target), 'opening both sides');
  await opened.close();

  const closed: string[] = [];
  const closing = (name: string) => {
    const t = new MemoryTarget();
    const open = t.openMailbox.bind(t);
    t.openMailbox = async (a) => Object.assign(Object.create(await open(a)) as TargetMailbox, { close: async () => { closed.push(name); } });
    return t;
  };
  const refusing = (message: string) => Object.assign(new MemoryTarget(), { openMailbox: async () => { throw new Error(message); } });
  await expect(new SplitTarget(closing('mail'), refusing('DAV discovery failed')).openMailbox(job.target)).rejects.toThrow('DAV discovery failed');
  await expect(new SplitTarget(refusing('IMAP login refused'), closing('groupware')).openMailbox(job.target)).rejects.toThrow('IMAP login refused');
  await expect(new SplitTarget(refusing('IMAP login refused'), refusing('DAV discovery failed')).openMailbox(job.target)).rejects.toThrow('IMAP login refused');
  expect(closed).toEqual(['mail', 'groupware']);
});
