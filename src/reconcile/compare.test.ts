import { compareFolder, normaliseFlags } from './compare.js';

const d = (s: string) => new Date(s);
const src = (id: string, mid: string | undefined, date: string, flags: string[] = [], container = 'INBOX') =>
  ({ id, container, size: 100, flags, internalDate: d(date), messageId: mid });
const tgt = (id: string, mid: string | undefined, date: string, flags: string[] = []) => ({ id, size: 102, flags, internalDate: d(date), messageId: mid });

describe('reconcile: compareFolder', () => {
  test('equal folders: everything matched, no diffs, sizes may differ (line endings)', () => {
    const r = compareFolder('INBOX', [src('1', '<a@x>', '2020-01-01T00:00:00Z', ['\\Seen'])], [tgt('7', '<A@X>', '2020-01-01T00:00:00.400Z', ['\\Seen', '\\Recent'])]);
    expect(r).toMatchObject({ matched: 1, sourceCount: 1, targetCount: 1, sourceBytes: 100, targetBytes: 102, diffs: [] });
  });

  test('copies and shared Message-IDs count separately: 3 in the source, 2 in the target is one missing', () => {
    const r = compareFolder('INBOX', [
      src('1', '<a@x>', '2020-01-01T00:00:00Z'), src('2', '<a@x>', '2020-01-01T00:00:00Z'), src('3', '<a@x>', '2020-01-01T00:00:00Z'),
    ], [tgt('5', '<a@x>', '2020-01-01T00:00:00Z'), tgt('6', '<a@x>', '2020-01-01T00:00:00Z')]);
    expect(r.matched).toBe(2);
    expect(r.diffs.map((x) => [x.kind, x.id])).toEqual([['missing', '3']]);
  });

  test('no Message-ID: matched by date; an extra target message is reported with its target UID', () => {
    const r = compareFolder('INBOX.Sent', [src('4', undefined, '2021-05-06T07:08:09Z', [], 'Sent Items')], [
      tgt('1', undefined, '2021-05-06T07:08:09Z'), tgt('2', '<z@x>', '2022-01-01T00:00:00Z'),
    ]);
    expect(r.sources).toEqual(['Sent Items']);
    expect(r.diffs.map((x) => [x.kind, x.folder, x.id])).toEqual([['extra', 'INBOX.Sent', '2']]);
  });

  test('flags that differ are reported once, preferring the candidate with equal flags', () => {
    const r = compareFolder('INBOX', [
      src('1', '<a@x>', '2020-01-01T00:00:00Z', ['\\Seen']), src('2', '<a@x>', '2020-01-01T00:00:00Z', ['\\Flagged']),
    ], [tgt('8', '<a@x>', '2020-01-01T00:00:00Z', ['\\Seen']), tgt('9', '<a@x>', '2020-01-01T00:00:00Z', ['$Work'])]);
    expect(r.diffs).toHaveLength(1);
    expect(r.diffs[0]).toMatchObject({ kind: 'flags', id: '2', targetId: '9', sourceFlags: ['\\flagged'], targetFlags: ['$Work'] });
  });

  test('flag normalisation: system flags case-insensitive, keywords kept, \\Recent ignored', () => {
    expect(normaliseFlags(['\\SEEN', 'Work', '\\Recent', '\\seen'])).toEqual(['Work', '\\seen']);
  });
});
