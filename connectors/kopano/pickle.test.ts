import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { deflateSync } from 'node:zlib';
import { readHashFile } from './bdb-hash.js';
import { PickleError, PyClass, PyDateTime, PyObject, type PyValue, decodeStored, unpickle } from './pickle.js';
import { fixtureMissing, kopanoFixture, prerequisiteMissing } from './test-support.js';

const PYTHON = '/usr/bin/python3';

/** The same canonical JSON form on both sides: what Python pickled vs what we decoded (bytes dict keys read as latin1 text by design). */
function canon(v: PyValue): unknown {
  if (v === null || typeof v === 'boolean' || typeof v === 'string') return v;
  if (typeof v === 'number') return Number.isInteger(v) ? { int: String(v) } : v;
  if (typeof v === 'bigint') return { int: v.toString() };
  if (Buffer.isBuffer(v)) return { bytes: v.toString('hex') };
  if (Array.isArray(v)) return v.map(canon);
  if (v instanceof Map) return { dict: [...v.entries()].map(([k, x]) => [canon(k), canon(x)]) };
  if (v instanceof PyDateTime) return { dt: v.naiveIso() };
  if (v instanceof PyObject) return { obj: v.className, state: canon(v.state) };
  if (v instanceof PyClass) return { cls: v.name };
  throw new Error('unexpected value');
}

// Python side: a fake MAPI module so FileTime / MAPINAMEID pickle the way kopano's do.
const SCRIPT = String.raw`
import base64, datetime, json, pickle, sys, types
mapi = types.ModuleType('MAPI'); t = types.ModuleType('MAPI.Time'); st = types.ModuleType('MAPI.Struct')
class FileTime(object):
    def __init__(self, ft): self.filetime = ft
class MAPINAMEID(object):
    def __init__(self, guid, kind, id): self.guid = guid; self.kind = kind; self.id = id
FileTime.__module__ = 'MAPI.Time'; MAPINAMEID.__module__ = 'MAPI.Struct'
t.FileTime = FileTime; st.MAPINAMEID = MAPINAMEID; mapi.Time = t; mapi.Struct = st
sys.modules.update({'MAPI': mapi, 'MAPI.Time': t, 'MAPI.Struct': st})
def canon(v):
    if v is None or isinstance(v, (bool, str)): return v
    if isinstance(v, int): return {'int': str(v)}
    if isinstance(v, float): return v
    if isinstance(v, (bytes, bytearray)): return {'bytes': bytes(v).hex()}
    if isinstance(v, (list, tuple)): return [canon(x) for x in v]
    if isinstance(v, (set, frozenset)): return [canon(x) for x in v]
    if isinstance(v, dict): return {'dict': [[k.decode('latin1') if isinstance(k, bytes) else canon(k), canon(x)] for k, x in v.items()]}
    if isinstance(v, datetime.datetime): return {'dt': v.isoformat()}
    if isinstance(v, datetime.date): return {'dt': v.isoformat()}
    return {'obj': type(v).__module__ + '.' + type(v).__name__, 'state': canon(v.__dict__)}
shared = ['memo', 'shared']
obj = {
    b'props': [[0x0037001F, 'Quarterly report \u2013 draft \U0001F600 back\\slash\nline', None],
               [0x30070040, FileTime(132234633020000000), None],
               [0x8001001F, 'Room 101', MAPINAMEID(b'\x02 \x06\x00\x00\x00\x00\x00\xc0\x00\x00\x00\x00\x00\x00F', 0, 0x8208)],
               [0x8009101F, ['Work', 'Blue category'], MAPINAMEID(b')\x03\x02\x00\x00\x00\x00\x00\xc0\x00\x00\x00\x00\x00\x00F', 1, 'Keywords')],
               [0x0E1B000B, True, None], [0x0E07, False, None], [0x3FDE0003, -65001, None]],
    'ints': [0, 1, 255, 256, 65535, 65536, -1, -2**31, 2**31 - 1, 2**31, 2**53 + 1, -2**63, 2**64 + 7, 10**30],
    'floats': [0.5, -1.25e-7, 3.25],
    'bytes': [b'', b'\x00\xff\x80abc', bytes(range(256))],
    'tuple': (1, (2, 3), ()), 'nested': {'a': {'b': [shared, shared]}},
    'when': datetime.datetime(2021, 6, 30, 23, 0, 5), 'micro': datetime.datetime(2020, 1, 2, 3, 4, 5, 678901),
    'day': datetime.date(2020, 2, 29), 'empty': {}, 'none': None,
    7: 'int key', 'set': {42},
}
out = []
for proto in (0, 1, 2, 3, 4):
    out.append({'protocol': proto, 'b64': base64.b64encode(pickle.dumps(obj, protocol=proto)).decode(), 'canon': canon(obj)})
print(json.dumps(out))
`;

describe('pickle decoder on pickles written by CPython', () => {
  if (!existsSync(PYTHON)) {
    prerequisiteMissing(`needs ${PYTHON}`);
    return;
  }
  const cases = JSON.parse(execFileSync(PYTHON, ['-c', SCRIPT], { encoding: 'utf8' })) as { protocol: number; b64: string; canon: unknown }[];

  it.each(cases.map((c) => [c.protocol, c] as const))('decodes protocol %d exactly as Python sees it', (_p, c) => {
    expect(canon(unpickle(Buffer.from(c.b64, 'base64')))).toEqual(c.canon);
  });

  it('keeps FILETIMEs beyond 2^53 exact as BigInt', () => {
    const d = unpickle(Buffer.from(cases[2]!.b64, 'base64')) as Map<string, PyValue>;
    const props = d.get('props') as PyValue[][];
    const ft = props[1]![1] as PyObject;
    expect(ft.className).toBe('MAPI.Time.FileTime');
    expect(ft.get('filetime')).toBe(132234633020000000n);
  });

  it('inflates zlib-compressed values before decoding', () => {
    const raw = Buffer.from(cases[2]!.b64, 'base64');
    expect(canon(decodeStored(deflateSync(raw), 'test'))).toEqual(cases[2]!.canon);
  });

  it('reports truncation and unknown opcodes with the offset', () => {
    const raw = Buffer.from(cases[2]!.b64, 'base64');
    expect(() => unpickle(raw.subarray(0, 100))).toThrow(PickleError);
    expect(() => unpickle(raw.subarray(0, 100))).toThrow(/pickle offset \d+: truncated|pickle offset \d+/);
    expect(() => unpickle(Buffer.from([0x80, 0x02, 0xff]))).toThrow(/pickle offset 3: unknown opcode 0xff/);
    expect(() => decodeStored(Buffer.from([0x78, 0x9c, 1, 2, 3]), 'items[X]')).toThrow(/^items\[X\]: zlib/);
  });

  it('never calls unknown globals: they become inert objects', () => {
    const evil = Buffer.from("cos\nsystem\n(S'echo pwned'\ntR.", 'latin1');
    const v = unpickle(evil);
    expect(v).toBeInstanceOf(PyObject);
    expect((v as PyObject).className).toBe('os.system');
  });
});

describe('pickle decoder on the kopano-backup fixture', () => {
  const fixture = kopanoFixture();
  if (!fixture) {
    prerequisiteMissing(fixtureMissing());
    return;
  }
  interface ExpFolder { dir: string; index: Record<string, Record<string, unknown>> }
  const expected = JSON.parse(readFileSync(join(fixture, 'expected.json'), 'utf8')) as { folders: ExpFolder[]; timestamp: { naive_local: string } };

  it('decodes every index record as bsddb3+pickle did', () => {
    let n = 0;
    for (const f of expected.folders) {
      const index = readHashFile(join(fixture, 'testuser', f.dir, 'index'));
      for (const [key, exp] of Object.entries(f.index)) {
        const d = decodeStored(index.get(key)!, `${f.dir}/index[${key}]`) as Map<string, PyValue>;
        const got: Record<string, unknown> = {};
        for (const [k, v] of d) got[String(k)] = v instanceof PyDateTime ? { naive_local: v.naiveIso() } : v;
        expect(got).toEqual(exp);
        n++;
      }
    }
    expect(n).toBe(8);
  });

  it('decodes the backup timestamp', () => {
    const ts = decodeStored(readFileSync(join(fixture, 'testuser', 'timestamp')), 'timestamp') as PyDateTime;
    expect(ts.naiveIso()).toBe(expected.timestamp.naive_local);
  });
});

describe('pickle decoder on Python 2 style pickles (kopano-backup under Python 2)', () => {
  it('reads str as bytes (SHORT_BINSTRING/BINSTRING) and unicode as text, so dict keys and props read the same', async () => {
    const { PropList } = await import('./mapi-props.js');
    const raw = Buffer.concat([
      Buffer.from([0x80, 0x02, 0x7d, 0x71, 0x00, 0x55, 0x05]), Buffer.from('props'), Buffer.from([0x71, 0x01, 0x5d, 0x71, 0x02, 0x28]),
      Buffer.from([0x5d, 0x71, 0x03, 0x28, 0x4a, 0x1f, 0x00, 0x37, 0x00, 0x58, 0x03, 0x00, 0x00, 0x00, 0x68, 0xc3, 0xa9, 0x4e, 0x65]),
      Buffer.from([0x5d, 0x71, 0x04, 0x28, 0x4a, 0x02, 0x01, 0x13, 0x10, 0x54, 0x04, 0x00, 0x00, 0x00, 0x72, 0x61, 0x77, 0xff, 0x4e, 0x65]),
      Buffer.from([0x65, 0x73, 0x2e]),
    ]);
    const d = unpickle(raw) as Map<string, PyValue>;
    expect([...d.keys()]).toEqual(['props']);
    const props = PropList.fromList(d.get('props'), 'py2');
    expect(props.string(0x0037001f)).toBe('hé');
    expect(props.binary(0x10130102)).toEqual(Buffer.from([0x72, 0x61, 0x77, 0xff]));
  });
});
