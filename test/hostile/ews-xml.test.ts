/**
 * A hostile Exchange (the EWS simulator, in-process): folder names with escapes, bidi, `..`, `~`
 * and wildcards; messages whose MimeContent is hostile MIME, missing or refused; calendar items,
 * contacts and tasks whose properties carry raw control characters, XML character references
 * (`&#x1B;`, as Exchange writes them), an undefined XML entity (the server's whole answer then is
 * not well-formed), impossible dates and recurrences. One run into the in-memory target: every
 * item copied (groupware objects that the normalisation stage accepts, leaving no control
 * character in what a DAV PUT would write) or failed alone with a reason, every folder under a safe name, counts adding up.
 */
import { setupServer } from 'msw/node';
import pino from 'pino';
import { addCalendarItem, addContact, addMessage, addTask } from '../../connectors/ews/sim/items.js';
import { seedMailbox } from '../../connectors/ews/sim/seed.js';
import { EwsSim } from '../../connectors/ews/sim/server.js';
import { EwsSource } from '../../connectors/ews/source.js';
import { normalizeGroupware } from '../../mappings/groupware/normalize.js';
import { runJob } from '../../src/engine/job.js';
import { testJobOptions, useTempStateStore } from '../support/engine-setup.js';
import { MemoryTarget } from '../support/memory-connectors.js';
import { hostileMessages } from './mime-corpus.js';
import { NAME_ATTACKS, TERMINAL_ATTACKS, unsafeSpots } from './payloads.js';

const log = pino({ level: 'silent' });
const ALICE = 'alice@example.org';
const t = TERMINAL_ATTACKS;
const server = setupServer();
const state = useTempStateStore('hostile-ews');
beforeAll(() => server.listen({ onUnhandledRequest: 'bypass' }));
afterAll(() => server.close());

const FOLDER_NAMES = [`Projekte${t.titleChange}`, t.rtlOverride, NAME_ATTACKS.dotdot, NAME_ATTACKS.tildeRoot, NAME_ATTACKS.percent, NAME_ATTACKS.star, t.carriageReturn, t.c1Csi, 'a/b', 'x'.repeat(300)];

test('a hostile Exchange mailbox: every item copied clean or failed alone, every folder under a safe name', async () => {
  const sim = new EwsSim({ busyRate: 0 });
  sim.addUser('svc-migrate', 'S3cret-ews-Hostile!', { canImpersonate: true });
  server.resetHandlers(...sim.handlers());
  const seeded = seedMailbox(sim, ALICE, { locale: 'en', messages: 4, malformed: true });
  const s = sim.store;
  const inbox = seeded.folders.inbox;
  let items = 4 + 3 + 3 + 2 + 4; // the seeded mailbox: messages, events, contacts and a list, tasks, 4 malformed items
  for (const [i, name] of FOLDER_NAMES.entries()) {
    const f = s.addFolder(ALICE, name, { parentId: inbox });
    addMessage(s, ALICE, f.id, { mime: `From: a@example.org\r\nSubject: in ${i}\r\nMessage-ID: <f${i}@x>\r\n\r\nhello\r\n`, subject: `in ${i}` });
    items++;
  }
  const mimes = hostileMessages({ fuzz: 4 }).filter((m) => m.raw.length < 300_000);
  for (const m of mimes) addMessage(s, ALICE, inbox, { mime: m.raw, subject: m.name });
  addMessage(s, ALICE, inbox, { mime: Buffer.alloc(0), subject: 'empty MIME' });
  items += mimes.length + 1;
  const cal = seeded.folders.calendar;
  const raw = (name: string, xml: string) => ({ [name]: xml });
  const hostileEvents: [string, Record<string, string>][] = [
    ['Subject with XML character references to ESC and BEL', raw('Subject', '<t:Subject>x&#x1B;]0;pwned&#x7;y</t:Subject>')],
    ['Location with raw ESC and a bidi override', raw('Location', `<t:Location>${t.clearScreen}${t.rtlOverride}</t:Location>`)],
    ['Body with NUL character references', raw('Body', '<t:Body BodyType="Text">a&#0;b&#x0;c</t:Body>')],
    ['an undefined XML entity in Location (the answer is not well-formed)', raw('Location', '<t:Location>&undefinedEntity;</t:Location>')],
    ['a Start in the year 99999', raw('Start', '<t:Start>99999-01-01T00:00:00Z</t:Start>')],
    ['a recurrence of 10^9 occurrences', raw('Recurrence', '<t:Recurrence><t:DailyRecurrence><t:Interval>1</t:Interval></t:DailyRecurrence><t:NumberedRecurrence><t:StartDate>2024-01-01</t:StartDate><t:NumberOfOccurrences>1000000000</t:NumberOfOccurrences></t:NumberedRecurrence></t:Recurrence>')],
    ['a recurrence with an interval of 0', raw('Recurrence', '<t:Recurrence><t:DailyRecurrence><t:Interval>0</t:Interval></t:DailyRecurrence><t:NoEndRecurrence><t:StartDate>2024-01-01</t:StartDate></t:NoEndRecurrence></t:Recurrence>')],
    ['a UID with ../ and escapes', raw('UID', `<t:UID>../../x${t.titleChange}</t:UID>`)],
  ];
  for (const [i, [name, fields]] of hostileEvents.entries()) {
    const ev = addCalendarItem(s, ALICE, cal, { uid: `hostile-${i}@x`, subject: name, start: '2024-05-02T07:00:00Z', end: '2024-05-02T08:00:00Z', timeZone: 'W. Europe Standard Time' });
    s.updateItem(ALICE, ev.id, fields);
  }
  addContact(s, ALICE, seeded.folders.contacts, { displayName: `Eve${t.titleChange}`, givenName: `G${t.bell}`, surname: t.rtlOverride, emails: [`eve${t.del}@example.org`], notes: `n${t.nul}o${t.c1Csi}` });
  addTask(s, ALICE, seeded.folders.tasks, { subject: `Task ${t.clearScreen}`, status: 'NotStarted' });
  items += hostileEvents.length + 2;

  const src = new EwsSource({
    url: sim.url, auth: { mode: 'basic', username: 'svc-migrate', password: 'S3cret-ews-Hostile!' }, impersonation: true, tlsVerify: true, version: 'Exchange2013_SP1',
    maxConcurrent: 4, retry: { attempts: 3, baseDelayMs: 1, maxDelayMs: 5 }, maxBackoffMs: 20, timeoutMs: 10_000,
  }, log, 3);
  const target = new MemoryTarget();
  try {
    const r = await runJob({ store: state.store, sources: src, targets: target, log }, [{ source: { login: ALICE }, target: { login: 'alice' } }], testJobOptions({ retry: { attempts: 3, baseDelayMs: 1, maxDelayMs: 5 } }));
    const problems = (await state.store.problems()).filter((p) => p.status !== 'done');
    expect(r.failedMailboxes).toBe(0);
    expect({ failedContainers: r.mailboxes[0]?.containers.filter((c) => !c.ok).map((c) => `${c.source}: ${c.error}`) }).toEqual({ failedContainers: [] });
    expect(r.copied + r.failed + r.skipped).toBe(items);
    expect(problems).toHaveLength(r.failed + r.skipped);
    for (const p of problems) expect({ item: p.itemId, reason: p.reason }).toEqual({ item: p.itemId, reason: expect.stringMatching(/\S{5}/) });
    // Exactly the bad items fail: the 4 malformed ones of the seed, the empty MIME, the undefined entity (alone: not its whole batch), the year 99999.
    expect(r.failed).toBe(7);
    expect(problems.filter((p) => /malformed XML/.test(p.reason))).toHaveLength(1);

    // Folder names: safe on the IMAP side (no control/bidi, no ../~ segments, no wildcard), collections without control characters.
    for (const name of target.folders.keys()) {
      const collection = /^(calendar|tasks|addressbook):/.test(name);
      const segments = collection ? [] : name.split('.');
      expect({ name, unsafe: unsafeSpots(name), traversal: segments.some((x) => x === '' || x.startsWith('~')), wildcard: !collection && /[%*]/.test(name) })
        .toEqual({ name, unsafe: [], traversal: false, wildcard: false });
    }
    expect(FOLDER_NAMES.every((_, i) => [...target.folders.values()].some((f) => f.messages.some((m) => m.content.includes(`Subject: in ${i}\r\n`))))).toBe(true);

    // Groupware objects as converted: the normalisation stage takes each, and leaves no control character in what is written.
    const bad: string[] = [];
    for (const [ref, f] of target.folders) {
      if (!/^(calendar|tasks|addressbook):/.test(ref)) continue;
      for (const m of f.messages) {
        const n = normalizeGroupware(m.content, { source: `${ref}/${m.uid}` });
        for (const x of n.failures) bad.push(`${ref}/${m.uid}: ${x.what}: ${x.reason}`);
        // What the DAV target would PUT (every object passes the normalisation stage first).
        const text = n.objects.map((o) => o.text).join('').replace(/\r\n/g, '');
        // eslint-disable-next-line no-control-regex
        for (const c of text.matchAll(/[\x00-\x08\x0a-\x1f\x7f]/g)) bad.push(`${ref}/${m.uid}: control character in ${JSON.stringify(text.slice(Math.max(0, (c.index ?? 0) - 40), (c.index ?? 0) + 5))}`);
      }
    }
    expect(bad).toEqual([]);
  } finally {
    await src.close();
  }
}, 60_000);
