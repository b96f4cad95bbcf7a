/**
 * Hostile files: a kopano-backup whose folder names and item properties attack the terminal and
 * the MIME the tool builds (a Subject or sender smuggling a Bcc header), with corrupt items; PST
 * files that are not PSTs, cut short or garbage behind a valid signature; .msg folders named with
 * escapes, `..`-lookalikes and wildcards holding files that are not OLE files. Each through the
 * engine into the in-memory IMAP-like target (Courier's namespace), one run per source: every item
 * copied (with a safe MIME header and a safe folder name) or failed with a reason naming it, and
 * every container accounted for.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { simpleParser } from 'mailparser';
import pino from 'pino';
import { writeKopanoBackup, type GenFolder } from '../../connectors/kopano/test-support.js';
import { KopanoBackupSource } from '../../connectors/kopano/index.js';
import { MsgSource } from '../../connectors/msg/index.js';
import { PstSource } from '../../connectors/pst/index.js';
import { runJob, type JobReport } from '../../src/engine/job.js';
import type { SourceConnector } from '../../src/model/types.js';
import type { FailedItemRow } from '../../src/state/store.js';
import { testJobOptions, useTempStateStore } from '../support/engine-setup.js';
import { MemoryTarget } from '../support/memory-connectors.js';
import { NAME_ATTACKS, Rng, TERMINAL_ATTACKS, unsafeSpots } from './payloads.js';

const log = pino({ level: 'silent' });
const state = useTempStateStore('hostile-files');
const t = TERMINAL_ATTACKS;
let dir = '';
beforeEach(() => { dir = mkdtempSync(join(tmpdir(), 'hostile-files-')); });
afterEach(() => rmSync(dir, { recursive: true, force: true }));

interface Outcome { report: JobReport; problems: FailedItemRow[]; target: MemoryTarget }

async function migrate(source: SourceConnector, login = 'alice'): Promise<Outcome> {
  const target = new MemoryTarget();
  const report = await runJob({ store: state.store, sources: source, targets: target, log }, [{ source: { login }, target: { login } }], testJobOptions({ retry: { attempts: 2, baseDelayMs: 1, maxDelayMs: 2 } }));
  return { report, problems: await state.store.problems(), target };
}

/** Every target folder name is safe: no control or bidi character, no `..`/`.` segment, no segment starting with `~`, no wildcard. */
function expectSafeFolders(target: MemoryTarget): void {
  for (const name of target.folders.keys()) {
    const segments = name.split('.');
    expect({ name, unsafe: unsafeSpots(name), traversal: segments.some((s) => s === '' || s.startsWith('~')), wildcard: /[%*]/.test(name) })
      .toEqual({ name, unsafe: [], traversal: false, wildcard: false });
  }
}

const FOLDER_NAMES: Record<string, string> = {
  titleChange: `Projekte${t.titleChange}`,
  rtlOverride: t.rtlOverride,
  dotdot: NAME_ATTACKS.dotdot,
  tildeRoot: NAME_ATTACKS.tildeRoot,
  percent: NAME_ATTACKS.percent,
  star: NAME_ATTACKS.star,
  carriageReturn: t.carriageReturn,
  c1: t.c1Csi,
};

describe('kopano-backup with hostile folder names and item properties', () => {
  const injections = [
    { subject: 'Hi\r\nBcc: all@example.org', from: 'a@example.org' },
    { subject: `Subject ${t.titleChange}${t.clearScreen}`, from: 'b@example.org' },
    { subject: 'plain', from: 'Eve\r\nX-Injected: yes <eve@example.org>' },
    { subject: `nul${t.nul}and bidi ${t.rtlOverride}`, from: 'c@example.org' },
    { subject: '=?UTF-8?B?SGkNCkJjYzogYWxsQGV4YW1wbGUub3Jn?=', from: 'd@example.org' },
    { subject: 'x'.repeat(5000), from: 'e@example.org' },
  ];
  test('every folder lands under a safe name; every item is copied without an injected header, or fails alone', async () => {
    const folders: GenFolder[] = [
      { sourcekey: 'AA01', path: 'Inbox', containerClass: 'IPF.Note', mails: injections.map((m, i) => ({ sourcekey: `A1${i}`, subject: m.subject, body: `body ${i}\0${t.bell}`, from: m.from })) },
      { sourcekey: 'AA02', path: 'Inbox/corrupt', containerClass: 'IPF.Note', mails: [{ sourcekey: 'C1', subject: 'broken', body: 'x', from: 'x@example.org', corrupt: true }, { sourcekey: 'C2', subject: 'fine', body: 'ok', from: 'x@example.org' }] },
      ...Object.values(FOLDER_NAMES).map((name, i) => ({ sourcekey: `BB0${i}`, path: name, containerClass: 'IPF.Note', mails: [{ sourcekey: `B${i}`, subject: `in ${i}`, body: 'b', from: 'f@example.org' }] })),
    ];
    writeKopanoBackup(join(dir, 'alice'), 'alice', folders);
    const { report, problems, target } = await migrate(new KopanoBackupSource(dir, log));
    const total = folders.reduce((n, f) => n + f.mails.length, 0);
    expect(report.failedMailboxes).toBe(0);
    expect(report.copied + report.failed + report.skipped).toBe(total);
    expect(report.failed).toBe(1);
    expect(problems.filter((p) => p.status === 'failed').map((p) => [p.itemId, p.reason.length > 10])).toEqual([['C1', true]]);
    expectSafeFolders(target);
    const messages = [...target.folders.values()].flatMap((f) => f.messages);
    expect(messages).toHaveLength(report.copied);
    for (const m of messages) {
      const parsed = await simpleParser(m.content);
      const names = [...parsed.headers.keys()];
      expect({ subject: parsed.subject, bcc: names.includes('bcc'), injected: names.includes('x-injected') }).toEqual({ subject: parsed.subject, bcc: false, injected: false });
      const head = m.content.subarray(0, m.content.indexOf('\r\n\r\n')).toString('latin1');
      // eslint-disable-next-line no-control-regex
      const raw = head.match(/[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]/g) ?? [];
      expect({ subject: parsed.subject, raw }).toEqual({ subject: parsed.subject, raw: [] });
    }
  }, 60_000);
});

describe('PST files that are not what they claim', () => {
  test('each bad file fails alone with its name and the reason; a run over them all finishes', async () => {
    const rng = new Rng(4242);
    const user = join(dir, 'pst', 'alice');
    mkdirSync(user, { recursive: true });
    const files: Record<string, Buffer> = {
      'empty.pst': Buffer.alloc(0),
      'text.pst': Buffer.from('From: a@b\r\n\r\nnot a pst\r\n'),
      'signature-then-garbage.pst': Buffer.concat([Buffer.from('!BDN'), rng.bytes(4096)]),
      'header-only.pst': Buffer.concat([Buffer.from('!BDN'), Buffer.alloc(508)]),
      'random.pst': rng.bytes(64 * 1024),
      [`escape${t.titleChange}.pst`]: Buffer.from('!BDN'),
    };
    for (const [name, data] of Object.entries(files)) writeFileSync(join(user, name), data);
    const { report, problems } = await migrate(new PstSource({ directory: join(dir, 'pst'), files: '{login}/*.pst' }, log));
    const failures = [
      ...report.mailboxes.flatMap((m) => [m.error ?? '', ...m.warnings, ...m.containers.filter((c) => !c.ok).map((c) => c.error ?? '')]),
      ...problems.map((p) => `${p.path} ${p.reason}`),
    ].filter((s) => s !== '');
    for (const name of Object.keys(files)) {
      expect({ name, named: failures.some((f) => f.includes([...name].filter((ch) => ch >= ' ').join('')) || f.includes(JSON.stringify(name).slice(1, -1))) }).toEqual({ name, named: true });
    }
    expect(report.copied).toBe(0);
  }, 60_000);
});

describe('.msg folders with hostile names and files that are not .msg', () => {
  test('each directory lands under a safe name, each bad file fails alone by name', async () => {
    const root = join(dir, 'msg', 'alice');
    const rng = new Rng(77);
    const names = Object.entries(FOLDER_NAMES).filter(([k]) => k !== 'dotdot');
    for (const [key, name] of names) {
      mkdirSync(join(root, name), { recursive: true });
      writeFileSync(join(root, name, `${key}.msg`), key === 'percent' ? Buffer.concat([Buffer.from('d0cf11e0a1b11ae1', 'hex'), rng.bytes(1024)]) : Buffer.from(`not OLE ${key}`));
    }
    writeFileSync(join(root, 'empty.msg'), Buffer.alloc(0));
    writeFileSync(join(root, `${t.clearScreen}.msg`), rng.bytes(512));
    const { report, problems, target } = await migrate(new MsgSource({ directory: join(dir, 'msg'), folders: '{login}' }, log));
    expect(report.failedMailboxes).toBe(0);
    expect(report.copied).toBe(0);
    expect(report.failed).toBe(names.length + 2);
    expect(problems).toHaveLength(names.length + 2);
    for (const p of problems) expect(p.reason).toMatch(/\S{10}/);
    expectSafeFolders(target);
    expect([...new Set(problems.map((p) => p.path))].sort()).toEqual(['INBOX', ...names.map(([, n]) => n)].sort());
  }, 60_000);
});
