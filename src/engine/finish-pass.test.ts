/**
 * The engine ends every pass of a mailbox it opened with `finishPass` before `close` (the UMS
 * target removes its staging folders there), whether the pass went well, a folder failed or it
 * was interrupted; `plan` and `reconcile` (openMailboxPair) only close. SplitMailbox forwards it
 * to both sides.
 */
import pino from 'pino';
import { SplitMailbox } from '../../connectors/split-target.js';
import { useTempStateStore } from '../../test/support/engine-setup.js';
import { MemorySource, MemoryTarget } from '../../test/support/memory-connectors.js';
import type { TargetMailbox } from '../model/types.js';
import { openMailboxPair, runJob, type JobOptions } from './job.js';

const log = pino({ level: 'silent' });
const options: JobOptions = {
  filters: { maxMessageSize: 1024 * 1024 },
  folders: { include: ['**'], exclude: [], rename: [], specialUse: { sent: 'Sent', trash: 'Trash', junk: 'Spam', drafts: 'Drafts', archive: 'Archive' }, invalidCharReplacement: '_' },
  batchSize: 3, writersPerTask: 3, tasks: 2, mailboxes: 1, byteBudget: 1024 * 1024,
  retry: { attempts: 1, baseDelayMs: 1, maxDelayMs: 1 },
};
const job = [{ source: { login: 'alice' }, target: { login: 'alice' } }];

/** A memory target that records the calls that end a session. */
function recording(calls: string[]): MemoryTarget {
  const t = new MemoryTarget();
  const open = t.openMailbox.bind(t);
  t.openMailbox = async (a) => {
    const mb = await open(a);
    return Object.assign(Object.create(mb) as TargetMailbox, {
      finishPass: async () => { calls.push('finishPass'); },
      close: async () => { calls.push('close'); await mb.close(); },
    });
  };
  return t;
}

const tmp = useTempStateStore('ums-finish-pass');

test('a pass that went well, one with a failed folder and an interrupted one each end with finishPass, then close', async () => {
  const src = new MemorySource();
  src.add(['INBOX'], 'Message-ID: <a@x>\r\n\r\nbody\r\n');
  for (const setup of [
    () => undefined,
    () => { src.beforeRead = () => { throw new Error('folder gone'); }; src.changes = async () => { throw new Error('folder gone'); }; },
  ]) {
    setup();
    const calls: string[] = [];
    await runJob({ store: tmp.store, sources: src, targets: recording(calls), log }, job, options);
    expect(calls).toEqual(['finishPass', 'close']);
  }
  const calls: string[] = [];
  const stop = new AbortController();
  const fresh = new MemorySource();
  fresh.add(['INBOX'], 'Message-ID: <b@x>\r\n\r\nbody\r\n');
  fresh.beforeRead = () => stop.abort();
  await runJob({ store: tmp.store, sources: fresh, targets: recording(calls), log, signal: stop.signal }, [{ source: { login: 'bob' }, target: { login: 'bob' } }], options);
  expect(calls).toEqual(['finishPass', 'close']);
});

test('plan and reconcile open the pair and only close it', async () => {
  const calls: string[] = [];
  const pair = await openMailboxPair({ sources: new MemorySource(), targets: recording(calls) }, job[0]!, options);
  await pair.source.close();
  await pair.target.close();
  expect(calls).toEqual(['close']);
});

test('SplitMailbox forwards finishPass to both sides', async () => {
  const calls: string[] = [];
  const side = (name: string) => Object.assign(Object.create(new MemoryTarget()) as TargetMailbox, { finishPass: async () => { calls.push(name); } });
  await new SplitMailbox(side('mail'), side('groupware')).finishPass();
  expect(calls.sort()).toEqual(['groupware', 'mail']);
});
