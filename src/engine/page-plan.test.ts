import type { ItemMeta } from '../model/types.js';
import type { ItemStatus } from '../state/store.js';
import type { PassMode } from './checkpoint-codec.js';
import type { ContainerCheckpoint } from './checkpoint-codec.js';
import { GONE_REASON, passStart, planPage, resultsWithoutWrite, writesOf, type ItemAction } from './page-plan.js';

const filters = { before: new Date('2024-01-01T00:00:00Z'), maxMessageSize: 100 };
const inWindow = new Date('2023-06-01T00:00:00Z');

/** One item of each kind the filters tell apart. */
const items: Record<string, ItemMeta> = {
  copyable: { id: 'c', size: 10, flags: [], internalDate: inWindow, messageId: '<c@x>' },
  tooLarge: { id: 'l', size: 101, flags: [], internalDate: inWindow, messageId: '<l@x>' },
  outside: { id: 'o', size: 10, flags: [], internalDate: new Date('2024-02-01T00:00:00Z') },
  notCopyable: { id: 'n', size: 0, flags: [], skip: 'a symbolic link out of the tree' },
};

/** The action for each item kind, by the status recorded before (undefined: never recorded); `write` is the mode's write. */
const expected = (status: ItemStatus | undefined, write: 'copy' | 'verify'): Record<string, ItemAction['kind']> => {
  if (status === 'done') return { copyable: 'done', tooLarge: 'done', outside: 'done', notCopyable: 'done' };
  if (status === 'skipped') return { copyable: write, tooLarge: 'still-skipped', outside: 'still-skipped', notCopyable: 'still-skipped' };
  return { copyable: write, tooLarge: 'skip', outside: 'outside', notCopyable: 'skip' };
};

describe('planPage', () => {
  const modes: [PassMode, 'copy' | 'verify'][] = [['normal', 'copy'], ['verify', 'verify']];
  const statuses: (ItemStatus | undefined)[] = [undefined, 'pending', 'failed', 'skipped', 'done'];
  for (const [mode, write] of modes) {
    for (const status of statuses) {
      test(`${mode} mode, recorded ${status ?? 'never'}`, () => {
        for (const [name, item] of Object.entries(items)) {
          const known = new Map<string, ItemStatus>(status ? [[item.id, status]] : []);
          const [action] = planPage({ items: [item] }, known, filters, mode);
          expect({ name, kind: action?.kind }).toEqual({ name, kind: expected(status, write)[name] });
        }
      });
    }
  }

  test('a skip carries the reason: the filter\'s, or the source\'s', () => {
    const actions = planPage({ items: [items.tooLarge as ItemMeta, items.notCopyable as ItemMeta] }, new Map(), filters, 'normal');
    expect(actions).toEqual([
      { kind: 'skip', item: items.tooLarge, reason: 'larger than maxMessageSize (101 > 100 bytes)' },
      { kind: 'skip', item: items.notCopyable, reason: 'a symbolic link out of the tree' },
    ]);
  });

  test('ids gone from the source come first, then the items in page order; statuses of other items do not matter', () => {
    const page = { items: [items.outside as ItemMeta, items.copyable as ItemMeta, items.tooLarge as ItemMeta], gone: ['g1', 'g2'] };
    const actions = planPage(page, new Map([['zz', 'done']]), filters, 'normal');
    expect(actions.map((a) => (a.kind === 'gone' ? `gone ${a.itemId}` : `${a.kind} ${a.item.id}`))).toEqual(['gone g1', 'gone g2', 'outside o', 'copy c', 'skip l']);
  });

  test('an empty page plans nothing', () => {
    expect(planPage({ items: [] }, new Map(), filters, 'verify')).toEqual([]);
  });
});

describe('what a plan records and writes', () => {
  const page = { items: Object.values(items), gone: ['g'] };
  const actions = planPage(page, new Map<string, ItemStatus>([['o', 'skipped']]), filters, 'verify');

  test('the writes, in page order', () => {
    expect(writesOf(actions)).toEqual([{ kind: 'verify', item: items.copyable }]);
    expect(writesOf(planPage(page, new Map(), filters, 'normal'))).toEqual([{ kind: 'copy', item: items.copyable }]);
  });

  test('rows without a write: skipped items with their reason, gone ids with size 0; nothing for the rest', () => {
    expect(resultsWithoutWrite(actions)).toEqual([
      { itemId: 'g', status: 'skipped', size: 0, reason: GONE_REASON },
      { itemId: 'l', status: 'skipped', size: 101, internalDate: inWindow, messageId: '<l@x>', reason: 'larger than maxMessageSize (101 > 100 bytes)' },
      { itemId: 'n', status: 'skipped', size: 0, internalDate: undefined, messageId: undefined, reason: 'a symbolic link out of the tree' },
    ]);
  });
});

describe('passStart: where the page loop starts, and in which mode', () => {
  const cp = (over: Partial<ContainerCheckpoint> = {}): ContainerCheckpoint => ({ epoch: '7', cursor: '42', scope: 's', mode: 'normal', token: null, targetRef: 'INBOX', ...over });
  test.each([
    ['never run', null, { mode: 'normal', cursor: null, epochChanged: false }],
    ['a checkpoint of this epoch, scope and folder', cp(), { mode: 'normal', cursor: '42', epochChanged: false }],
    ['an interrupted re-verification', cp({ mode: 'verify' }), { mode: 'verify', cursor: '42', epochChanged: false }],
    ['a new source epoch', cp({ epoch: '6' }), { mode: 'verify', cursor: null, epochChanged: true }],
    ['another filter scope', cp({ scope: 'other' }), { mode: 'normal', cursor: null, epochChanged: false }],
    ['another target folder', cp({ targetRef: 'INBOX.Old' }), { mode: 'normal', cursor: null, epochChanged: false }],
    ['a re-verification under another scope', cp({ mode: 'verify', scope: 'other' }), { mode: 'verify', cursor: null, epochChanged: false }],
  ] as const)('%s', (_name, checkpoint, expected) => {
    expect(passStart(checkpoint, '7', 's', 'INBOX')).toEqual(expected);
  });
});
