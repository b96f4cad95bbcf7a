/** The staging's batching and its failures, against a recorded fake of the server (no lab). */
import { StagedWriter, type StageOps } from './staged-writer.js';

class Refused extends Error {}
class Dropped extends Error {}

/** Staging folders (one per lane) and a real folder in memory; every call recorded ("append@1 x": lane 1). */
function fakeServer(opts: { refuseAppend?: Set<string>; refuseCopy?: Set<string>; dropCopyOnce?: boolean; failDiscardOnce?: boolean; failPrepareOnce?: boolean; noCopyUidFor?: Set<string>; appendDelayMs?: (item: string, lane: number) => number; refusePrepare?: Set<number> } = {}) {
  const calls: string[] = [];
  const stages = new Map<number, Map<number, string>>();
  const stageOf = (lane: number) => stages.get(lane) ?? stages.set(lane, new Map()).get(lane) as Map<number, string>;
  const folder: string[] = [];
  const nextStageUid = new Map<number, number>();
  let dropCopy = opts.dropCopyOnce ?? false;
  let failDiscard = opts.failDiscardOnce ?? false;
  let failPrepare = opts.failPrepareOnce ?? false;
  const at = (verb: string, lane: number) => (lane === 0 ? verb : `${verb}@${lane}`);
  let appending = 0;
  let mostAppending = 0;
  const ops: StageOps<string> = {
    direct: async (item) => {
      calls.push(`direct ${item}`);
      folder.push(item);
      return 1000 + folder.length;
    },
    prepare: async (lane) => {
      calls.push(at('prepare', lane));
      if (opts.refusePrepare?.has(lane)) throw new Refused(`CREATE of stage ${lane} refused`);
      if (failPrepare) {
        failPrepare = false;
        throw new Dropped('prepare: connection lost');
      }
      stages.set(lane, new Map());
    },
    append: async (item, lane) => {
      calls.push(`${at('append', lane)} ${item}`);
      appending++;
      mostAppending = Math.max(mostAppending, appending);
      const delay = opts.appendDelayMs?.(item, lane) ?? 0;
      if (delay > 0) await new Promise((r) => setTimeout(r, delay));
      appending--;
      if (opts.refuseAppend?.has(item)) throw new Refused(`APPEND of ${item} refused`);
      const uid = nextStageUid.get(lane) ?? 1;
      nextStageUid.set(lane, uid + 1);
      stageOf(lane).set(uid, item);
      return uid;
    },
    copy: async (uids, lane) => {
      calls.push(`${at('copy', lane)} ${uids.join(',')}`);
      if (dropCopy) {
        dropCopy = false;
        throw new Dropped('COPY: connection lost');
      }
      const items = uids.map((u) => stageOf(lane).get(u) as string);
      const refused = items.find((i) => opts.refuseCopy?.has(i));
      if (refused) throw new Refused(`COPY refused: over quota (${refused})`);
      const out = new Map<number, number>();
      for (const [n, u] of uids.entries()) {
        folder.push(items[n] as string);
        if (!opts.noCopyUidFor?.has(items[n] as string)) out.set(u, 1000 + folder.length);
      }
      return out;
    },
    discard: async (uids, lane) => {
      calls.push(`${at('discard', lane)} ${uids.join(',')}`);
      if (failDiscard) {
        failDiscard = false;
        throw new Dropped('EXPUNGE: connection lost');
      }
      for (const u of uids) stageOf(lane).delete(u);
    },
  };
  return { ops, calls, folder, stage: () => [...stageOf(0).values()], mostAppending: () => mostAppending };
}

const discardErrors: unknown[] = [];
class Missing extends Error {}
const unstageable: unknown[] = [];
const options = (batch = 250, directFirst = 0, lanes = 1) => ({
  batch, directFirst, lanes, lingerMs: 5, isTransient: (e: unknown) => e instanceof Dropped, onDiscardError: (e: unknown) => { discardErrors.push(e); },
  onUnstageable: (e: unknown) => { unstageable.push(e); }, missingUid: (uid: number) => new Missing(`no UID for ${uid}`),
});
const settle = <T>(ps: Promise<T>[]) => Promise.allSettled(ps);

describe('StagedWriter', () => {
  it('gathers puts made together into one COPY, in order, each resolving with its UID in the real folder', async () => {
    const s = fakeServer();
    const w = new StagedWriter(s.ops, options());
    const uids = await Promise.all(['a', 'b', 'c', 'd'].map((x) => w.put(x)));
    expect(uids).toEqual([1001, 1002, 1003, 1004]);
    expect(s.folder).toEqual(['a', 'b', 'c', 'd']);
    expect(s.calls).toEqual(['prepare', 'append a', 'append b', 'append c', 'append d', 'copy 1,2,3,4', 'discard 1,2,3,4']);
    expect(s.stage()).toEqual([]);
  });

  it('copies a full batch at once, and what is left after the linger', async () => {
    const s = fakeServer();
    const w = new StagedWriter(s.ops, options(3));
    await Promise.all(['a', 'b', 'c', 'd', 'e', 'f', 'g'].map((x) => w.put(x)));
    expect(s.calls.filter((c) => c.startsWith('copy'))).toEqual(['copy 1,2,3', 'copy 4,5,6', 'copy 7']);
    expect(s.folder).toEqual(['a', 'b', 'c', 'd', 'e', 'f', 'g']);
  });

  it('prepares the stage once while it stays usable, and a put after a pause is copied on its own', async () => {
    const s = fakeServer();
    const w = new StagedWriter(s.ops, options());
    await w.put('a');
    await w.put('b');
    expect(s.calls).toEqual(['prepare', 'append a', 'copy 1', 'discard 1', 'append b', 'copy 2', 'discard 2']);
  });

  it('fails only the message whose APPEND is refused', async () => {
    const s = fakeServer({ refuseAppend: new Set(['b']) });
    const w = new StagedWriter(s.ops, options());
    const r = await settle(['a', 'b', 'c'].map((x) => w.put(x)));
    expect(r.map((x) => x.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect((r[1] as PromiseRejectedResult).reason).toBeInstanceOf(Refused);
    expect(s.folder).toEqual(['a', 'c']);
  });

  it('copies one by one when a batch COPY is refused, failing only the refused message with the server reason, then sets the stage up again', async () => {
    const s = fakeServer({ refuseCopy: new Set(['c']) });
    const w = new StagedWriter(s.ops, options());
    const r = await settle(['a', 'b', 'c', 'd'].map((x) => w.put(x)));
    expect(r.map((x) => x.status)).toEqual(['fulfilled', 'fulfilled', 'rejected', 'fulfilled']);
    expect(String((r[2] as PromiseRejectedResult).reason)).toContain('over quota (c)');
    expect(s.folder).toEqual(['a', 'b', 'd']);
    expect(s.calls).toEqual(['prepare', 'append a', 'append b', 'append c', 'append d', 'copy 1,2,3,4', 'copy 1', 'copy 2', 'copy 3', 'copy 4']);
    await w.put('e');
    expect(s.calls.slice(-4)).toEqual(['prepare', 'append e', 'copy 5', 'discard 5']);
    expect(s.stage()).toEqual([]);
  });

  it('fails the whole batch when the COPY breaks off (it may have landed: the engine looks first), and starts a clean stage', async () => {
    const s = fakeServer({ dropCopyOnce: true });
    const w = new StagedWriter(s.ops, options());
    const r = await settle(['a', 'b'].map((x) => w.put(x)));
    expect(r.map((x) => x.status)).toEqual(['rejected', 'rejected']);
    expect((r[0] as PromiseRejectedResult).reason).toBeInstanceOf(Dropped);
    expect(s.calls).toEqual(['prepare', 'append a', 'append b', 'copy 1,2']);
    expect(await w.put('a')).toBe(1001);
    expect(s.calls.slice(4)).toEqual(['prepare', 'append a', 'copy 3', 'discard 3']);
    expect(s.stage()).toEqual([]);
  });

  it('counts messages copied even when the stage cannot be emptied after, and empties it before its next use', async () => {
    discardErrors.length = 0;
    const s = fakeServer({ failDiscardOnce: true });
    const w = new StagedWriter(s.ops, options());
    expect(await Promise.all(['a', 'b'].map((x) => w.put(x)))).toEqual([1001, 1002]);
    expect(discardErrors).toHaveLength(1);
    expect(s.stage()).toEqual(['a', 'b']);
    await w.put('c');
    expect(s.calls.slice(-4)).toEqual(['prepare', 'append c', 'copy 3', 'discard 3']);
    expect(s.folder).toEqual(['a', 'b', 'c']);
  });

  it('fails a put whose stage could not be set up, and tries again for the next', async () => {
    const s = fakeServer({ failPrepareOnce: true });
    const w = new StagedWriter(s.ops, options());
    await expect(w.put('a')).rejects.toBeInstanceOf(Dropped);
    expect(await w.put('b')).toBe(1001);
    expect(s.calls).toEqual(['prepare', 'prepare', 'append b', 'copy 1', 'discard 1']);
  });

  it('writes the first `directFirst` messages straight into the folder, one at a time, then stages', async () => {
    const s = fakeServer();
    const w = new StagedWriter(s.ops, options(250, 2));
    expect(w.staging).toBe(false);
    expect(await Promise.all(['a', 'b', 'c', 'd'].map((x) => w.put(x)))).toEqual([1001, 1002, 1003, 1004]);
    expect(w.staging).toBe(true);
    // The stage is filled while the direct writes run; its COPY waits for them.
    expect(s.calls.filter((c) => c.startsWith('direct'))).toEqual(['direct a', 'direct b']);
    expect(s.calls.filter((c) => !c.startsWith('direct'))).toEqual(['prepare', 'append c', 'append d', 'copy 1,2', 'discard 1,2']);
    expect(s.calls.indexOf('copy 1,2')).toBeGreaterThan(s.calls.indexOf('direct b'));
    expect(s.folder).toEqual(['a', 'b', 'c', 'd']);
  });

  it('leaves UIDs unknown (never fails the items) when the server names none for the COPY', async () => {
    const s = fakeServer({ noCopyUidFor: new Set(['a', 'b']) });
    const w = new StagedWriter(s.ops, options());
    expect(await Promise.all(['a', 'b'].map((x) => w.put(x)))).toEqual([undefined, undefined]);
    expect(s.folder).toEqual(['a', 'b']);
  });

  it('fails as "look first" a staged message the COPYUID leaves out while naming the others', async () => {
    const s = fakeServer({ noCopyUidFor: new Set(['b']) });
    const w = new StagedWriter(s.ops, options());
    const r = await settle(['a', 'b'].map((x) => w.put(x)));
    expect(r[0]).toEqual({ status: 'fulfilled', value: 1001 });
    expect((r[1] as PromiseRejectedResult).reason).toBeInstanceOf(Missing);
  });

  it('writes straight into the folder when the staging folder is refused (not a dropped connection), and says so once', async () => {
    unstageable.length = 0;
    const s = fakeServer();
    const refused = new Refused('CREATE refused: folder quota');
    const ops = { ...s.ops, prepare: async () => { s.calls.push('prepare'); throw refused; } };
    const w = new StagedWriter(ops, options());
    expect(await Promise.all(['a', 'b', 'c'].map((x) => w.put(x)))).toEqual([1001, 1002, 1003]);
    expect(w.staging).toBe(false);
    expect(s.calls).toEqual(['prepare', 'direct a', 'direct b', 'direct c']);
    expect(unstageable).toEqual([refused]);
  });
  describe('with several lanes', () => {
    it('stages blocks in turn on each lane at once, and copies them in the order of the puts', async () => {
      const s = fakeServer({ appendDelayMs: () => 2 });
      const w = new StagedWriter(s.ops, options(2, 0, 3));
      const items = ['a', 'b', 'c', 'd', 'e', 'f', 'g'];
      expect(await Promise.all(items.map((x) => w.put(x)))).toEqual([1001, 1002, 1003, 1004, 1005, 1006, 1007]);
      expect(s.folder).toEqual(items);
      expect(s.calls.filter((c) => c.startsWith('copy'))).toEqual(['copy 1,2', 'copy@1 1,2', 'copy@2 1,2', 'copy 3']);
      expect(s.calls.filter((c) => c.startsWith('append@2'))).toEqual(['append@2 e', 'append@2 f']);
      expect(s.mostAppending()).toBe(3);
    });

    it('holds a block staged early until the blocks before it are copied', async () => {
      // Lane 0 is slow: lane 1 has its block staged first, and waits.
      const s = fakeServer({ appendDelayMs: (_, lane) => (lane === 0 ? 15 : 0) });
      const w = new StagedWriter(s.ops, options(2, 0, 2));
      expect(await Promise.all(['a', 'b', 'c', 'd'].map((x) => w.put(x)))).toEqual([1001, 1002, 1003, 1004]);
      expect(s.calls.indexOf('append@1 d')).toBeLessThan(s.calls.indexOf('append b'));
      expect(s.calls.indexOf('copy@1 1,2')).toBeGreaterThan(s.calls.indexOf('copy 1,2'));
      expect(s.folder).toEqual(['a', 'b', 'c', 'd']);
    });

    it('keeps the order when one lane\'s stage is refused: its block goes straight in after the blocks before it, the working lane stages on', async () => {
      const s = fakeServer({ refusePrepare: new Set([1]), appendDelayMs: () => 3 });
      const w = new StagedWriter(s.ops, options(2, 0, 2));
      const first = ['a', 'b', 'c', 'd', 'e', 'f'].map((x) => w.put(x));
      const uids = await Promise.all(first);
      expect(w.staging).toBe(false);
      expect(await w.put('g')).toBe(1007);
      expect(uids).toEqual([1001, 1002, 1003, 1004, 1005, 1006]);
      expect(s.folder).toEqual(['a', 'b', 'c', 'd', 'e', 'f', 'g']);
      expect(s.calls.filter((c) => c.startsWith('direct'))).toEqual(['direct c', 'direct d', 'direct g']);
      expect(unstageable.length).toBeGreaterThan(0);
    });

    it('goes on with the next blocks when one block\'s COPY breaks off', async () => {
      const s = fakeServer({ dropCopyOnce: true });
      const w = new StagedWriter(s.ops, options(2, 0, 2));
      const r = await settle(['a', 'b', 'c', 'd'].map((x) => w.put(x)));
      expect(r.map((x) => x.status)).toEqual(['rejected', 'rejected', 'fulfilled', 'fulfilled']);
      expect(s.folder).toEqual(['c', 'd']);
      // The broken lane sets its stage up again before its next use.
      expect(await w.put('e')).toBe(1003);
      expect(s.calls.slice(-4)).toEqual(['prepare', 'append e', 'copy 3', 'discard 3']);
    });
  });
  it('closes a block at `blockBytes`, and says each message is staged before its put settles', async () => {
    const s = fakeServer();
    const w = new StagedWriter(s.ops, { ...options(250, 0, 2), blockBytes: 4, sizeOf: (x: string) => x.length });
    const sent: string[] = [];
    const settled: string[] = [];
    const sentBeforeSettled: boolean[] = [];
    const puts = ['aa', 'bb', 'cc', 'd'].map((x) => w.put(x, () => sent.push(x)).then((uid) => { sentBeforeSettled.push(sent.includes(x)); settled.push(x); return uid; }));
    expect(await Promise.all(puts)).toEqual([1001, 1002, 1003, 1004]);
    expect(s.calls.filter((c) => c.startsWith('copy'))).toEqual(['copy 1,2', 'copy@1 1,2']);
    expect(sent.sort()).toEqual(['aa', 'bb', 'cc', 'd']);
    expect(sentBeforeSettled).toEqual([true, true, true, true]);
    expect(settled).toEqual(['aa', 'bb', 'cc', 'd']);
  });

  it('never says a message is staged when its APPEND is refused', async () => {
    const s = fakeServer({ refuseAppend: new Set(['b']) });
    const w = new StagedWriter(s.ops, options());
    const sent: string[] = [];
    const r = await settle(['a', 'b'].map((x) => w.put(x, () => sent.push(x))));
    expect(r.map((x) => x.status)).toEqual(['fulfilled', 'rejected']);
    expect(sent).toEqual(['a']);
  });
});
