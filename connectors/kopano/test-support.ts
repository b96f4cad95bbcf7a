/**
 * Test helpers for the Kopano reader: the fixture location and Berkeley DB hash files made by
 * Debian's `db5.3_load` (db5.3-util, installed by test/lab/install.sh), a real libdb writer.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fixturesDir, oracleSkipped } from '../pst/readpst-oracle.js';

export const DB_LOAD = ['/usr/bin/db5.3_load', '/usr/bin/db_load'].find((p) => existsSync(p));

/** The synthetic kopano-backup fixture, or undefined when the shared fixtures are absent. */
export function kopanoFixture(): string | undefined {
  const dir = join(fixturesDir(), 'kopano', 'synthetic-kopano-backup');
  return existsSync(join(dir, 'expected.json')) ? dir : undefined;
}

export function fixtureMissing(): string {
  return `kopano fixtures not found under ${fixturesDir()} (set UMS_FIXTURES_DIR=/work/shared/fixtures)`;
}

/**
 * A suite whose prerequisite (fixtures, a tool) is missing fails with the reason, as the PST
 * oracle tests do; only UMS_SKIP_ORACLE=1 turns that into a skip (machines without the data).
 */
export function prerequisiteMissing(reason: string): void {
  if (oracleSkipped()) it.skip(reason, () => undefined);
  else it('has its prerequisites', () => { throw new Error(`${reason}, or set UMS_SKIP_ORACLE=1 to skip these tests`); });
}

export interface DbLoadOptions {
  /** 1234 little-endian, 4321 big-endian. */
  lorder?: 1234 | 4321;
  pageSize?: number;
}

/** Writes a hash database with libdb's own loader (db_dump "bytevalue" format on stdin). */
export function writeHashDb(file: string, pairs: [Buffer | string, Buffer | string][], opts: DbLoadOptions = {}): void {
  if (!DB_LOAD) throw new Error('db5.3_load not installed (apt-get install db5.3-util)');
  const hex = (v: Buffer | string): string => ` ${Buffer.from(v).toString('hex')}\n`;
  const dump = `VERSION=3\nformat=bytevalue\ntype=hash\nHEADER=END\n${pairs.map(([k, v]) => hex(k) + hex(v)).join('')}DATA=END\n`;
  const dumpFile = `${file}.dump`;
  writeFileSync(dumpFile, dump);
  const args = ['-f', dumpFile];
  if (opts.lorder) args.push('-c', `db_lorder=${opts.lorder}`);
  if (opts.pageSize) args.push('-c', `db_pagesize=${opts.pageSize}`);
  execFileSync(DB_LOAD, [...args, file]);
}

export const PYTHON = '/usr/bin/python3';

/** One mail of a generated backup. `corrupt`: the stored value is not a valid zlib/pickle. */
export interface GenMail {
  sourcekey: string;
  subject: string;
  body: string;
  from: string;
  deleted?: boolean;
  corrupt?: boolean;
  /** backup_updated of the index entry (naive ISO). */
  updated?: string;
  /** MAPI times (naive ISO, UTC); null leaves one out. Default: submit 2024-04-01T10:00:00, delivery 10:00:05, no creation or modification time. */
  times?: { submit?: string | null; delivery?: string | null; creation?: string; modified?: string };
  /** PR_TRANSPORT_MESSAGE_HEADERS. */
  headers?: string;
}

export interface GenFolder {
  sourcekey: string;
  path: string;
  containerClass: string;
  mails: GenMail[];
  deleted?: boolean;
  /** Write it in the legacy nested layout below this parent folder's directory. */
  nestedUnder?: string;
}

const GEN_SCRIPT = String.raw`
import datetime, json, pickle, sys, types, zlib
spec = json.load(sys.stdin)
mapi = types.ModuleType('MAPI'); t = types.ModuleType('MAPI.Time')
class FileTime(object):
    def __init__(self, ft): self.filetime = ft
FileTime.__module__ = 'MAPI.Time'; t.FileTime = FileTime; mapi.Time = t
sys.modules.update({'MAPI': mapi, 'MAPI.Time': t})
def ft(iso):
    d = datetime.datetime.fromisoformat(iso)
    return FileTime(int((d - datetime.datetime(1601, 1, 1)).total_seconds()) * 10000000)
def esc(b): return b.hex()
out = {}
out['user'] = pickle.dumps({0x3001001F: spec['user'], 0x39FE001F: spec['user'] + '@example.com', 0x800F101F: ['SMTP:' + spec['user'] + '@example.com', 'smtp:' + spec['user'] + '.alias@example.com', 'X500:/o=x']}, protocol=2).hex()
out['store'] = pickle.dumps({0x3001001F: 'Inbox - ' + spec['user']}, protocol=2).hex()
out['timestamp'] = pickle.dumps(datetime.datetime(2024, 5, 1, 12, 0, 0), protocol=2).hex()
folders = []
for f in spec['folders']:
    items = []; index = []
    for m in f['mails']:
        sk = m['sourcekey']
        when = m.get('updated', '2024-05-01T12:00:00')
        props = [[0x001A001F, 'IPM.Note', None], [0x0037001F, m['subject'], None], [0x1000001F, m['body'], None],
                 [0x0C1A001F, m['from'], None], [0x0C1E001F, 'SMTP', None], [0x0C1F001F, m['from'], None],
                 [0x0042001F, m['from'], None], [0x0064001F, 'SMTP', None], [0x0065001F, m['from'], None],
                 [0x1035001F, '<' + sk.lower() + '@gen.example>', None], [0x0E070003, 1, None]]
        times = {'submit': '2024-04-01T10:00:00', 'delivery': '2024-04-01T10:00:05'}
        times.update(m.get('times') or {})
        for tag, key in ((0x00390040, 'submit'), (0x0E060040, 'delivery'), (0x30070040, 'creation'), (0x30080040, 'modified')):
            if times.get(key): props.append([tag, ft(times[key]), None])
        if m.get('headers'): props.append([0x007D001F, m['headers'], None])
        rec = [[[0x0C150003, 1, None], [0x3001001F, 'Gen User', None], [0x3002001F, 'SMTP', None], [0x3003001F, 'gen@example.com', None]]]
        value = b'\x78\x9c not zlib' if m.get('corrupt') else zlib.compress(pickle.dumps({b'props': props, b'recipients': rec, b'attachments': []}, protocol=2))
        items.append([esc(sk.encode()), esc(value)])
        entry = {b'backup_deleted': datetime.datetime.fromisoformat(when)} if m.get('deleted') else {
            b'subject': m['subject'], b'orig_sourcekey': None, b'last_modified': datetime.datetime(2024, 4, 1, 10, 0),
            b'backup_updated': datetime.datetime.fromisoformat(when), b'read': True}
        index.append([esc(sk.encode()), esc(pickle.dumps(entry, protocol=2))])
    if f.get('deleted'):
        index.append([esc(b'folder'), esc(pickle.dumps({b'backup_deleted': datetime.datetime(2024, 4, 30)}, protocol=2))])
    folders.append({'sourcekey': f['sourcekey'], 'nestedUnder': f.get('nestedUnder'), 'path': f['path'],
                    'folder': pickle.dumps({0x3001001F: f['path'].split('/')[-1], 0x3613001F: f['containerClass']}, protocol=2).hex(),
                    'items': items, 'index': index})
out['folders'] = folders
print(json.dumps(out))
`;

/**
 * Writes a kopano-backup user directory the way kopano-backup lays it out: pickles made by
 * CPython (protocol 2, as kopano-backup under Python 3), hash files made by libdb's db5.3_load.
 */
export function writeKopanoBackup(userDir: string, user: string, folders: GenFolder[]): void {
  const out = JSON.parse(execFileSync(PYTHON, ['-c', GEN_SCRIPT], { input: JSON.stringify({ user, folders }), encoding: 'utf8', maxBuffer: 1 << 30 })) as {
    user: string; store: string; timestamp: string;
    folders: { sourcekey: string; nestedUnder?: string; path: string; folder: string; items: [string, string][]; index: [string, string][] }[];
  };
  mkdirSync(join(userDir, 'folders'), { recursive: true });
  for (const name of ['user', 'store', 'timestamp'] as const) writeFileSync(join(userDir, name), Buffer.from(out[name], 'hex'));
  for (const f of out.folders) {
    const dir = f.nestedUnder ? join(userDir, 'folders', f.nestedUnder, 'folders', f.sourcekey) : join(userDir, 'folders', f.sourcekey);
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'path'), f.path);
    writeFileSync(join(dir, 'folder'), Buffer.from(f.folder, 'hex'));
    const pairs = (list: [string, string][]): [Buffer, Buffer][] => list.map(([k, v]) => [Buffer.from(k, 'hex'), Buffer.from(v, 'hex')]);
    writeHashDb(join(dir, 'items'), pairs(f.items));
    writeHashDb(join(dir, 'index'), pairs(f.index));
    rmSync(join(dir, 'items.dump'), { force: true });
    rmSync(join(dir, 'index.dump'), { force: true });
  }
}

const MIN_1601_TO_1970 = 11644473600 / 60;
/** Minutes from 1601-01-01 to midnight of an ISO day (the unit of MAPI recurrence blobs). */
export const minutesOf = (isoDay: string): number => Date.parse(`${isoDay}T00:00:00Z`) / 60000 + MIN_1601_TO_1970;

/** A weekly PidLidAppointmentRecur blob as Outlook writes it ([MS-OXOCAL] 2.2.1.44), no exception details. */
export function weeklyRecurBlob(o: { start: string; days: number; count: number; deleted: string[]; startOffset: number; endOffset: number }): Buffer {
  const w: number[] = [];
  const u16 = (v: number) => { w.push(v & 0xff, (v >>> 8) & 0xff); };
  const u32 = (v: number) => { u16(v & 0xffff); u16((v >>> 16) & 0xffff); };
  u16(0x3004); u16(0x3004); u16(0x200b); u16(1); u16(0);
  u32(0); u32(1); u32(0); u32(o.days);
  u32(0x2022); u32(o.count); u32(1);
  u32(o.deleted.length); for (const d of o.deleted) u32(minutesOf(d));
  u32(0);
  u32(minutesOf(o.start)); u32(0x5ae980df);
  u32(0x3006); u32(0x3009); u32(o.startOffset); u32(o.endOffset);
  u16(0); u32(0); u32(0);
  return Buffer.from(w);
}

