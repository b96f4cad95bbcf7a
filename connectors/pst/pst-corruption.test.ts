/**
 * Property: whatever a damaged copy of a PST does to the reader, no item is ever reported copied
 * with content different from the intact file's. Each seed takes one of the files in turn and
 * writes 1–3 runs of 64 random bytes into a copy (mostly inside allocated blocks and B-tree pages, where damage matters, sometimes
 * anywhere, the header included), reads every mail item the way the engine does (containers,
 * changes, read) and compares every item read without error with the intact file's: the MIME
 * bytes, and the flags and date the listing gave. Unreadable items and folders are fine (they
 * are reported); a different or phantom item is not.
 *
 * Needs the shared fixtures (UMS_FIXTURES_DIR); without them the test fails saying so, unless
 * UMS_SKIP_ORACLE=1. UMS_PST_SEEDS=N runs N seeds instead of 50 (e.g. 1000 for a longer hunt),
 * UMS_PST_FILES=a.pst,b.pst (relative to <fixtures>/pst) other files.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import type { SourceMailbox } from '../../src/model/types.js';
import { seededRandom } from '../../src/util/seeded-random.js';
import { blockTrailerAt } from './block-check.js';
import { blocks, pages } from './fixture-edit.js';
import { PstSource } from './index.js';
import { fixturesDir, fixturesUnavailable, oracleSkipped } from './readpst-oracle.js';

const maybe = oracleSkipped() ? describe.skip : describe;
const problem = fixturesUnavailable();
const log = pino({ level: 'silent' });
/** Small files with attachments, embedded messages, several folders, both encodings. */
const FILES = process.env.UMS_PST_FILES?.split(',')
  ?? ['unicode/ruby-msg-attachAndInline.pst', 'unicode/hiraoka-msgInMsgInMsg.pst', 'unicode/hiraoka-threeItems.pst', 'ansi/hiraoka-nonUnicodeCP932.pst'];
const SEEDS = Number(process.env.UMS_PST_SEEDS ?? 50);

interface Seen { content: string; flags: string; date: string }

/** Every mail item read without error, by "container id/item id". */
async function readAll(mb: SourceMailbox): Promise<Map<string, Seen>> {
  const out = new Map<string, Seen>();
  let containers;
  try {
    containers = await mb.containers();
  } catch {
    return out;
  }
  for (const c of containers) {
    if (c.skip) continue;
    try {
      const listed = new Map<string, { flags: string; date: string }>();
      let cursor: string | null = null;
      for (let pages = 0; pages < 1000; pages++) {
        const page = await mb.changes(c, cursor, 50);
        for (const m of page.items) listed.set(m.id, { flags: m.flags.join(' '), date: m.internalDate?.toISOString() ?? '' });
        for await (const r of mb.read(c, page.items)) {
          if ('content' in r) out.set(`${c.id}/${r.meta.id}`, { content: r.content.toString('base64'), ...listed.get(r.meta.id)! });
        }
        cursor = page.cursor;
        if (page.done) break;
      }
    } catch {
      // a folder that cannot be listed or read fails as a whole: nothing of it is reported copied
    }
  }
  return out;
}

/** 1–3 runs of 64 random bytes, mostly inside blocks and pages. */
function corrupt(data: Buffer, seed: number): { at: number; length: number }[] {
  const random = seededRandom(seed);
  const format = data.readUInt16LE(10) < 23 ? 'ansi' : 'unicode';
  const regions = [
    ...[...blocks(data).values()].map((b) => ({ ib: b.ib, size: blockTrailerAt(format, b.ib, b.cb).size })),
    ...pages(data).map((ib) => ({ ib, size: 512 })),
  ];
  const runs: { at: number; length: number }[] = [];
  for (let n = 1 + Math.floor(random() * 3); n > 0; n--) {
    let at: number;
    if (random() < 0.8) {
      const r = regions[Math.floor(random() * regions.length)]!;
      at = r.ib + Math.floor(random() * Math.max(1, r.size - 32)) - 16; // may straddle the block's start or end
    } else {
      at = Math.floor(random() * (data.length - 64));
    }
    at = Math.max(0, Math.min(data.length - 64, at));
    for (let i = 0; i < 64; i++) data[at + i] = Math.floor(random() * 256);
    runs.push({ at, length: 64 });
  }
  return runs;
}

maybe('damaged copies never yield altered items', () => {
  if (problem) {
    test('prerequisites', () => { throw new Error(problem); });
    return;
  }
  let dir: string;
  beforeAll(() => { dir = mkdtempSync(join(tmpdir(), 'pst-corrupt-')); });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const readCopy = async (name: string, data: Buffer): Promise<Map<string, Seen>> => {
    const base = join(dir, name);
    mkdirSync(join(base, 'alice'), { recursive: true });
    writeFileSync(join(base, 'alice', 'mail.pst'), data);
    const mb = await new PstSource({ directory: base, files: '{login}/*.pst' }, log).openMailbox({ login: 'alice' });
    try {
      return await readAll(mb);
    } finally {
      await mb.close();
      rmSync(base, { recursive: true, force: true });
    }
  };

  test(`${SEEDS} seeds over ${FILES.length} files`, async () => {
    const intact = new Map<string, { data: Buffer; good: Map<string, Seen> }>();
    for (const rel of FILES) {
      const data = readFileSync(join(fixturesDir(), 'pst', rel));
      const good = await readCopy('intact', data);
      expect([rel, good.size > 0]).toEqual([rel, true]);
      intact.set(rel, { data, good });
    }
    let damagedItems = 0;
    const differences: string[] = [];
    for (let seed = 1; seed <= SEEDS; seed++) {
      const rel = FILES[seed % FILES.length]!;
      const { data, good } = intact.get(rel)!;
      const copy = Buffer.from(data);
      const runs = corrupt(copy, seed);
      const got = await readCopy(`seed-${seed}`, copy);
      damagedItems += good.size - [...got.keys()].filter((k) => good.has(k)).length;
      for (const [key, seen] of got) {
        const want = good.get(key);
        const where = `seed ${seed}, ${rel} (bytes ${runs.map((r) => `${r.at}..${r.at + r.length - 1}`).join(', ')}): ${key}`;
        if (!want) differences.push(`${where}: an item the intact file does not have`);
        else if (want.content !== seen.content) differences.push(`${where}: content differs`);
        else if (want.flags !== seen.flags || want.date !== seen.date) differences.push(`${where}: flags or date differ (${seen.flags} ${seen.date} vs ${want.flags} ${want.date})`);
      }
    }
    expect(differences).toEqual([]);
    // the damage was real: items were refused
    expect(damagedItems).toBeGreaterThan(0);
  }, Math.max(120_000, SEEDS * 3000));
});
