/**
 * End to end: PST files (the shared fixtures) → Courier-IMAP (UMS target), through the real CLI.
 * Every message of every mail folder arrives once, carrying what readpst shows of it (subject,
 * sender, attachments); calendars and contacts are reported as not migrated; a second run copies
 * nothing. Needs the lab, the shared fixtures (UMS_FIXTURES_DIR) and readpst.
 */
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ImapFlow } from 'imapflow';
import { classifyFolder } from '../../connectors/pst/container-class.js';
import { compareSummaries, readpstSummaries, summarize, type MimeSummary } from '../../connectors/pst/mime-oracle.js';
import { openPst } from '../../connectors/pst/pst-reader.js';
import { fixturesDir, oracleUnavailable } from '../../connectors/pst/readpst-oracle.js';
import { addTargetUser, startLab, uniqueLogin, type Lab } from '../lab/lab.js';
import { runCli } from '../support/cli.js';

const FILES = ['unicode/aspose-Outlook.pst', 'unicode/aspose-passwordprotectedPST.pst', 'ansi/hiraoka-nonUnicodeCP932.pst', 'unicode/hiraoka-msgInMsgInMsg.pst'];
const fixture = (rel: string): string => join(fixturesDir(), 'pst', rel);
const password = 'pw-e2e-pst';
let lab: Lab;
let target: string;
let file: string;
let expected = 0;
/** The items of the folders the run does not migrate (calendars, contacts, journal…), by folder name. */
const notMigrated = new Map<string, number>();

beforeAll(async () => {
  const problem = oracleUnavailable();
  if (problem) throw new Error(problem);
  lab = await startLab();
  target = uniqueLogin('pst');
  await addTargetUser(target, password);
  const dir = mkdtempSync(join(tmpdir(), 'ums-e2e-pst-'));
  mkdirSync(join(dir, 'pst', target), { recursive: true });
  for (const rel of FILES) {
    copyFileSync(fixture(rel), join(dir, 'pst', target, rel.split('/').pop()!));
    const r = await openPst(fixture(rel));
    for await (const f of r.folders()) {
      if (f.isSearchFolder) continue;
      if (classifyFolder(f.containerClass).migrate) expected += f.count;
      else notMigrated.set(`${rel.split('/').pop()!}: ${f.path.join('/')}`, f.count);
    }
    r.close();
  }
  writeFileSync(join(dir, 'pw'), `${password}\n`, { mode: 0o600 });
  file = join(dir, 'migration.yaml');
  writeFileSync(file, [
    'version: 1',
    'state:', '  path: ./state.sqlite',
    'logging:', '  file: ./run.log',
    'source:', '  type: pst', '  directory: ./pst', '  files: "{login}/*.pst"',
    'target:', '  type: ums-imap', `  host: ${lab.target.host}`, `  port: ${lab.target.tlsPort}`, `  caFile: ${lab.target.caFile}`,
    'mailboxes:', `  - source: ${target}`, '    targetPassword: file:./pw',
    '',
  ].join('\n'));
}, 300_000);

async function targetSummaries(): Promise<MimeSummary[]> {
  const client = new ImapFlow({ host: lab.target.host, port: lab.target.tlsPort, secure: true, tls: { ca: readFileSync(lab.target.caFile, 'utf8') }, auth: { user: target, pass: password }, logger: false });
  await client.connect();
  const out: MimeSummary[] = [];
  try {
    for (const f of await client.list()) {
      const mb = await client.mailboxOpen(f.path, { readOnly: true });
      if (mb.exists === 0) continue;
      for await (const m of client.fetch('1:*', { source: true })) out.push(await summarize(m.source as Buffer));
    }
  } finally {
    await client.logout();
  }
  return out;
}

test('plan lists the mail folders and reports calendars and contacts as not migrated', async () => {
  const r = await runCli(['plan', '-c', file, '--json']);
  expect(r.code).toBe(0);
  const plan = JSON.parse(r.stdout) as { ok: boolean; warnings: string[]; folders: { source: string; target: string; included: boolean; reason?: string; messages?: number; bytes?: number }[] }[];
  expect(plan[0]?.ok).toBe(true);
  expect(plan[0]?.warnings.some((w) => /"Calendar" not migrated: IPF\.Appointment/.test(w))).toBe(true);
  expect(plan[0]?.folders.some((f) => f.target === 'INBOX.Sent' && f.included)).toBe(true);
  // folders by their path in the file (the file's name first: several files), with their sizes, empty non-mail folders too
  const folders = plan[0]!.folders;
  expect(folders.some((f) => /:\d+$/.test(f.source))).toBe(false);
  expect(folders.find((f) => f.source === `${target}/aspose-Outlook.pst: Inbox/SubInbox`)).toMatchObject({ included: true, messages: 0 });
  const inbox = folders.find((f) => f.source === `${target}/aspose-Outlook.pst: Inbox`)!;
  expect(inbox.messages).toBe(8);
  expect(inbox.bytes).toBeGreaterThan(100_000);
  expect(folders.find((f) => f.source === `${target}/aspose-Outlook.pst: Journal`)).toMatchObject({ included: false, reason: expect.stringMatching(/^IPF\.Journal folder: /) });
});

test('run copies every message once, as readpst sees it; a second run copies nothing', async () => {
  const r1 = await runCli(['run', '-c', file, '--json']);
  expect(r1.code).toBe(0);
  expect(JSON.parse(r1.stdout)).toMatchObject({ copied: expected, failed: 0 });
  const ours = await targetSummaries();
  expect(ours).toHaveLength(expected);
  const theirs: MimeSummary[] = [];
  for (const rel of FILES) theirs.push(...(await readpstSummaries(fixture(rel))));
  expect(compareSummaries(ours, theirs)).toEqual([]);

  const r2 = await runCli(['run', '-c', file, '--json']);
  expect(r2.code).toBe(0);
  expect(JSON.parse(r2.stdout)).toMatchObject({ copied: 0, failed: 0 });
  expect(await targetSummaries()).toHaveLength(expected);
});

test('status and the report list the folders not migrated, with their items and the reason', async () => {
  const r = await runCli(['status', '-c', file, '--json']);
  expect(r.code).toBe(0);
  const { notMigrated: listed } = JSON.parse(r.stdout) as { notMigrated: { source: string; folders: { name: string; items: number | null; by: string; reason: string }[] }[] };
  expect(listed.map((m) => m.source)).toEqual([target]);
  const folders = listed[0]!.folders;
  const byName = new Map(folders.map((f) => [f.name.replace(`${target}/`, ''), f]));
  expect(notMigrated.size).toBeGreaterThan(0);
  for (const [name, count] of notMigrated) expect({ name, items: byName.get(name)?.items }).toEqual({ name, items: count });
  expect(byName.get('aspose-Outlook.pst: Journal')).toMatchObject({ by: 'source', reason: expect.stringMatching(/^IPF\.Journal folder/) });
  const text = await runCli(['status', '-c', file]);
  expect(text.stdout).toContain(`Folders not migrated (${notMigrated.size}, `);
  const csv = join(tmpdir(), `ums-e2e-pst-${process.pid}.csv`);
  expect((await runCli(['report', '-c', file, '--out', csv])).code).toBe(0);
  const row = readFileSync(csv, 'utf8').split('\r\n')[1]!.split(',');
  expect(row.slice(-2)).toEqual([String(notMigrated.size), String([...notMigrated.values()].reduce((a, b) => a + b, 0))]);
  // reconcile: the mail folders equal, the others listed with their items (not compared)
  const rec = await runCli(['reconcile', '-c', file, '--format', 'json']);
  expect(rec.code).toBe(0);
  const [mb] = JSON.parse(rec.stdout) as { notMigrated: { name: string; items: number | null }[] }[];
  expect(new Map(mb!.notMigrated.map((f) => [f.name.replace(`${target}/`, ''), f.items]))).toEqual(notMigrated);
});
