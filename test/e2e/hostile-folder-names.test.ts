/**
 * End to end against the real servers, through the CLI: a Dovecot mailbox whose folder names are
 * LIST wildcards, a bidi override (Dovecot refuses "." in names, hence "pay\u202efdp-exe"), a C1
 * control, outer spaces, and a plain "_" that the sanitised names would land on. Courier accepts
 * all of those names as they are (see test/lab/README.md), so only the folder mapping stands
 * between them and the UMS: each must be created under its sanitised name, in a folder of its
 * own, with its messages, and `plan` must warn about each.
 */
import { ImapFlow } from 'imapflow';
import { readFileSync } from 'node:fs';
import { taggedName } from '../../mappings/folder-names.js';
import { addSourceUser, addTargetUser, startLab, uniqueLogin, type Lab } from '../lab/lab.js';
import { runCli } from '../support/cli.js';
import { writeLabConfig } from '../support/lab-config.js';
import { snapshotMailbox, total, type Snapshot } from '../support/mailbox-snapshot.js';

const password = 'pw-hostile-names-1';
const t = (raw: string, name: string): string => taggedName(name, JSON.stringify([raw]));
/** Source folder (as the IMAP source names it, "/"-joined) → the Courier folder it must become. */
const EXPECTED: Record<string, string> = {
  INBOX: 'INBOX',
  '%': `INBOX.${t('%', '_')}`,
  '*': `INBOX.${t('*', '_')}`,
  _: 'INBOX._',
  'pay\u202efdp-exe': 'INBOX.pay_fdp-exe',
  'x\u0085y': 'INBOX.x_y',
  ' lead': 'INBOX.lead',
  'trail ': 'INBOX.trail',
  'Work/%': 'INBOX.Work._',
  '100% *done*': 'INBOX.100_ _done_',
};
// eslint-disable-next-line no-control-regex
const UNSAFE = /[%*\u0000-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]|\.\s|\s$/u;

let lab: Lab;
let source: string;
let target: string;
let config: { dir: string; file: string };
let sourceSnap: Snapshot;

async function client(ep: { host: string; tlsPort: number; caFile: string }, user: string): Promise<ImapFlow> {
  const c = new ImapFlow({ host: ep.host, port: ep.tlsPort, secure: true, tls: { ca: readFileSync(ep.caFile) }, auth: { user, pass: password }, logger: false });
  await c.connect();
  return c;
}

beforeAll(async () => {
  lab = await startLab();
  source = uniqueLogin('hostilenames');
  target = uniqueLogin('hostilenames');
  await addSourceUser(source, password);
  await addTargetUser(target, password);
  const c = await client(lab.source, source);
  try {
    let i = 0;
    for (const folder of Object.keys(EXPECTED)) {
      if (folder !== 'INBOX') await c.mailboxCreate(folder);
      for (let n = 0; n < 2; n++, i++) {
        await c.append(folder, `Message-ID: <hostile${i}@example.org>\r\nSubject: ${i}\r\n\r\nin ${JSON.stringify(folder)} #${n}\r\n`, [], new Date(Date.UTC(2024, 0, 1 + i)));
      }
    }
  } finally {
    await c.logout();
  }
  config = writeLabConfig(lab, { source, target, password });
  sourceSnap = await snapshotMailbox({ ...lab.source, port: lab.source.tlsPort }, source, password);
}, 300_000);

test('plan names the sanitised UMS folder of each and warns about every renamed one', async () => {
  const r = await runCli(['plan', '-c', config.file, '--json']);
  expect(r.code).toBe(0);
  const plan = JSON.parse(r.stdout) as { warnings: string[]; folders: { source: string; target: string }[] }[];
  const targets = Object.fromEntries(plan[0]!.folders.map((f) => [f.source, f.target]));
  expect(targets).toMatchObject(EXPECTED);
  for (const [folder, umsFolder] of Object.entries(EXPECTED)) {
    if (folder === 'INBOX' || folder === '_') continue;
    expect(plan[0]!.warnings.filter((w) => w.startsWith('folder ') && w.includes(` is created as ${JSON.stringify(umsFolder)}: `))).toHaveLength(1);
  }
});

test('run creates each in a folder of its own, with exactly its messages; no unsafe name reaches Courier', async () => {
  const r = await runCli(['run', '-c', config.file, '--json']);
  expect(r.code).toBe(0);
  const report = JSON.parse(r.stdout) as { copied: number; failed: number };
  expect(report).toMatchObject({ copied: total(sourceSnap), failed: 0 });
  expect(total(sourceSnap)).toBe(Object.keys(EXPECTED).length * 2);

  const targetSnap = await snapshotMailbox({ ...lab.target, port: lab.target.tlsPort }, target, password);
  for (const [folder, umsFolder] of Object.entries(EXPECTED)) {
    expect({ folder, messages: targetSnap.get(umsFolder) }).toEqual({ folder, messages: sourceSnap.get(folder) });
  }
  // Nothing else holds messages (the parent INBOX.Work is created empty), and no name is unsafe.
  const others = [...targetSnap].filter(([name]) => !Object.values(EXPECTED).includes(name));
  expect(others).toEqual([['INBOX.Work', []]]);
  for (const name of targetSnap.keys()) expect(name.replace(/ \([0-9a-f]{6}\)/, '')).not.toMatch(UNSAFE);
});
