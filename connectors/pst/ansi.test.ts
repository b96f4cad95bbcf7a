/**
 * ANSI (Outlook 97–2002, 32-bit) PSTs: every file in <fixtures>/pst/ansi must give the same folder
 * names, item counts and subjects as readpst (the oracle; the comparison rule, incl. which classes
 * readpst skips, is documented in readpst-oracle.ts), and 8-bit strings must decode in the right
 * code page — which readpst cannot tell us (it prints CP932 bytes raw or as ISO-8859-1), so the
 * Japanese files are checked against their Unicode twins and known text.
 *
 * Needs the shared fixtures (UMS_FIXTURES_DIR, default <repo>/../shared/fixtures) and readpst
 * (Debian package pst-utils); without them the tests fail saying so, unless UMS_SKIP_ORACLE=1.
 */
import { join } from 'node:path';
import { openPst, type PstMessageEntry, type PstReader } from './pst-reader.js';
import { fixturesDir, fixturesUnavailable, oracleSkipped, pstFixtures } from './readpst-oracle.js';
import { readpstOracleSuite } from './test-support.js';

const maybe = oracleSkipped() ? describe.skip : describe;
const fixturesProblem = fixturesUnavailable();
const pst = (rel: string): string => join(fixturesDir(), 'pst', rel);

async function collect(file: string, codepage?: number) {
  const reader = await openPst(file, codepage === undefined ? {} : { codepage });
  const folders: { path: string; count: number; containerClass: string; messages: PstMessageEntry[] }[] = [];
  for await (const f of reader.folders()) {
    const messages: PstMessageEntry[] = [];
    for await (const m of reader.messages(f)) messages.push(m);
    folders.push({ path: f.path.join('/'), count: f.count, containerClass: f.containerClass, messages });
  }
  return { reader, folders };
}

readpstOracleSuite('ANSI PSTs against readpst', 'ansi', () => pstFixtures('ansi'), 'there are ANSI fixtures',
  () => expect(pstFixtures('ansi').length).toBeGreaterThanOrEqual(4));

maybe('ANSI 8-bit strings and code pages', () => {
  if (fixturesProblem) {
    test('prerequisites', () => { throw new Error(fixturesProblem); });
    return;
  }
  const opened: PstReader[] = [];
  afterAll(() => opened.forEach((r) => r.close()));

  test('Japanese contacts (CP932) equal their Unicode twin', async () => {
    const ansi = await collect(pst('ansi/hiraoka-contacts97-2002.pst'));
    const uni = await collect(pst('unicode/hiraoka-contacts.pst'));
    opened.push(ansi.reader, uni.reader);
    expect(ansi.reader.format).toBe('ansi');
    expect(uni.reader.format).toBe('unicode');
    expect(ansi.reader.codepage).toBe(932);
    const paths = ansi.folders.map((f) => f.path);
    expect(paths).toEqual(['', '削除済みアイテム', '連絡先 (Contact dedicated)']);
    // the twin has one more folder (Deleted Items/Contacts Dedicated); the rest is the same
    for (const p of paths) expect(uni.folders.map((f) => f.path)).toContain(p);

    const pick = (c: typeof ansi) => c.folders.find((f) => f.path === '連絡先 (Contact dedicated)')!;
    const [a, u] = [pick(ansi), pick(uni)];
    expect(a.containerClass).toBe('IPF.Contact');
    expect(a.messages).toHaveLength(1);
    expect(u.messages).toHaveLength(1);
    const [ca, cu] = [a.messages[0]!, u.messages[0]!];
    expect(ca.messageClass).toBe('IPM.Contact');
    expect(ca.subject).toBe('コム ドット イグザンプル 殿');
    expect(ca.displayName).toBe('Mr. イグザンプル ドット コム 殿');
    expect([ca.subject, ca.displayName]).toEqual([cu.subject, cu.displayName]);

    // every string property pst-extractor offers for the contact, ANSI vs Unicode
    const strings = (o: object): Map<string, string> => {
      const out = new Map<string, string>();
      for (let p = Object.getPrototypeOf(o); p && p !== Object.prototype; p = Object.getPrototypeOf(p)) {
        for (const [k, d] of Object.entries(Object.getOwnPropertyDescriptors(p))) {
          if (!d.get || out.has(k)) continue;
          const v: unknown = (o as Record<string, unknown>)[k];
          if (typeof v === 'string') out.set(k, v);
        }
      }
      return out;
    };
    const sa = strings(ca.raw);
    const su = strings(cu.raw);
    const same = [...sa].filter(([k, v]) => v !== '' && su.get(k) === v).map(([k]) => k);
    const differ = [...sa].filter(([k, v]) => su.get(k) !== v).map(([k]) => k);
    // PR_BODY / 0x6619 hold "\r\n" only in the Unicode file; everything else agrees
    expect(differ.sort()).toEqual(['bodyPrefix', 'note']);
    expect(same.length).toBeGreaterThanOrEqual(40);
    expect(sa.get('surname')).toBe('イグザンプル');
    expect(sa.get('givenName')).toBe('コム');
    expect(sa.get('workAddressCountry')).toBe('日本'); // a named property (PidLid…), from the ANSI name-to-id map
  });

  test('Japanese mail (CP932): subject and body', async () => {
    const { reader, folders } = await collect(pst('ansi/hiraoka-nonUnicodeCP932.pst'));
    opened.push(reader);
    expect(reader.codepage).toBe(932);
    expect(folders.map((f) => f.path)).toEqual(['', '削除済みアイテム']);
    const [m] = folders[0]!.messages;
    expect(m!.messageClass).toBe('IPM.Note');
    expect(m!.subject).toBe('日本語 Non Unicode タイトル');
    // PR_BODY is PT_STRING8 in the message code page, though PR_INTERNET_CPID says ISO-2022-JP
    expect(m!.raw.body.trim()).toBe('日本語 Non Unicode 本文');
  });

  test('an explicit code page applies to strings without their own; messages keep theirs', async () => {
    const { reader, folders } = await collect(pst('ansi/hiraoka-nonUnicodeCP932.pst'), 1252);
    opened.push(reader);
    expect(reader.codepage).toBe(1252);
    expect(folders[1]!.path).not.toBe('削除済みアイテム'); // folder names have no code page of their own
    expect(folders[0]!.messages[0]!.subject).toBe('日本語 Non Unicode タイトル'); // PR_MESSAGE_LOCALE_ID 1041 → 932
  });

  test('Western ANSI files and their Unicode twin', async () => {
    const ansi = await collect(pst('ansi/pstsdk-test_ansi.pst'));
    const uni = await collect(pst('unicode/pstsdk-test_unicode.pst'));
    opened.push(ansi.reader, uni.reader);
    expect(ansi.reader.codepage).toBe(1252);
    expect(ansi.folders.map((f) => f.path)).toEqual(uni.folders.map((f) => f.path));
    expect(ansi.folders.find((f) => f.path === 'Folder')!.messages.map((m) => [m.messageClass, m.subject]))
      .toEqual([['IPM.Post', 'Post']]);

    const cal = await collect(pst('ansi/go-pst-32-bit.pst'));
    opened.push(cal.reader);
    const calendar = cal.folders.find((f) => f.path === 'Calendar')!;
    expect(calendar.containerClass).toBe('IPF.Appointment');
    expect(calendar.messages.map((m) => [m.messageClass, m.subject]))
      .toEqual([['IPM.Appointment', 'Updated: Olympus training for new hires']]);
    const appt = calendar.messages[0]!.raw as unknown as { startTime: Date | null; endTime: Date | null };
    expect(appt.startTime?.toISOString()).toBe('2004-08-19T18:30:00.000Z');
    expect(appt.endTime?.toISOString()).toBe('2004-08-19T19:30:00.000Z');
  });
});
