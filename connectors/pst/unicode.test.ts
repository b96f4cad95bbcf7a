/**
 * Unicode (Outlook 2003+, 64-bit) PSTs and OSTs: every file in <fixtures>/pst/unicode and
 * <fixtures>/pst/ost must give the same folder names, item counts and subjects as readpst (the
 * rule, incl. the classes readpst skips, is in readpst-oracle.ts). Plus what readpst cannot
 * show: password-protected files open (the password is only a CRC property of the store), and
 * contents tables spanning several data blocks are read whole.
 *
 * Needs the shared fixtures (UMS_FIXTURES_DIR, default <repo>/../shared/fixtures) and readpst
 * (Debian package pst-utils); without them the tests fail saying so, unless UMS_SKIP_ORACLE=1.
 */
import { join } from 'node:path';
import { openPst } from './pst-reader.js';
import { fixturesDir, fixturesUnavailable, oracleSkipped, pstFixtures } from './readpst-oracle.js';
import { readpstOracleSuite } from './test-support.js';

const maybe = oracleSkipped() ? describe.skip : describe;
const fixturesProblem = fixturesUnavailable();
const pst = (rel: string): string => join(fixturesDir(), 'pst', rel);

async function counts(file: string): Promise<Record<string, number>> {
  const reader = await openPst(file);
  try {
    const out: Record<string, number> = {};
    for await (const f of reader.folders()) {
      let n = 0;
      for await (const _m of reader.messages(f)) n++;
      expect(n).toBe(f.count); // what the contents table yields = PR_CONTENT_COUNT
      if (n) out[f.path.join('/')] = n;
    }
    return out;
  } finally {
    reader.close();
  }
}

readpstOracleSuite('Unicode PSTs and OSTs against readpst', 'unicode', () => [...pstFixtures('unicode'), ...pstFixtures('ost')],
  'there are Unicode and OST fixtures', () => {
    expect(pstFixtures('unicode').length).toBeGreaterThanOrEqual(10);
    expect(pstFixtures('ost').length).toBeGreaterThanOrEqual(1);
  });

maybe('Unicode PSTs and OSTs', () => {
  if (fixturesProblem) {
    test('prerequisites', () => { throw new Error(fixturesProblem); });
    return;
  }

  test('password-protected PSTs open and read whole', async () => {
    expect(await counts(pst('unicode/aspose-passwordprotectedPST.pst'))).toEqual({ 'Deleted Items': 14, Inbox: 4 });
    expect(await counts(pst('unicode/java-libpst-passworded.pst'))).toEqual({ Contacts: 2 });
  });

  test('the OST opens from its IPM subtree; contents tables over two data blocks read whole', async () => {
    expect(await counts(pst('ost/aspose-SampleOstFile.ost'))).toEqual({
      'Deleted Items': 10, Inbox: 12, 'Inbox/sub1': 25, 'Inbox/sub2': 29, 'Sent Items': 6, Calendar: 1, 'Sync Issues': 9,
    });
  });

  test("scope 'all' walks from the root, search folders included but not listed into", async () => {
    const reader = await openPst(pst('ost/aspose-SampleOstFile.ost'), { scope: 'all' });
    try {
      const paths: string[] = [];
      const search: string[] = [];
      for await (const f of reader.folders()) {
        paths.push(f.path.join('/'));
        if (f.isSearchFolder) {
          search.push(f.path.join('/'));
          let n = 0;
          for await (const _m of reader.messages(f)) n++;
          expect(n).toBe(0);
        }
      }
      expect(paths[0]).toBe('');
      expect(paths).toContain('Root - Mailbox/IPM_SUBTREE/Inbox/sub2');
      expect(paths).toContain('Root - Public/NON_IPM_SUBTREE/EFORMS REGISTRY');
      expect(search).toContain('Root - Mailbox/SPAM Search Folder 2');
    } finally {
      reader.close();
    }
  });

  test('named properties of two files open at once stay apart', async () => {
    const a = await openPst(pst('unicode/java-libpst-dist-list.pst'));
    const b = await openPst(pst('ansi/go-pst-32-bit.pst'));
    try {
      const appointment = async (r: typeof a) => {
        for await (const f of r.folders()) {
          for await (const m of r.messages(f)) if (m.messageClass === 'IPM.Appointment') return m.raw as unknown as { location: string; startTime: Date | null };
        }
        throw new Error('no appointment');
      };
      const [x, y] = [await appointment(a), await appointment(b)];
      expect(y.startTime?.toISOString()).toBe('2004-08-19T18:30:00.000Z');
      expect(x.startTime).not.toBeNull();
      expect(x.startTime?.toISOString()).not.toBe(y.startTime?.toISOString());
    } finally {
      a.close();
      b.close();
    }
  });
});
