/** The order of the INTERNALDATE evidence of a MAPI message (internal-date.ts); the .msg source's use of it: connectors/msg/msg-date.test.ts. */
import { mapiInternalDate } from './internal-date.js';

const d = (iso: string) => new Date(iso);
const mtime = d('2021-03-04T05:06:07Z');

describe('INTERNALDATE of a MAPI message from the best evidence', () => {
  test.each([
    ['delivery time', { delivered: d('2020-02-01T08:00:00Z'), submitted: d('2020-01-31T08:00:00Z') }, '2020-02-01T08:00:00.000Z'],
    ['submit time', { submitted: d('2020-01-31T08:00:00Z'), transportHeaders: 'Date: 30 Jan 2020 08:00 GMT\r\n' }, '2020-01-31T08:00:00.000Z'],
    ['Date header', { transportHeaders: 'Date: 30 Jan 2020 08:00 GMT\r\nReceived: by x; 29 Jan 2020 08:00 GMT\r\n', created: d('2020-03-01T00:00:00Z') }, '2020-01-30T08:00:00.000Z'],
    ['Received header', { transportHeaders: 'Received: by x; 29 Jan 2020 08:00 GMT\r\n', created: d('2020-03-01T00:00:00Z') }, '2020-01-29T08:00:00.000Z'],
    ['creation time', { transportHeaders: 'Subject: x\r\n', created: d('2020-03-01T00:00:00Z'), modified: d('2020-04-01T00:00:00Z') }, '2020-03-01T00:00:00.000Z'],
    ['modification time', { modified: d('2020-04-01T00:00:00Z') }, '2020-04-01T00:00:00.000Z'],
    ['file mtime', { delivered: new Date(Date.UTC(1601, 0, 1)), submitted: new Date(Date.UTC(4501, 0, 1)), created: new Date(Number.NaN) }, mtime.toISOString()],
  ])('%s', (from, times, iso) => {
    expect(mapiInternalDate(times, mtime)).toEqual({ date: new Date(iso), from });
  });

  test('no evidence and no file: no date (the caller says so; it never becomes the time of the copy here)', () => {
    expect(mapiInternalDate({})).toBeUndefined();
  });
});
