import { filterScope, judgeItem } from './filters.js';

const item = (date: string, size = 10) => ({ id: '1', size, flags: [], internalDate: new Date(date) });

describe('item filters', () => {
  const f = { before: new Date('2024-01-01T00:00:00Z'), since: new Date('2020-01-01T00:00:00Z'), maxMessageSize: 100 };
  test('date window: before is exclusive, since inclusive; outside the window is not recorded', () => {
    expect(judgeItem(item('2023-12-31T23:59:59Z'), f)).toEqual({ copy: true });
    expect(judgeItem(item('2024-01-01T00:00:00Z'), f)).toEqual({ copy: false, record: false });
    expect(judgeItem(item('2020-01-01T00:00:00Z'), f)).toEqual({ copy: true });
    expect(judgeItem(item('2019-12-31T23:59:59Z'), f)).toEqual({ copy: false, record: false });
  });
  test('over-size messages are recorded as skipped with the sizes', () => {
    expect(judgeItem(item('2022-01-01T00:00:00Z', 101), f)).toEqual({ copy: false, record: true, reason: 'larger than maxMessageSize (101 > 100 bytes)' });
  });
  test('the scope changes with the window and with the size limit', () => {
    expect(filterScope(f)).toBe('before=2024-01-01T00:00:00.000Z;since=2020-01-01T00:00:00.000Z;max=100');
    expect(filterScope({ maxMessageSize: 5 })).not.toBe(filterScope({ maxMessageSize: 9 }));
  });
});
