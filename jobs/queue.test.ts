import { mailboxJobKey, parseMailboxPayload } from './queue.js';

test('a mailbox payload holds logins (and the retry flag) only', () => {
  expect(parseMailboxPayload({ source: 'alice', target: 'alice@ums' })).toEqual({ source: 'alice', target: 'alice@ums' });
  expect(parseMailboxPayload({ source: 'a', target: 'b', onlyFailed: true })).toEqual({ source: 'a', target: 'b', onlyFailed: true });
  expect(mailboxJobKey('alice')).toBe('mailbox:alice');
});

test('a malformed payload is a named error, and a password in it is refused', () => {
  expect(() => parseMailboxPayload({ source: '' , target: 'b' })).toThrow(/malformed ums_migrate_mailbox payload .*source/);
  expect(() => parseMailboxPayload(null)).toThrow(/malformed ums_migrate_mailbox payload null/);
  expect(() => parseMailboxPayload({ source: 'a', target: 'b', password: 's3cret' })).toThrow(/payload \{source, target, password\}: .*Unrecognized key/);
  expect(() => parseMailboxPayload({ source: 'a', target: 'b', password: 's3cret' })).not.toThrow(/s3cret/);
});
