/**
 * The named-property map read with the fast readers (name-map.ts) equals the one pst-extractor's
 * processNameToIDMap builds, on every fixture: every name and numeric id, both ways.
 *
 * Needs the shared fixtures (UMS_FIXTURES_DIR); without them the test fails saying so, unless
 * UMS_SKIP_ORACLE=1.
 */
import type Long from 'long';
import { PSTFile } from 'pst-extractor';
import { PstChecks } from './block-check.js';
import { readHeader } from './pst-header.js';
import { fastReads } from './pst-file-setup.js';
import { fixturesUnavailable, oracleSkipped, pstFixtures } from './readpst-oracle.js';

const maybe = oracleSkipped() ? describe.skip : describe;
const problem = fixturesUnavailable();

interface NodeMapFields { nameToId: Map<string, number>; idToNumericName: Map<number, Long>; idToStringName: Map<number, string> }
const fields = (pst: PSTFile): unknown => {
  const m = (pst as unknown as { nodeMap: NodeMapFields }).nodeMap;
  return {
    nameToId: [...m.nameToId].sort(),
    idToNumericName: [...m.idToNumericName].map(([k, v]) => [k, v.toString()]).sort(),
    idToStringName: [...m.idToStringName].sort(),
  };
};

maybe('named-property map', () => {
  if (problem) {
    test('prerequisites', () => { throw new Error(problem); });
    return;
  }
  const files = [...pstFixtures('unicode'), ...pstFixtures('ansi'), ...pstFixtures('ost')];
  test.each(files.map((f) => [f.split('/').pop()!, f]))('%s: the same names and ids as pst-extractor\'s', (_name, file) => {
    const { format } = readHeader(file);
    const plain = new PSTFile(file);
    let fast: PSTFile | undefined;
    let replaced = false;
    try {
      fast = new PSTFile(file, {
        checks: new PstChecks(format),
        setup: (f) => { fastReads(f, format); replaced = Object.prototype.hasOwnProperty.call(f, 'processNameToIDMap'); },
      });
      expect(replaced).toBe(true);
      const theirs = fields(plain) as { nameToId: unknown[] };
      expect(theirs.nameToId.length).toBeGreaterThan(0);
      expect(fields(fast)).toEqual(theirs);
    } finally {
      plain.close();
      fast?.close();
    }
  });
});
