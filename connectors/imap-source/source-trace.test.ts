/**
 * The IMAP source's commands at latency, traced through the lab's network proxy (Dovecot's
 * plaintext port, RTT 20 ms): no STATUS (Dovecot offers LIST-STATUS: the LIST brings each
 * folder's counts, with SIZE, which Dovecot offers too), LIST without LSUB, no LIST per connection when a folder is opened, and the bodies of one read travel in several FETCHes at
 * once on pooled connections. Every message arrives whole.
 */
import { createHash } from 'node:crypto';
import pino from 'pino';
import { generateCorpus, seedSource } from '../../test/lab/corpus.js';
import { addSourceUser, startLab, uniqueLogin, type Lab } from '../../test/lab/lab.js';
import { startNetProxy, type NetProxy } from '../../test/lab/netproxy.js';
import type { ImapEndpoint } from '../imap-common/endpoint.js';
import { ImapSource, READ_AHEAD_BYTES } from './index.js';

let lab: Lab;
let proxy: NetProxy;
beforeAll(async () => {
  lab = await startLab();
  proxy = await startNetProxy({ host: lab.source.host, port: lab.source.port }, { rttMs: 20 });
});
afterAll(() => proxy.close());

interface Line { conn: number; at: number; text: string }

test('the counts with SIZE in the LIST (LIST-STATUS), no STATUS, no LSUB or per-connection LIST, body FETCHes overlapping on several connections', async () => {
  const login = uniqueLogin('srctrace');
  await addSourceUser(login, 'secret-1');
  const corpus = generateCorpus({ messages: 40, folders: ['INBOX'], maxSize: 400 * 1024, seed: 7 })
    .map((m) => ({ ...m, raw: Buffer.concat([m.raw, Buffer.from(`X-Pad: ${'x'.repeat(70)}\r\n`.repeat(1200))]) }));
  await seedSource(lab, login, 'secret-1', corpus);

  const sent: Line[] = [];
  const done: Line[] = [];
  let seq = 0;
  proxy.tap((dir, chunk, conn) => {
    for (const text of chunk.toString('latin1').split('\r\n')) {
      if (dir === 'toServer' && /^\S+ [A-Z]/.test(text)) sent.push({ conn, at: seq++, text: text.slice(0, 200) });
      if (dir === 'toClient' && /^\S+ (OK|NO|BAD) /.test(text) && !text.startsWith('* ')) done.push({ conn, at: seq++, text: text.slice(0, 100) });
    }
  });
  const ep: ImapEndpoint = {
    host: '127.0.0.1', port: proxy.port, tls: 'none', allowInsecure: true, tlsVerify: true, maxConnections: 6, auth: { mode: 'user' }, autoEnable: true,
  };
  const source = new ImapSource(ep, pino({ level: 'silent' }), 4);
  const mb = await source.openMailbox({ login, password: 'secret-1' });
  try {
    const inbox = (await mb.containers()).find((c) => c.id === 'INBOX');
    if (!inbox) throw new Error('no INBOX listed');
    // The engine's probe: with STATUS=SIZE it carries the bytes, and no second STATUS follows.
    const sized = await mb.stats(inbox);
    expect(sized.count).toBe(40);
    const page = await mb.changes(inbox, null, 100);
    expect(page.items).toHaveLength(40);
    // (Dovecot serves the corpus's bare-LF edge cases with CRLF: sizes are the server's.)
    expect(sized.bytes).toBe(page.items.reduce((n, i) => n + i.size, 0));
    const got = new Map<string, string>();
    for await (const r of mb.read(inbox, page.items)) {
      if ('error' in r) throw r.error;
      expect(r.content.length).toBe(r.meta.size);
      got.set(r.meta.id, createHash('sha256').update(r.content).digest('hex'));
    }
    expect([...got.keys()]).toEqual(page.items.map((i) => i.id));
  } finally {
    proxy.tap(undefined);
    await mb.close();
  }
  const cmd = (re: RegExp) => sent.filter((l) => re.test(l.text));
  expect(cmd(/ LSUB /i)).toHaveLength(0);
  expect(cmd(/ LIST /i)).toHaveLength(1);
  expect(cmd(/ LIST /i)[0]!.text).toMatch(/RETURN \(STATUS \(MESSAGES UIDNEXT UIDVALIDITY HIGHESTMODSEQ SIZE\)/);
  expect(cmd(/ STATUS /i)).toHaveLength(0);
  // Between LIST and the first body: EXAMINE, the UIDs (UID
  // SEARCH, or a FETCH of UIDs and sizes when STATUS=SIZE is not offered), the listing's FETCH.
  const conn0 = sent.filter((l) => l.conn === 0).map((l) => l.text.split(' ').slice(1, 3).join(' '));
  const from = conn0.findIndex((t) => t.startsWith('LIST'));
  const to = conn0.findIndex((t, i) => i > from && t.startsWith('UID FETCH') && /BODY\.PEEK\[\]/.test(sent.filter((l) => l.conn === 0)[i]!.text));
  expect(to - from - 1).toBeLessThanOrEqual(3);
  const bodies = cmd(/ UID FETCH .*BODY\.PEEK\[\]/i);
  expect(bodies.length).toBeGreaterThanOrEqual(3);
  expect(new Set(bodies.map((b) => b.conn)).size).toBeGreaterThanOrEqual(2);
  // Some body FETCH went out while another one was still unanswered.
  const answeredAt = (b: Line) => done.find((d) => d.conn === b.conn && d.at > b.at && d.text.startsWith(`${b.text.split(' ')[0]} `))?.at ?? Infinity;
  expect(bodies.some((b, k) => bodies.some((o, m) => m !== k && o.at > b.at && o.at < answeredAt(b)))).toBe(true);
});

test('reads of several folders at once send ahead at most READ_AHEAD_BYTES of bodies for the whole mailbox, and every message still arrives', async () => {
  const login = uniqueLogin('srcahead');
  await addSourceUser(login, 'secret-1');
  const folders = ['INBOX', 'A', 'B', 'C'];
  // 12 messages of ~550 KB per folder: four FETCHes of three each (2 MiB at most per FETCH).
  const corpus = folders.flatMap((f, n) => generateCorpus({ messages: 12, folders: [f], maxSize: 8 * 1024, seed: 8 + n }))
    .map((m) => ({ ...m, raw: Buffer.concat([m.raw, Buffer.from(`X-Pad: ${'x'.repeat(70)}\r\n`.repeat(7000))]) }));
  await seedSource(lab, login, 'secret-1', corpus);
  const sent: string[] = [];
  proxy.tap((dir, chunk) => {
    if (dir !== 'toServer') return;
    for (const text of chunk.toString('latin1').split('\r\n')) if (/^\S+ UID FETCH .*BODY\.PEEK\[\]/i.test(text)) sent.push(text);
  });
  const ep: ImapEndpoint = {
    host: '127.0.0.1', port: proxy.port, tls: 'none', allowInsecure: true, tlsVerify: true, maxConnections: 12, auth: { mode: 'user' }, autoEnable: true,
  };
  const source = new ImapSource(ep, pino({ level: 'silent' }), 12);
  const mb = await source.openMailbox({ login, password: 'secret-1' });
  try {
    const containers = (await mb.containers()).filter((c) => folders.includes(c.id));
    expect(containers).toHaveLength(4);
    const pages = await Promise.all(containers.map(async (c) => ({ c, items: (await mb.changes(c, null, 100)).items })));
    const size = new Map(pages.flatMap((p) => p.items.map((i) => [`${p.c.id}:${i.id}`, i.size] as const)));
    const reads = pages.map((p) => ({ p, it: mb.read(p.c, p.items)[Symbol.asyncIterator]() }));
    // Each read hands on its first message and then waits (a slow target): what is sent ahead now is all it may send.
    for (const r of reads) expect(await r.it.next()).toMatchObject({ done: false });
    await new Promise((r) => setTimeout(r, 1500));
    const fetchedBytes = (lines: string[]) => lines.map((l) => {
      const uids = (/UID FETCH (\S+)/i.exec(l)?.[1] ?? '').split(',');
      return uids.reduce((n, u) => n + Math.max(...pages.map((p) => size.get(`${p.c.id}:${u}`) ?? 0)), 0);
    });
    const perFetch = fetchedBytes(sent);
    // The four first FETCHes (one per read) are not counted: the rest is read ahead.
    const ahead = perFetch.slice().sort((a, b) => a - b).slice(0, perFetch.length - 4).reduce((a, b) => a + b, 0);
    expect(sent.length).toBeGreaterThan(4);
    expect(ahead).toBeLessThanOrEqual(READ_AHEAD_BYTES);
    // Without the mailbox's bound: 16 (each read sends all four of its FETCHes at once).
    expect(sent.length).toBeLessThan(12);
    let n = 0;
    for (const r of reads) {
      n++;
      for (let x = await r.it.next(); !x.done; x = await r.it.next()) {
        if ('error' in x.value) throw x.value.error;
        expect(x.value.content.length).toBe(x.value.meta.size);
        n++;
      }
    }
    expect(n).toBe(48);
  } finally {
    proxy.tap(undefined);
    await mb.close();
  }
});
