/**
 * The IMAP source's commands at latency, traced through the lab's network proxy (Dovecot's
 * plaintext port, RTT 20 ms): one STATUS per folder (with SIZE, which Dovecot offers), LIST
 * without LSUB, no LIST per connection when a folder is opened, and the bodies of one read travel in several FETCHes at
 * once on pooled connections. Every message arrives whole.
 */
import { createHash } from 'node:crypto';
import pino from 'pino';
import { generateCorpus, seedSource } from '../../test/lab/corpus.js';
import { addSourceUser, startLab, uniqueLogin, type Lab } from '../../test/lab/lab.js';
import { startNetProxy, type NetProxy } from '../../test/lab/netproxy.js';
import type { ImapEndpoint } from '../imap-common/endpoint.js';
import { ImapSource } from './index.js';

let lab: Lab;
let proxy: NetProxy;
beforeAll(async () => {
  lab = await startLab();
  proxy = await startNetProxy({ host: lab.source.host, port: lab.source.port }, { rttMs: 20 });
});
afterAll(() => proxy.close());

interface Line { conn: number; at: number; text: string }

test('one STATUS with SIZE, no LSUB or per-connection LIST, body FETCHes overlapping on several connections', async () => {
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
  expect(cmd(/ STATUS /i)).toHaveLength(1);
  // Between LIST and the first body: STATUS (with SIZE when offered), EXAMINE, the UIDs (UID
  // SEARCH, or a FETCH of UIDs and sizes when STATUS=SIZE is not offered), the listing's FETCH.
  const conn0 = sent.filter((l) => l.conn === 0).map((l) => l.text.split(' ').slice(1, 3).join(' '));
  const from = conn0.findIndex((t) => t.startsWith('LIST'));
  const to = conn0.findIndex((t, i) => i > from && t.startsWith('UID FETCH') && /BODY\.PEEK\[\]/.test(sent.filter((l) => l.conn === 0)[i]!.text));
  expect(to - from - 1).toBeLessThanOrEqual(4);
  const bodies = cmd(/ UID FETCH .*BODY\.PEEK\[\]/i);
  expect(bodies.length).toBeGreaterThanOrEqual(3);
  expect(new Set(bodies.map((b) => b.conn)).size).toBeGreaterThanOrEqual(2);
  // Some body FETCH went out while another one was still unanswered.
  const answeredAt = (b: Line) => done.find((d) => d.conn === b.conn && d.at > b.at && d.text.startsWith(`${b.text.split(' ')[0]} `))?.at ?? Infinity;
  expect(bodies.some((b, k) => bodies.some((o, m) => m !== k && o.at > b.at && o.at < answeredAt(b)))).toBe(true);
});
