import { internalDate, mailFlags } from './mail-flags.js';

describe('mailFlags', () => {
  test('read, flagged, answered, forwarded and categories', () => {
    expect(mailFlags({ read: true, flagged: true, answered: true, forwarded: true, categories: ['Work', 'Rot (wichtig)', 'Büro', 'Work'] }))
      .toEqual(['\\Seen', '\\Flagged', '\\Answered', '$Forwarded', 'Work', 'Rot__wichtig_', 'B&APw-ro']);
  });
  test('an unread, unflagged message without categories has no flags', () => {
    expect(mailFlags({})).toEqual([]);
    expect(mailFlags({ read: false, categories: ['  '] })).toEqual([]);
  });
});

describe('internalDate', () => {
  test('delivery time first, then submit time, invalid dates ignored', () => {
    const d1 = new Date('2020-01-01T00:00:00Z');
    const d2 = new Date('2019-01-01T00:00:00Z');
    expect(internalDate({ deliveryTime: d1, date: d2 })).toBe(d1);
    expect(internalDate({ deliveryTime: new Date(NaN), date: d2 })).toBe(d2);
    expect(internalDate({})).toBeUndefined();
  });
});
