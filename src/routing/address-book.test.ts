import { parseBatchCsv } from '../commands/cutover.js';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseAddressBookCsv, readAddressBook } from './address-book.js';

describe('parseAddressBookCsv', () => {
  test('a file saved with \';\' between the columns (Excel in many locales) is named with what to do, not as one unknown column', () => {
    const r = parseAddressBookCsv('type;login;mail\r\nuser;alice;alice@corp.example\r\n', 'book.csv');
    expect(r.book.users).toEqual([]);
    expect(r.problems).toEqual(['book.csv:1: looks like \';\'-separated ("type;login;mail"): use \',\' between the columns (in Excel: save as "CSV UTF-8 (comma delimited)")']);
  });

  test('users and groups; bad rows reported with their line, the rest read', () => {
    const text = [
      '\uFEFFType,key,login,mail,proxyAddresses,legacyExchangeDN,members',
      'user,g1,alice,alice@corp.example,"SMTP:alice@corp.example; smtp:a.smith@corp.example",/o=Corp/cn=alice,',
      ',,bob,bob@corp.example,,,',
      'user,,,nologin@corp.example,,,',
      'group,,,team@corp.example,,,alice;bob@corp.example',
      'group,g9,,,,,alice',
      'robot,,r2,,,,',
      'user,g1,alice2,,,,',
      'user,,Room 1,room1@corp.example,,,',
      'user,,"bell\u0007",,,,',
      'user,too,few',
    ].join('\r\n');
    const r = parseAddressBookCsv(text, 'book.csv');
    expect(r.book.users).toEqual([
      { key: 'g1', login: 'alice', mail: 'alice@corp.example', proxyAddresses: ['SMTP:alice@corp.example', 'smtp:a.smith@corp.example'], legacyExchangeDN: '/o=Corp/cn=alice' },
      { key: 'bob', login: 'bob', mail: 'bob@corp.example', proxyAddresses: [] },
      // A room's login with a space is kept (it was left out, and publish then refused every wave).
      { key: 'Room 1', login: 'Room 1', mail: 'room1@corp.example', proxyAddresses: [] },
    ]);
    expect(r.book.groups).toEqual([{ key: 'team@corp.example', mail: 'team@corp.example', proxyAddresses: [], members: ['alice', 'bob@corp.example'] }]);
    expect(r.problems).toEqual([
      'book.csv:4: user without a login; row left out',
      'book.csv:6: group without a mail address; row left out',
      'book.csv:7: type "robot" is neither user nor group; row left out',
      'book.csv:8: key "g1" already used on line 2; row left out',
      'book.csv:10: login "bell\\u0007" contains control characters; row left out',
      'book.csv:11: expected 7 fields, got 3; row left out',
    ]);
  });

  test('header problems', () => {
    expect(parseAddressBookCsv('', 'b.csv').problems).toEqual(['b.csv: empty file (expected a header row: type,key,login,mail,proxyAddresses,legacyExchangeDN,members)']);
    expect(parseAddressBookCsv('login,colour\nalice,red\n', 'b.csv').problems).toEqual([
      'b.csv:1: unknown column "colour" (expected type,key,login,mail,proxyAddresses,legacyExchangeDN,members)',
    ]);
    expect(parseAddressBookCsv('type,key\nuser,a\n', 'b.csv').problems).toEqual(['b.csv:1: the header needs a "login" or "mail" column']);
  });
});

describe('parseBatchCsv', () => {
  test('the first key, login, user or mail column names the users; empty values are reported', () => {
    expect(parseBatchCsv('note,Login,mail\nx,alice,a@x.example\ny,,b@x.example\nz,bob,\n', 'wave.csv')).toEqual({
      refs: [{ ref: 'alice', at: 'wave.csv:2' }, { ref: 'bob', at: 'wave.csv:4' }],
      problems: ['wave.csv:3: no Login value; line skipped'],
    });
    expect(parseBatchCsv('name\nalice\n', 'w.csv')).toEqual({ refs: [], problems: ['w.csv: the header row needs a column named key, login, user, mail'] });
  });
});

describe('readAddressBook', () => {
  test('a byte that is not UTF-8 is a problem at its line and column, not a U+FFFD address', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'ums-book-'));
    const file = path.join(dir, 'book.csv');
    // "José" in Windows-1252 on line 2: é is the lone byte 0xE9.
    writeFileSync(file, Buffer.concat([Buffer.from('login,mail\njos'), Buffer.from([0xe9]), Buffer.from(',jose@example.org\n')]));
    const read = await readAddressBook(file);
    expect(read.book.users).toEqual([]);
    expect(read.problems).toEqual([expect.stringMatching(/^book\.csv:2:4: not UTF-8 \(byte 0xE9/)]);
  });
});
