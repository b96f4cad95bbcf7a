/** The staging's batching and its failures, against a recorded fake of the server (no lab). */
import { StagedWriter, type StageOps } from './staged-writer.js';

class Refused extends Error {}
class Dropped extends Error {}

/** A staging folder and a real folder in memory; every call recorded. */
function fakeServer(opts: { refuseAppend?: Set<string>; refuseCopy?: Set<string>; dropCopyOnce?: boolean; failDiscardOnce?: boolean; failPrepareOnce?: boolean; noCopyUidFor?: Set<string> } = {}) {
  const calls: string[] = [];
  let stage = new Map<number, string>();
  const folder: string[] = [];
  let nextStageUid = 1;
  let dropCopy = opts.dropCopyOnce ?? false;
  let failDiscard = opts.failDiscardOnce ?? false;
  let failPrepare = opts.failPrepareOnce ?? false;
  const ops: StageOps<string> = {
    direct: async (item) => {
      calls.push(`direct ${item}`);
      folder.push(item);
      return 1000 + folder.length;
    },
    prepare: async () => {
      calls.push('prepare');
      if (failPrepare) {
        failPrepare = false;
        throw new Dropped('prepare: connection lost');
      }
      stage = new Map();
    },
    append: async (item) => {
      calls.push(`append ${item}`);
      if (opts.refuseAppend?.has(item)) throw new Refused(`APPEND of ${item} refused`);
      stage.set(nextStageUid, item);
      return nextStageUid++;
    },
    copy: async (uids) => {
      calls.push(`copy ${uids.join(',')}`);
      if (dropCopy) {
        dropCopy = false;
        throw new Dropped('COPY: connection lost');
      }
      const items = uids.map((u) => stage.get(u) as string);
      const refused = items.find((i) => opts.refuseCopy?.has(i));
      if (refused) throw new Refused(`COPY refused: over quota (${refused})`);
      const out = new Map<number, number>();
      for (const [n, u] of uids.entries()) {
        folder.push(items[n] as string);
        if (!opts.noCopyUidFor?.has(items[n] as string)) out.set(u, 1000 + folder.length);
      }
      return out;
    },
    discard: async (uids) => {
      calls.push(`discard ${uids.join(',')}`);
      if (failDiscard) {
        failDiscard = false;
        throw new Dropped('EXPUNGE: connection lost');
      }
      for (const u of uids) stage.delete(u);
    },
  };
  return { ops, calls, folder, stage: () => [...stage.values()] };
}

const discardErrors: unknown[] = [];
class Missing extends Error {}
const unstageable: unknown[] = [];
const options = (batch = 250, directFirst = 0) => ({
  batch, directFirst, lingerMs: 5, isTransient: (e: unknown) => e instanceof Dropped, onDiscardError: (e: unknown) => { discardErrors.push(e); },
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
    expect(s.calls).toEqual(['direct a', 'direct b', 'prepare', 'append c', 'append d', 'copy 1,2', 'discard 1,2']);
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
});
