/** Mail header dates (mappings/mail-date.ts): how RFC 5322 and ISO dates are read; the header evidence is tested through its users (connectors/kopano/eml-date.test.ts, connectors/msg/msg-date.test.ts). */
import { execFileSync } from 'node:child_process';
import { headerDate, parseMailDate } from './mail-date.js';

describe('dates in mail headers', () => {
  test.each([
    ['Tue, 14 Jan 2020 09:14:55 +0100', '2020-01-14T08:14:55.000Z'],
    ['14 Jan 2020 09:14 GMT', '2020-01-14T09:14:00.000Z'],
    ['Tue, 14 Jan 2020 09:14:55', '2020-01-14T09:14:55.000Z'], // no zone: -0000 (UTC), never this machine's zone
    ['Tue, 14 Jan 20 09:14:55 EST', '2020-01-14T14:14:55.000Z'],
    ['2020-01-14 09:14:55', '2020-01-14T09:14:55.000Z'],
    ['2020-01-14T09:14:55+02:00', '2020-01-14T07:14:55.000Z'],
    ['Tue, 14 Jan 2020 09:14:55 +0100 (CET)', '2020-01-14T08:14:55.000Z'],
  ])('%j → %s', (value, iso) => {
    expect(parseMailDate(value)?.toISOString()).toBe(iso);
  });

  test('a date without a zone is UTC also on a machine in another zone', () => {
    const module = new URL('./mail-date.ts', import.meta.url).href;
    const script = `import(${JSON.stringify(module)}).then((m) => process.stdout.write(m.parseMailDate('Tue, 14 Jan 2020 09:14:55').toISOString() + ' ' + m.parseMailDate('2020-01-14 09:14').toISOString()))`;
    const out = execFileSync(process.execPath, ['--import', 'tsx', '-e', script], { env: { ...process.env, TZ: 'America/New_York' }, encoding: 'utf8' });
    expect(out).toBe('2020-01-14T09:14:55.000Z 2020-01-14T09:14:00.000Z');
  });

  test.each(['', 'yesterday', '12', 'Tue, 14 Jan'])('%j is no date', (value) => {
    expect(parseMailDate(value)).toBeUndefined();
  });

  test('a header block without a readable Date or Received date gives no date (the caller decides what comes next)', () => {
    expect(headerDate('Subject: x\r\nReceived: by localhost; not a date\r\n\r\n')).toBeUndefined();
    expect(headerDate('Microsoft Mail Internet Headers Version 2.0\r\nDate: 14 Jan 2020 09:14 GMT\r\n')).toEqual({ date: new Date('2020-01-14T09:14:00Z'), from: 'Date' });
  });
});
