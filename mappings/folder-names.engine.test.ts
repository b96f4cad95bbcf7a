/**
 * The engine with hostile source folder names (memory connectors): every folder is created under
 * its sanitised name, never two source folders in one target folder, every message copied once,
 * a warning per renamed folder, and a second run finds the same names (nothing copied again).
 */
import pino from 'pino';
import { runJob } from '../src/engine/job.js';
import { testJobOptions, useTempStateStore } from '../test/support/engine-setup.js';
import { MemorySource, MemoryTarget } from '../test/support/memory-connectors.js';
import { taggedName } from './folder-names.js';
import type { TargetNamespace } from './folders.js';

const log = pino({ level: 'silent' });
const job = [{ source: { login: 'eve' }, target: { login: 'eve' } }];
const state = useTempStateStore('ums-hostile-names');

const HOSTILE: string[][] = [['INBOX'], ['..'], ['.'], ['~root'], ['%'], ['*'], ['_'], ['a\u001b]0;owned\u0007b'], ['pay\u202efdp.exe'], [' lead '], ['x', '', 'y'], ['Work', '%']];
// eslint-disable-next-line no-control-regex
const UNSAFE = /[%*\u0000-\u001f\u007f-\u009f\u202a-\u202e]|^~|(^|[./])\.\.?($|[./])|^\s|\s$/u;

function seed(): MemorySource {
  const src = new MemorySource();
  HOSTILE.forEach((path, i) => {
    for (let n = 0; n < 2; n++) src.add(path, `Message-ID: <f${i}m${n}@example.org>\r\nSubject: ${i}/${n}\r\n\r\nbody of ${JSON.stringify(path)} #${n}\r\n`, { messageId: `<f${i}m${n}@example.org>` });
  });
  return src;
}

const t = (raw: string, name: string): string => taggedName(name, JSON.stringify([raw]));

describe.each<[string, TargetNamespace, Record<string, string>]>([
  ['Courier-like (INBOX. and ".")', { prefix: 'INBOX.', delimiter: '.' }, {
    INBOX: 'INBOX', '..': 'INBOX.__', '.': `INBOX.${t('.', '_')}`, '~root': 'INBOX._root', '%': `INBOX.${t('%', '_')}`, '*': `INBOX.${t('*', '_')}`, _: 'INBOX._',
    'a\u001b]0;owned\u0007b': 'INBOX.a_]0;owned_b', 'pay\u202efdp.exe': 'INBOX.pay_fdp_exe', ' lead ': 'INBOX.lead', 'x//y': 'INBOX.x._.y', 'Work/%': 'INBOX.Work._',
  }],
  ['"/"-delimited without prefix', { prefix: '', delimiter: '/' }, {
    INBOX: 'INBOX', '..': '__', '.': t('.', '_'), '~root': '_root', '%': t('%', '_'), '*': t('*', '_'), _: '_',
    'a\u001b]0;owned\u0007b': 'a_]0;owned_b', 'pay\u202efdp.exe': 'pay_fdp.exe', ' lead ': 'lead', 'x//y': 'x/_/y', 'Work/%': 'Work/_',
  }],
])('%s target', (_label, namespace, expected) => {
  test('each hostile folder lands in its own sanitised folder with its messages; warned; stable on the next run', async () => {
    const src = seed();
    const tgt = new MemoryTarget();
    const opts = testJobOptions({ namespace });
    const r1 = await runJob({ store: state.store, sources: src, targets: tgt, log }, job, opts);
    expect(r1.failed).toBe(0);
    expect(r1.copied).toBe(HOSTILE.length * 2);
    const mailbox = r1.mailboxes[0]!;
    expect(Object.fromEntries(mailbox.containers.map((c) => [c.source, c.target]))).toEqual(expected);
    // One target folder per source folder, holding exactly that folder's messages.
    expect(new Set(Object.values(expected)).size).toBe(HOSTILE.length);
    for (const path of HOSTILE) {
      const id = path.join('/');
      const got = tgt.folders.get(expected[id]!)?.messages.map((m) => m.content.toString()) ?? [];
      expect(got).toEqual(src.folders.get(id)!.messages.map((m) => m.content.toString()));
    }
    for (const name of tgt.folders.keys()) {
      const segments = namespace.prefix === '' ? name.split('/') : name.slice(namespace.prefix.length).split('.');
      if (name !== 'INBOX') for (const seg of segments) expect(seg.replace(/ \([0-9a-f]{6}\)$/, '')).not.toMatch(UNSAFE);
    }
    // A warning for every renamed folder (INBOX and "_" are not renamed), naming it and its new name.
    const renamed = HOSTILE.map((p) => p.join('/')).filter((id) => id !== 'INBOX' && id !== '_');
    expect(mailbox.warnings).toHaveLength(renamed.length);
    for (const id of renamed) expect(mailbox.warnings.some((w) => w.includes(` is created as ${JSON.stringify(expected[id])}: `))).toBe(true);

    const r2 = await runJob({ store: state.store, sources: src, targets: tgt, log }, job, opts);
    expect(r2.copied).toBe(0);
    expect(r2.failed).toBe(0);
    expect(r2.unchangedContainers).toBe(HOSTILE.length);
    expect([...tgt.folders.values()].reduce((n, f) => n + f.messages.length, 0)).toBe(HOSTILE.length * 2);
  });
});
