import { etcZone, fixedOffsetOf, resolveZoneName, windowsToIana } from './time-zones.js';

/** Intl's canonical spelling (ICU keeps legacy ids such as Asia/Calcutta): both name the same zone. */
const canonical = (id: string | undefined): string | undefined =>
  id === undefined || id === 'UTC' ? id : new Intl.DateTimeFormat('en-US', { timeZone: id }).resolvedOptions().timeZone;

describe('mappings/groupware: zone names → IANA', () => {
  it.each([
    ['W. Europe Standard Time', 'Europe/Berlin'],
    ['w. europe standard time', 'Europe/Berlin'],
    ['  Pacific Standard Time ', 'America/Los_Angeles'],
    ['Pacific Daylight Time', 'America/Los_Angeles'],
    ['India Standard Time', 'Asia/Kolkata'],
  ])('resolves the Windows id %j to %s', (name, iana) => {
    expect(canonical(resolveZoneName(name))).toBe(canonical(iana));
  });

  it.each([
    ['(UTC+01:00) Amsterdam, Berlin, Bern, Rome, Stockholm, Vienna', 'Europe/Berlin'],
    ['(GMT+01:00) Amsterdam, Berlin, Bern, Rome, Stockholm, Vienna', 'Europe/Berlin'],
    ['(GMT-08:00) Pacific Time (US & Canada); Tijuana', 'America/Los_Angeles'],
    ['(GMT-08:00) Pacific Time (US &amp; Canada); Tijuana', 'America/Los_Angeles'],
    ['(GMT-08:00) Pacific Time (US & Canada), Tijuana', 'America/Los_Angeles'],
    ['(GMT) Greenwich Mean Time : Dublin, Edinburgh, Lisbon, London', 'Europe/London'],
    ['(UTC) Dublin, Edinburgh, Lisbon, London', 'Europe/London'],
    ['(UTC+00:00) Dublin, Edinburgh, Lisbon, London', 'Europe/London'],
    ['(GMT-05:00) Eastern Time (US & Canada)', 'America/New_York'],
    ['(UTC-05:00)   Eastern Time (US &  Canada)', 'America/New_York'],
    ['(UTC) Coordinated Universal Time', 'UTC'],
    ['(GMT+10:00) Canberra, Melbourne, Sydney', 'Australia/Sydney'],
    ['(GMT+05:30) Chennai, Kolkata, Mumbai, New Delhi', 'Asia/Kolkata'],
    ['(GMT+01:00) Brussels, Copenhagen, Madrid, Paris', 'Europe/Paris'],
    ['(UTC+03:00) Moscow, St. Petersburg, Volgograd (RTZ 2)', 'Europe/Moscow'],
    ['(UTC-11:00) Co-ordinated Universal Time-11', 'Etc/GMT+11'],
  ])('resolves the display name %j to %s', (name, iana) => {
    expect(canonical(resolveZoneName(name))).toBe(canonical(iana));
  });

  it('resolves an unlisted display name by its place names at the same offset', () => {
    expect(resolveZoneName('(GMT+01:00) Berlin, Rome')).toBe('Europe/Berlin');
    // The same places at another offset are not that zone.
    expect(resolveZoneName('(GMT+03:00) Berlin, Rome')).toBeUndefined();
  });

  it.each([
    ['UTC+01', 'Etc/GMT-1', 60],
    ['UTC+01:00', 'Etc/GMT-1', 60],
    ['GMT+0100', 'Etc/GMT-1', 60],
    ['UTC-5', 'Etc/GMT+5', -300],
    ['Etc/GMT-1', 'Etc/GMT-1', 60],
    ['Etc/GMT+8', 'Etc/GMT+8', -480],
    ['+01:00', 'Etc/GMT-1', 60],
    ['-0300', 'Etc/GMT+3', -180],
    ['(UTC+02:00)', 'Etc/GMT-2', 120],
  ])('resolves the offset name %j to the fixed zone %s (%d minutes east)', (name, iana, minutes) => {
    expect(canonical(resolveZoneName(name))).toBe(canonical(iana));
    expect(fixedOffsetOf(name)).toBe(minutes);
  });

  it('leaves a non-whole-hour offset to a custom zone: no IANA id, but its offset', () => {
    expect(resolveZoneName('UTC+05:30')).toBeUndefined();
    expect(fixedOffsetOf('UTC+05:30')).toBe(330);
    expect(fixedOffsetOf('GMT-0930')).toBe(-570);
    expect(etcZone(330)).toBeUndefined();
  });

  it('gives no offset for zones with rules or for nonsense', () => {
    expect(fixedOffsetOf('Europe/Berlin')).toBeUndefined();
    expect(fixedOffsetOf('(UTC+01:00) Amsterdam, Berlin, Bern, Rome, Stockholm, Vienna')).toBeUndefined();
    expect(fixedOffsetOf('UTC+25')).toBeUndefined();
    expect(fixedOffsetOf('UTC+01:75')).toBeUndefined();
  });

  it.each([
    ['Europe/Berlin', 'Europe/Berlin'],
    ['europe/berlin', 'Europe/Berlin'],
    ['America/Indiana/Indianapolis', 'America/Indiana/Indianapolis'],
    ['/mozilla.org/20050126_1/Europe/Berlin', 'Europe/Berlin'],
    ['/softwarestudio.org/Olson_20011030_5/America/New_York', 'America/New_York'],
    ['"Europe/Paris"', 'Europe/Paris'],
  ])('resolves the IANA id or alias %j to %s', (name, iana) => {
    expect(canonical(resolveZoneName(name))).toBe(canonical(iana));
  });

  it('accepts IANA aliases Intl knows (Asia/Calcutta is Asia/Kolkata)', () => {
    expect(canonical(resolveZoneName('Asia/Calcutta'))).toBe(canonical('Asia/Kolkata'));
  });

  it.each(['UTC', 'Z', 'GMT', 'Etc/UTC', 'etc/gmt', 'Coordinated Universal Time', 'UTC+00:00', '+0000'])('resolves %j to UTC', (name) => {
    expect(resolveZoneName(name)).toBe('UTC');
    expect(fixedOffsetOf(name)).toBe(0);
  });

  it.each(['Customized Time Zone', 'Custom Time Zone', 'tzone://Microsoft/Custom', '', '   ', 'Somewhere Standard Time', 'Europe/Atlantis'])('gives no zone for the meaningless or unknown name %j', (name) => {
    expect(resolveZoneName(name)).toBeUndefined();
  });

  it('keeps windowsToIana for the EWS and MAPI callers', () => {
    expect(windowsToIana('Romance Standard Time')).toBe('Europe/Paris');
    expect(windowsToIana('Europe/Rome')).toBe('Europe/Rome');
    expect(windowsToIana('nonsense')).toBeUndefined();
  });
});
