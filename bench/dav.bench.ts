/**
 * npm run bench:dav — CalDAV/CardDAV upload throughput into Radicale: ums-migrate's DAV target
 * against vdirsyncer and against the server's own ceiling, on the same items in the same run.
 *
 * Generates BENCH_DAV_EVENTS events (default 500) and BENCH_DAV_CONTACTS contacts (default 500)
 * with ical.js, then, each into fresh collections of a fresh Radicale user (test/lab/radicale.sh,
 * plaintext on loopback):
 *  1. ums-migrate: the engine (runJob, default concurrency settings, SQLite state) from an
 *     in-memory source with a calendar and an address book into the DAV target;
 *  2. the same run again with nothing new: must send no PUT (counted);
 *  3. vdirsyncer (Debian, /usr/bin/vdirsyncer) from a local vdir (filesystem storage) to the
 *     caldav/carddav storages (`discover` beforehand, only `sync` is timed);
 *  4. a bare PUT loop (If-None-Match: *, keep-alive, BENCH_DAV_CEILING_CONCURRENCY parallel
 *     requests, default 2, both collections at once): the server's ceiling.
 * The lab machine is shared with other work, so each of 1, 3, 4 runs twice in the order
 * 4 1 3 3 1 4 (a load drifting over the run then weighs on all alike) and each rate is N / the
 * faster of its two wall times (other work only slows runs down). The re-run figure is the slower
 * of the two re-runs.
 * Radicale serialises writes, so the question is whether a tool is the bottleneck. Last line:
 *   bench:dav items=N ours_items_s=X vdirsyncer_items_s=Y ceiling_items_s=C ratio=R of_ceiling=F rerun_s=S
 */
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import ICAL from 'ical.js';
import pino from 'pino';
import PQueue from 'p-queue';
import { DavTarget, type DavEndpoint } from '../connectors/dav/index.js';
import { describeObject } from '../connectors/dav/objects.js';
import { runJob, type JobOptions } from '../src/engine/job.js';
import { SqliteStateStore } from '../src/state/sqlite.js';
import { createDavUser, startRadicale } from '../test/lab/radicale.js';
import { MemorySource } from '../test/support/memory-connectors.js';
import { coerceError } from '../src/util/errors.js';

const EVENTS = Number(process.env.BENCH_DAV_EVENTS ?? 500);
const CONTACTS = Number(process.env.BENCH_DAV_CONTACTS ?? 500);
const CEILING_CONCURRENCY = Number(process.env.BENCH_DAV_CEILING_CONCURRENCY ?? 2);
const N = EVENTS + CONTACTS;
const log = pino({ level: 'warn' });

/** Deterministic pseudo-random numbers (mulberry32). */
function rng(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const WORDS = ['budget', 'review', 'Planung', 'réunion', 'Q3', 'roadmap', 'Kunde', 'sprint', 'Übergabe', 'offsite', 'interview', 'release'];

interface Item { uid: string; text: string }

function makeEvents(n: number): Item[] {
  const r = rng(4791);
  const words = (k: number) => Array.from({ length: k }, () => WORDS[Math.floor(r() * WORDS.length)]).join(' ');
  return Array.from({ length: n }, (_, i) => {
    const uid = `bench-ev-${i}-${Math.floor(r() * 1e9).toString(36)}@example.org`;
    const cal = new ICAL.Component(['vcalendar', [], []]);
    cal.updatePropertyWithValue('prodid', '-//ums-migrate bench//EN');
    cal.updatePropertyWithValue('version', '2.0');
    const ev = new ICAL.Component('vevent');
    ev.updatePropertyWithValue('uid', uid);
    ev.updatePropertyWithValue('summary', words(3));
    ev.updatePropertyWithValue('description', words(10 + Math.floor(r() * 200)));
    ev.updatePropertyWithValue('location', `Room ${Math.floor(r() * 40)}`);
    ev.updatePropertyWithValue('dtstamp', ICAL.Time.fromDateTimeString('2026-01-01T00:00:00Z'));
    const start = ICAL.Time.fromDateTimeString('2026-01-05T08:00:00Z');
    start.addDuration(ICAL.Duration.fromSeconds(Math.floor(r() * 300) * 86400 + Math.floor(r() * 10) * 3600));
    ev.updatePropertyWithValue('dtstart', start);
    ev.updatePropertyWithValue('duration', ICAL.Duration.fromString(`PT${1 + Math.floor(r() * 3)}H`));
    if (r() < 0.2) ev.updatePropertyWithValue('rrule', ICAL.Recur.fromString('FREQ=WEEKLY;COUNT=10'));
    for (let a = Math.floor(r() * 5); a > 0; a--) {
      const p = ev.addPropertyWithValue('attendee', `mailto:person${Math.floor(r() * 1000)}@example.org`);
      p.setParameter('partstat', 'NEEDS-ACTION');
    }
    cal.addSubcomponent(ev);
    return { uid, text: cal.toString() };
  });
}

function makeContacts(n: number): Item[] {
  const r = rng(6352);
  const given = ['Anna', 'Jürgen', 'Zoë', 'Li', 'Олег', 'María', 'Tom', 'Fatima'];
  const family = ['Müller', 'Smith', 'García', 'Nakamura', 'Ivanova', 'Dubois', 'Kowalski', 'Okafor'];
  return Array.from({ length: n }, (_, i) => {
    const uid = `bench-c-${i}-${Math.floor(r() * 1e9).toString(36)}`;
    const g = given[Math.floor(r() * given.length)] as string;
    const f = family[Math.floor(r() * family.length)] as string;
    const c = new ICAL.Component('vcard');
    c.updatePropertyWithValue('version', '3.0');
    c.updatePropertyWithValue('uid', uid);
    c.updatePropertyWithValue('fn', `${g} ${f}`);
    c.updatePropertyWithValue('n', [f, g, '', '', '']);
    c.updatePropertyWithValue('org', `Company ${Math.floor(r() * 100)}`);
    c.addPropertyWithValue('email', `contact${i}@example.org`).setParameter('type', 'work');
    c.addPropertyWithValue('tel', `+49 30 ${Math.floor(r() * 1e7)}`).setParameter('type', 'cell');
    if (r() < 0.5) c.updatePropertyWithValue('note', WORDS.slice(0, 1 + Math.floor(r() * WORDS.length)).join(' '));
    return { uid, text: c.toString() };
  });
}

const seconds = (t0: bigint) => Number(process.hrtime.bigint() - t0) / 1e9;

function run(cmd: string, args: string[], input?: string): Promise<{ seconds: number; code: number | null; out: string }> {
  const t0 = process.hrtime.bigint();
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { stdio: ['pipe', 'pipe', 'pipe'], env: { ...process.env, LC_ALL: 'C.UTF-8', LANG: 'C.UTF-8' } });
    let out = '';
    child.stdout.on('data', (d: Buffer) => { out += d.toString(); });
    child.stderr.on('data', (d: Buffer) => { out += d.toString(); });
    child.stdin.end(input ?? '');
    child.on('close', (code) => resolve({ seconds: seconds(t0), code, out }));
  });
}

/**
 * The server's ceiling: a bare PUT loop (If-None-Match: *, keep-alive) into fresh collections of a
 * fresh user, events and contacts interleaved so both collections are written at once (as the
 * engine does), CEILING_CONCURRENCY requests in flight. Returns the seconds it took.
 */
async function bareLoop(endpoint: DavEndpoint, events: Item[], contacts: Item[]): Promise<number> {
  const bare = await createDavUser('bput');
  const target = new DavTarget(endpoint, log);
  const mb = await target.openMailbox(bare);
  const calUrl = new URL((await mb.ensure('calendar:Calendar')).epoch, endpoint.url);
  const bookUrl = new URL((await mb.ensure('addressbook:Contacts')).epoch, endpoint.url);
  const queue = new PQueue({ concurrency: CEILING_CONCURRENCY });
  const failures: string[] = [];
  const put = (base: URL, text: string, type: string) => queue.add(async () => {
    const obj = describeObject(text);
    const res = await target.http.request({ method: 'PUT', url: new URL(encodeURIComponent(obj.name), base), headers: { 'Content-Type': type, 'If-None-Match': '*' }, body: text }, bare);
    if (res.status !== 201 && res.status !== 204) failures.push(`${obj.name}: ${res.status}`);
  });
  const jobs: Promise<void>[] = [];
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < Math.max(events.length, contacts.length); i++) {
    const e = events[i];
    const c = contacts[i];
    if (e) jobs.push(put(calUrl, e.text, 'text/calendar; charset=utf-8'));
    if (c) jobs.push(put(bookUrl, c.text, 'text/vcard; charset=utf-8'));
  }
  await Promise.all(jobs);
  const s = seconds(t0);
  await target.close();
  if (failures.length > 0) throw new Error(`bare PUT loop: ${failures.length} failed, e.g. ${failures[0]}`);
  return s;
}

const DEFAULT_OPTIONS: JobOptions = {
  // The config defaults (src/config/schema.ts).
  filters: { maxMessageSize: 50 * 1024 * 1024 },
  folders: { include: ['**'], exclude: [], rename: [], specialUse: { sent: 'Sent', trash: 'Trash', junk: 'Spam', drafts: 'Drafts', archive: 'Archive' }, invalidCharReplacement: '_' },
  batchSize: 100, writersPerTask: 1, tasks: 4, mailboxes: 2, byteBudget: 16 * 1024 * 1024,
  retry: { attempts: 5, baseDelayMs: 1000, maxDelayMs: 60000 },
  sync: { flags: true, deletions: 'ignore' },
};

async function countObjects(endpoint: DavEndpoint, user: { login: string; password: string }): Promise<number> {
  const t = new DavTarget(endpoint, log);
  try {
    const mb = await t.openMailbox(user);
    return (await mb.inventory('calendar:Calendar')).length + (await mb.inventory('addressbook:Contacts')).length;
  } finally {
    await t.close();
  }
}

/** ums-migrate: the engine into the DAV target, then the same run with nothing new. */
async function runOurs(endpoint: DavEndpoint, events: Item[], contacts: Item[], dir: string) {
  const src = new MemorySource();
  for (const e of events) src.add(['Calendar'], e.text, { kind: 'event', messageId: e.uid });
  for (const c of contacts) src.add(['Contacts'], c.text, { kind: 'contact', messageId: c.uid });
  const user = await createDavUser('bours');
  const store = new SqliteStateStore(join(dir, `state-${user.login}.sqlite`));
  await store.migrate();
  const job = [{ source: { login: 'bench' }, target: user }];
  const target = new DavTarget(endpoint, log);
  try {
    let t0 = process.hrtime.bigint();
    const cpu0 = process.cpuUsage();
    const r1 = await runJob({ store, sources: src, targets: target, log }, job, DEFAULT_OPTIONS);
    const first = seconds(t0);
    const cpuUsed = process.cpuUsage(cpu0);
    const cpu = (cpuUsed.user + cpuUsed.system) / 1e6;
    const putsFirst = target.http.sent.get('PUT') ?? 0;
    if (r1.copied !== N || r1.failed !== 0) throw new Error(`ums-migrate copied ${r1.copied}/${N}, ${r1.failed} failed`);
    t0 = process.hrtime.bigint();
    const r2 = await runJob({ store, sources: src, targets: target, log }, job, DEFAULT_OPTIONS);
    const rerun = seconds(t0);
    const rerunPuts = (target.http.sent.get('PUT') ?? 0) - putsFirst;
    if (r2.copied !== 0 || rerunPuts !== 0) throw new Error(`the re-run wrote ${r2.copied} items with ${rerunPuts} PUTs`);
    const requests = [...target.http.sent].filter(([k]) => !k.includes(' ')).map(([k, v]) => `${k} ${v}`).join(', ');
    const count = await countObjects(endpoint, user);
    if (count !== N) throw new Error(`ums-migrate: ${count}/${N} objects on the server`);
    return { seconds: first, cpu, rerun, rerunPuts, unchanged: r2.unchangedContainers, requests };
  } finally {
    await target.close();
    await store.close();
  }
}

/** vdirsyncer from a local vdir into fresh collections (`discover` beforehand; `sync` is timed). */
async function runVdirsyncer(endpoint: DavEndpoint, events: Item[], contacts: Item[], dir: string): Promise<{ seconds: number; cpu: number }> {
  const user = await createDavUser('bvds');
  const setup = new DavTarget(endpoint, log);
  const mb = await setup.openMailbox(user);
  const calPath = (await mb.ensure('calendar:Calendar')).epoch;
  const bookPath = (await mb.ensure('addressbook:Contacts')).epoch;
  await setup.close();
  const base = join(dir, user.login);
  const vdir = join(base, 'vdir');
  mkdirSync(join(vdir, 'cal'), { recursive: true });
  mkdirSync(join(vdir, 'book'), { recursive: true });
  for (const e of events) writeFileSync(join(vdir, 'cal', describeObject(e.text).name), e.text);
  for (const c of contacts) writeFileSync(join(vdir, 'book', describeObject(c.text).name), c.text);
  const pwFile = join(base, 'password');
  writeFileSync(pwFile, user.password, { mode: 0o600 });
  const storage = (name: string, type: string, url: string) => [
    `[storage ${name}]`, `type = "${type}"`, `url = "${new URL(url, endpoint.url).href}"`, `username = "${user.login}"`, `password.fetch = ["command", "cat", "${pwFile}"]`, '',
  ];
  const config = [
    '[general]', `status_path = "${join(base, 'status')}/"`, '',
    '[pair cal]', 'a = "cal_local"', 'b = "cal_remote"', 'collections = null', 'conflict_resolution = "a wins"', '',
    '[storage cal_local]', 'type = "filesystem"', `path = "${join(vdir, 'cal')}/"`, 'fileext = ".ics"', '',
    ...storage('cal_remote', 'caldav', calPath),
    '[pair book]', 'a = "book_local"', 'b = "book_remote"', 'collections = null', 'conflict_resolution = "a wins"', '',
    '[storage book_local]', 'type = "filesystem"', `path = "${join(vdir, 'book')}/"`, 'fileext = ".vcf"', '',
    ...storage('book_remote', 'carddav', bookPath),
  ].join('\n');
  writeFileSync(join(base, 'vdirsyncer.conf'), config, { mode: 0o600 });
  const args = ['-c', join(base, 'vdirsyncer.conf')];
  const disc = await run('/usr/bin/vdirsyncer', [...args, 'discover'], 'y\ny\n');
  if (disc.code !== 0) throw new Error(`vdirsyncer discover failed: ${disc.out.slice(-2000)}`);
  // /usr/bin/time (GNU) reports the CPU seconds vdirsyncer used.
  const cpuFile = join(base, 'cpu');
  const sync = await run('/usr/bin/time', ['-f', '%U %S', '-o', cpuFile, '/usr/bin/vdirsyncer', ...args, 'sync']);
  if (sync.code !== 0) throw new Error(`vdirsyncer sync failed: ${sync.out.slice(-2000)}`);
  const cpu = readFileSync(cpuFile, 'utf8').trim().split(/\s+/).reduce((n, x) => n + Number(x), 0);
  const count = await countObjects(endpoint, user);
  if (count !== N) throw new Error(`vdirsyncer: ${count}/${N} objects on the server`);
  return { seconds: sync.seconds, cpu };
}

async function main(): Promise<void> {
  const lab = await startRadicale();
  const events = makeEvents(EVENTS);
  const contacts = makeContacts(CONTACTS);
  const bytes = [...events, ...contacts].reduce((n, x) => n + Buffer.byteLength(x.text), 0);
  process.stdout.write(`${EVENTS} events + ${CONTACTS} contacts (${(bytes / 1024).toFixed(0)} KiB) into Radicale ${lab.url}; order ceiling, ours, vdirsyncer, vdirsyncer, ours, ceiling\n`);
  const endpoint: DavEndpoint = { url: lab.url, allowInsecure: true, tlsVerify: true, maxConnections: 4 };
  const dir = mkdtempSync(join(tmpdir(), 'bench-dav-'));
  // The lab machine is shared: each upload runs twice in the order A B C C B A (a load drifting
  // over the run weighs on all alike), and each counts with its faster run (other work only ever
  // slows a run down).
  const ceil1 = await bareLoop(endpoint, events, contacts);
  const ours1 = await runOurs(endpoint, events, contacts, dir);
  const vd1 = await runVdirsyncer(endpoint, events, contacts, dir);
  const vd2 = await runVdirsyncer(endpoint, events, contacts, dir);
  const ours2 = await runOurs(endpoint, events, contacts, dir);
  const ceil2 = await bareLoop(endpoint, events, contacts);
  rmSync(dir, { recursive: true, force: true });

  const oursRate = N / Math.min(ours1.seconds, ours2.seconds);
  const vdRate = N / Math.min(vd1.seconds, vd2.seconds);
  const ceilRate = N / Math.min(ceil1, ceil2);
  const rows = [
    ['upload', 'wall s (1st/2nd)', 'items/s (best)', 'client CPU s'],
    ['ums-migrate', `${ours1.seconds.toFixed(1)}/${ours2.seconds.toFixed(1)}`, oursRate.toFixed(1), `${ours1.cpu.toFixed(1)}/${ours2.cpu.toFixed(1)}`],
    ['vdirsyncer', `${vd1.seconds.toFixed(1)}/${vd2.seconds.toFixed(1)}`, vdRate.toFixed(1), `${vd1.cpu.toFixed(1)}/${vd2.cpu.toFixed(1)}`],
    [`PUT loop x${CEILING_CONCURRENCY}`, `${ceil1.toFixed(1)}/${ceil2.toFixed(1)}`, ceilRate.toFixed(1), ''],
  ];
  for (const r of rows) process.stdout.write(`${r.map((c, i) => (i === 0 ? c.padEnd(14) : c.padStart(18))).join('')}\n`);
  const rerun = Math.max(ours1.rerun, ours2.rerun);
  process.stdout.write(`ums-migrate requests per run: ${ours1.requests}; re-runs: ${ours1.rerunPuts + ours2.rerunPuts} PUT, `
    + `${ours1.unchanged}+${ours2.unchanged} unchanged collections, ${ours1.rerun.toFixed(2)}/${ours2.rerun.toFixed(2)} s\n`);
  process.stdout.write(`bench:dav items=${N} ours_items_s=${oursRate.toFixed(1)} vdirsyncer_items_s=${vdRate.toFixed(1)} ceiling_items_s=${ceilRate.toFixed(1)} `
    + `ratio=${(oursRate / vdRate).toFixed(2)} of_ceiling=${(oursRate / ceilRate).toFixed(2)} rerun_s=${rerun.toFixed(2)}\n`);
}

main().catch((err: unknown) => {
  process.stderr.write(`bench:dav failed: ${coerceError(err).stack ?? String(err)}\n`);
  process.exit(1);
});
