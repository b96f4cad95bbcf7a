/** The readpst oracle as a jest suite, shared by the ANSI and Unicode tests (not built into dist). */
import { comparisonTable, compareWithReadpst, oracleSkipped, oracleUnavailable, type Comparison } from './readpst-oracle.js';

/**
 * `title`: every file of `files()` gives readpst's folders, counts and subjects and is of
 * `format`; `enough` (named `enoughTitle`) checks the fixture set is there. Without readpst or the
 * fixtures the suite fails saying so, unless UMS_SKIP_ORACLE=1.
 */
export function readpstOracleSuite(title: string, format: 'ansi' | 'unicode', files: () => string[], enoughTitle: string, enough: () => void): void {
  (oracleSkipped() ? describe.skip : describe)(title, () => {
    const problem = oracleUnavailable();
    if (problem) {
      test('prerequisites', () => { throw new Error(problem); });
      return;
    }
    test(enoughTitle, enough);
    const rows: Comparison[] = [];
    test.each(files().map((f) => [f.split('/').pop()!, f]))('%s: folders, counts and subjects equal readpst\'s', async (_name, file) => {
      const r = await compareWithReadpst(file);
      rows.push(r);
      expect(r.format).toBe(format);
      expect(r.problems).toEqual([]);
    });
    afterAll(() => {
      if (process.env.UMS_PST_REPORT === '1') console.log(comparisonTable(rows));
    });
  });
}
