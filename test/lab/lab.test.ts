/**
 * Tests of the lab itself, against the real servers: Dovecot (source) and Courier-IMAP (target).
 * Needs root and test/lab/install.sh; starts the lab itself (idempotent).
 */
import { readFileSync } from 'node:fs';
import { ImapFlow, type ImapFlowOptions } from 'imapflow';
import { addSourceUser, addTargetUser, startLab, targetMaildir, uniqueLogin, type Lab, type LabEndpoint } from './lab.js';
import { countByFolder, folderKey, generateCorpus, seedSource } from './corpus.js';

let lab: Lab;

beforeAll(async () => {
  lab = await startLab();
});

type Mode = 'imaps' | 'plain' | 'starttls';

function client(ep: LabEndpoint, login: string, pass: string, mode: Mode = 'imaps', extra: Partial<ImapFlowOptions> = {}): ImapFlow {
  return new ImapFlow({
    host: ep.host,
    port: mode === 'imaps' ? ep.tlsPort : ep.port,
    secure: mode === 'imaps',
    doSTARTTLS: mode === 'imaps' ? undefined : mode === 'starttls',
    auth: { user: login, pass },
    tls: { ca: [readFileSync(ep.caFile)] },
    logger: false,
    disableAutoIdle: true,
    ...extra,
  });
}

async function withClient<T>(c: ImapFlow, fn: (c: ImapFlow) => Promise<T>): Promise<T> {
  await c.connect();
  try {
    return await fn(c);
  } finally {
    await c.logout().catch(() => c.close());
  }
}

describe.each([
  ['source (Dovecot)', 'source', addSourceUser],
  ['target (Courier)', 'target', addTargetUser],
] as const)('%s', (_name, side, addUser) => {
  test('accepts LOGIN over IMAPS with the lab CA verified, rejects clients without the CA', async () => {
    const login = uniqueLogin(`tls${side}`);
    await addUser(login, 'secret-1');
    const ep = lab[side];
    const authenticated = await withClient(client(ep, login, 'secret-1'), async (c) => c.authenticated);
    expect(authenticated).toBeTruthy();

    // TLS verification stays on: without the lab CA the chain is untrusted.
    const untrusted = client(ep, login, 'secret-1', 'imaps', { tls: {} });
    await expect(untrusted.connect()).rejects.toThrow();
    untrusted.close();

    const wrongPassword = client(ep, login, 'wrong');
    await expect(wrongPassword.connect()).rejects.toThrow();
    wrongPassword.close();
  });

  test('plain port works for explicit-insecure clients, and STARTTLS verifies against the CA', async () => {
    const login = uniqueLogin(`plain${side}`);
    await addUser(login, 'secret-2');
    const ep = lab[side];
    const plain = await withClient(client(ep, login, 'secret-2', 'plain'), async (c) => ({ secure: c.secureConnection, auth: c.authenticated }));
    expect(plain).toEqual({ secure: false, auth: expect.anything() });
    const upgraded = await withClient(client(ep, login, 'secret-2', 'starttls'), async (c) => ({ secure: c.secureConnection, auth: c.authenticated }));
    expect(upgraded).toEqual({ secure: true, auth: expect.anything() });
  });
});

describe('target (Courier) capabilities', () => {
  let login: string;
  beforeAll(async () => {
    login = uniqueLogin('caps');
    await addTargetUser(login, 'pw');
  });

  test('personal NAMESPACE is "INBOX." with delimiter "."', async () => {
    const ns = await withClient(client(lab.target, login, 'pw'), async (c) => c.namespace);
    expect(ns).toEqual({ prefix: 'INBOX.', delimiter: '.' });
  });

  test('advertises UIDPLUS (+ IDLE, ENABLE UTF8=ACCEPT) and allows keywords (PERMANENTFLAGS has \\*)', async () => {
    const { caps, permanentFlags } = await withClient(client(lab.target, login, 'pw'), async (c) => {
      const mailbox = await c.mailboxOpen('INBOX');
      return { caps: [...c.capabilities.keys()], permanentFlags: [...(mailbox.permanentFlags ?? [])] };
    });
    expect(caps).toEqual(expect.arrayContaining(['UIDPLUS', 'IDLE', 'NAMESPACE', 'ENABLE', 'UTF8=ACCEPT']));
    expect(permanentFlags).toContain('\\*');
  });

  test('APPEND with flags, keywords and internal date round-trips (INBOX and a non-ASCII folder)', async () => {
    const raw = Buffer.from(
      'From: a@example.org\r\nTo: b@example.org\r\nSubject: round trip\r\nMessage-ID: <rt.1@ums-lab.test>\r\n\r\nHello\r\n',
    );
    const flags = ['\\Seen', '\\Flagged', '\\Answered', '$Forwarded', 'Work', '$label1'];
    const date = new Date('2020-02-03T04:05:06Z');
    const results = await withClient(client(lab.target, login, 'pw'), async (c) => {
      await c.mailboxCreate(['Отправленные']);
      const out = [];
      for (const folder of ['INBOX', 'INBOX.Отправленные']) {
        const appended = await c.append(folder, raw, flags, date);
        expect(appended && appended.uid).toBeGreaterThan(0); // UIDPLUS: APPENDUID
        const lock = await c.getMailboxLock(folder);
        try {
          const msg = await c.fetchOne(String(appended ? appended.uid : 0), { flags: true, internalDate: true, source: true }, { uid: true });
          expect(msg).toBeTruthy();
          if (msg) out.push({ flags: [...(msg.flags ?? [])].sort(), date: new Date(msg.internalDate ?? 0).toISOString(), source: msg.source?.toString() });
        } finally {
          lock.release();
        }
      }
      return out;
    });
    expect(results).toHaveLength(2);
    for (const r of results) {
      expect(r).toEqual({ flags: [...flags].sort(), date: date.toISOString(), source: raw.toString() });
    }
    // the Courier user's Maildir is where targetMaildir() says
    expect(readFileSync(`${targetMaildir(login)}/courierimapuiddb`, 'utf8')).toMatch(/^1 /);
  });
});

describe('corpus seeding into the source (Dovecot)', () => {
  test('per-folder counts match the corpus, flags and dates preserved', async () => {
    const login = uniqueLogin('seed');
    await addSourceUser(login, 'pw');
    const corpus = generateCorpus({ messages: 60, seed: 11, maxSize: 200 * 1024 });
    await seedSource(lab, login, 'pw', corpus);

    const expected = Object.fromEntries(countByFolder(corpus));
    const { counts, inbox } = await withClient(client(lab.source, login, 'pw'), async (c) => {
      const list = await c.list({ statusQuery: { messages: true } });
      const delimiter = list[0]?.delimiter ?? '/';
      const counts: Record<string, number> = {};
      for (const entry of list) {
        const n = entry.status?.messages ?? 0;
        if (n > 0) counts[entry.path.split(delimiter).join('/')] = n;
      }
      const lock = await c.getMailboxLock('INBOX');
      const inbox = [];
      try {
        for await (const m of c.fetch('1:*', { uid: true, flags: true, internalDate: true })) {
          inbox.push({ flags: [...(m.flags ?? [])].filter((f) => f !== '\\Recent').sort(), date: new Date(m.internalDate ?? 0).getTime() });
        }
      } finally {
        lock.release();
      }
      return { counts, inbox };
    });
    expect(counts).toEqual(expected);
    expect(Object.keys(expected)).toEqual(expect.arrayContaining(['INBOX', 'Projects/Q3', 'Отправленные']));
    // UIDs follow corpus order within a folder
    const inboxCorpus = corpus.filter((m) => folderKey(m.folder) === 'INBOX');
    expect(inbox).toEqual(inboxCorpus.map((m) => ({ flags: [...m.flags].sort(), date: m.internalDate.getTime() })));
  });

  test('the corpus is deterministic and has the edge cases', () => {
    const a = generateCorpus({ messages: 120, seed: 5 });
    const b = generateCorpus({ messages: 120, seed: 5 });
    expect(a.length).toBe(120);
    expect(a.every((m, i) => m.raw.equals(b[i]?.raw ?? Buffer.alloc(0)))).toBe(true);
    expect(a.map((m) => [m.folder, m.flags, m.internalDate])).toEqual(b.map((m) => [m.folder, m.flags, m.internalDate]));
    expect(generateCorpus({ messages: 120, seed: 6 })[50]?.raw.equals(a[50]?.raw ?? Buffer.alloc(0))).toBe(false);
    const edges = a.filter((m) => m.edgeCase).map((m) => m.edgeCase);
    expect(edges).toEqual([
      'no-message-id',
      'shared-message-id',
      'shared-message-id',
      'identical-copy',
      'identical-copy',
      'utf8-headers',
      'bare-lf',
      'no-final-crlf',
    ]);
    const [c1, c2] = a.filter((m) => m.edgeCase === 'identical-copy');
    expect(c1 && c2 && c1.raw.equals(c2.raw)).toBe(true);
    const [s1, s2] = a.filter((m) => m.edgeCase === 'shared-message-id');
    expect(s1?.messageId).toBe(s2?.messageId);
    expect(s1?.raw.equals(s2?.raw ?? Buffer.alloc(0))).toBe(false);
    expect(a.find((m) => m.edgeCase === 'no-final-crlf')?.raw.subarray(-2).toString()).not.toBe('\r\n');
    expect(a.find((m) => m.edgeCase === 'bare-lf')?.raw.includes('\r')).toBe(false);
    expect(a.find((m) => m.edgeCase === 'utf8-headers')?.raw.toString()).toContain('Subject: Привет');
  });
});
