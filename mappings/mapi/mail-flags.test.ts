import { mailFlags } from './mail-flags.js';

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
