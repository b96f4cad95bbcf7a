/**
 * The IMAP source's folder listing against a scriptable server (test/support/fake-imap.ts):
 * - where LIST-STATUS (RFC 5819) is offered, the one LIST brings every folder's counts and the
 *   probes that follow send no STATUS; each listed answer serves one probe, and only while fresh;
 * - without it, one STATUS per probe, as before;
 * - the server's special-use attributes (RFC 6154) reach the containers whatever the folder's name
 *   (a listing-only LIST leaves imapflow's own specialUse unset).
 */
import { jest } from '@jest/globals';
import pino from 'pino';
import { startFakeImap, type FakeFolder, type FakeImap, type FakeImapOptions } from '../../test/support/fake-imap.js';
import type { ImapEndpoint } from '../imap-common/endpoint.js';
import { ImapSource } from './index.js';

const fakes: FakeImap[] = [];
afterAll(async () => { await Promise.all(fakes.map((f) => f.close())); });

const msg = (uid: number) => ({ uid, body: `Subject: m${uid}\r\nMessage-ID: <ls.${uid}@x>\r\n\r\nbody ${uid}\r\n` });
const FOLDERS: FakeFolder[] = [
  { name: 'INBOX', uidValidity: 7, messages: [msg(1), msg(2), msg(5)] },
  { name: 'Gesendete Objekte', uidValidity: 8, specialUse: '\\Sent', messages: [msg(3)] },
  { name: 'Papierkorb', uidValidity: 9, specialUse: '\\trash' },
  { name: 'Projekte/Ärger', uidValidity: 10, messages: [msg(1), msg(9)] },
  { name: 'Alle', uidValidity: 11, specialUse: '\\All \\Archive' },
];

async function open(listStatus: boolean, more: Partial<FakeImapOptions> = {}) {
  const fake = await startFakeImap({ users: { ann: 'pw-ann-1' }, folders: FOLDERS, listStatus, condstore: true, ...more });
  fakes.push(fake);
  const ep: ImapEndpoint = { host: '127.0.0.1', port: fake.port, tls: 'none', allowInsecure: true, tlsVerify: true, maxConnections: 2, auth: { mode: 'user' }, autoEnable: true };
  const mb = await new ImapSource(ep, pino({ level: 'silent' }), 1).openMailbox({ login: 'ann', password: 'pw-ann-1' });
  const sent = (re: RegExp) => fake.commands.filter((c) => re.test(c.replace(/^\S+ /, '')));
  return { mb, sent };
}

/** What STATUS says of each folder, as the probe turns it into counts and a change token (UIDVALIDITY:UIDNEXT:MESSAGES:HIGHESTMODSEQ). */
const EXPECTED = [
  ['INBOX', 3, '7:6:3:105'], ['Gesendete Objekte', 1, '8:4:1:103'], ['Papierkorb', 0, '9:1:0:100'], ['Projekte/Ärger', 2, '10:10:2:109'], ['Alle', 0, '11:1:0:100'],
] as const;

test('with LIST-STATUS the listing brings the counts: no STATUS for the probes, the same answers as STATUS gives', async () => {
  const { mb, sent } = await open(true);
  try {
    const containers = await mb.containers();
    // (LIST "" "" asks for the delimiter: this server offers no NAMESPACE)
    expect(sent(/^LIST "" "\*"/i)).toHaveLength(1);
    expect(sent(/^LIST "" "\*"/i)[0]).toMatch(/RETURN \(STATUS \(MESSAGES UIDNEXT UIDVALIDITY/i);
    const listed = await Promise.all(containers.map((c) => mb.stats(c)));
    expect(sent(/^STATUS /i)).toHaveLength(0);
    expect(listed.map((s, i) => [containers[i]!.id, s.count, s.token])).toEqual(EXPECTED);
    // Each listed answer serves one probe: the next probe asks the server, and gets the same.
    const asked = await Promise.all(containers.map((c) => mb.stats(c)));
    expect(sent(/^STATUS /i)).toHaveLength(FOLDERS.length);
    expect(asked).toEqual(listed);
  } finally {
    await mb.close();
  }
});

test('a listed answer older than 30 s is not used: the probe asks the server', async () => {
  const { mb, sent } = await open(true);
  const now = Date.now();
  try {
    const containers = await mb.containers();
    const spy = jest.spyOn(Date, 'now').mockReturnValue(now + 31_000);
    try {
      await mb.stats(containers[0]!);
    } finally {
      spy.mockRestore();
    }
    expect(sent(/^STATUS /i)).toHaveLength(1);
    // A new listing brings fresh answers again.
    await mb.containers();
    await mb.stats(containers[0]!);
    expect(sent(/^STATUS /i)).toHaveLength(1);
  } finally {
    await mb.close();
  }
});

test('without LIST-STATUS: a plain LIST and one STATUS per probe', async () => {
  const { mb, sent } = await open(false);
  try {
    const containers = await mb.containers();
    expect(sent(/^LIST /i).some((c) => /RETURN/i.test(c))).toBe(false);
    const stats = await Promise.all(containers.map((c) => mb.stats(c)));
    expect(sent(/^STATUS /i)).toHaveLength(FOLDERS.length);
    expect(stats.map((s, i) => [containers[i]!.id, s.count, s.token])).toEqual(EXPECTED);
  } finally {
    await mb.close();
  }
});

test.each([
  ['a LIST-STATUS answer without UIDNEXT and HIGHESTMODSEQ (a STATUS has them)', 'partial' as const],
  ['a LIST-STATUS refused with NO (the server offered it)', 'no' as const],
])('%s: the probes ask STATUS, and the tokens are the same', async (_, quirk) => {
  const { mb, sent } = await open(true, { listStatusQuirk: quirk });
  try {
    const containers = await mb.containers();
    const stats = await Promise.all(containers.map((c) => mb.stats(c)));
    expect(sent(/^STATUS /i)).toHaveLength(FOLDERS.length);
    expect(stats.map((s, i) => [containers[i]!.id, s.count, s.token])).toEqual(EXPECTED);
    // refused once: not asked again in this session
    await mb.containers();
    expect(sent(/^LIST "" "\*" RETURN/i)).toHaveLength(quirk === 'no' ? 1 : 2);
  } finally {
    await mb.close();
  }
});

test.each([true, false])('special-use attributes reach the containers whatever the names (LIST-STATUS %s)', async (listStatus) => {
  const { mb } = await open(listStatus);
  try {
    const containers = await mb.containers();
    // (\All \Archive): the one with a target folder wins
    expect(Object.fromEntries(containers.map((c) => [c.id, c.specialUse ?? null]))).toEqual({
      INBOX: '\\Inbox', 'Gesendete Objekte': '\\Sent', Papierkorb: '\\Trash', 'Projekte/Ärger': null, Alle: '\\Archive',
    });
  } finally {
    await mb.close();
  }
});
