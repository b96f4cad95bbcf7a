/**
 * Issue 17 for PST (the shared fixtures): with several files merged into one mailbox, `plan`
 * names each folder by its path inside the file with the file's name (never the node id), its
 * merge warnings say which files' folders are merged, and the inventory it records carries those
 * names and real sizes (never "0 B" for folders with messages).
 */
import { copyFileSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fixturesDir } from '../../connectors/pst/readpst-oracle.js';
import { addTargetUser, startLab, uniqueLogin } from '../lab/lab.js';
import { runCli } from '../support/cli.js';

const FILES = ['unicode/aspose-Outlook.pst', 'unicode/go-pst-support.pst'];

test('several PST files: plan names folders with their files, merge warnings name both files, the inventory keeps names and sizes', async () => {
  const lab = await startLab();
  const password = 'pw-e2e-pst-names';
  const login = uniqueLogin('pstn');
  await addTargetUser(login, password);
  const dir = mkdtempSync(join(tmpdir(), 'ums-e2e-pstn-'));
  mkdirSync(join(dir, 'pst', login), { recursive: true });
  for (const rel of FILES) copyFileSync(join(fixturesDir(), 'pst', rel), join(dir, 'pst', login, rel.split('/').pop()!));
  writeFileSync(join(dir, 'pw'), `${password}\n`, { mode: 0o600 });
  const file = join(dir, 'migration.yaml');
  writeFileSync(file, [
    'version: 1', 'state:', '  path: ./state.sqlite', 'logging:', '  file: ./run.log',
    'source:', '  type: pst', '  directory: ./pst', '  files: "{login}/*.pst"',
    'target:', '  type: ums-imap', `  host: ${lab.target.host}`, `  port: ${lab.target.tlsPort}`, `  caFile: ${lab.target.caFile}`,
    'mailboxes:', `  - source: ${login}`, '    targetPassword: file:./pw', '',
  ].join('\n'));

  const plan = await runCli(['plan', '-c', file]);
  expect(plan.code).toBe(0);
  const merges = plan.stdout.split('\n').filter((l) => / both map to | all map to /.test(l));
  expect(merges.length).toBeGreaterThan(0);
  for (const w of merges) {
    // each merged folder named with its file: never the same path twice without saying which file
    const named = [...w.matchAll(/"([^"]+)"/g)].map((m) => m[1]!).slice(0, -1);
    for (const n of named) expect(n).toMatch(new RegExp(`^${login}/(aspose-Outlook|go-pst-support)\\.pst: `));
    expect(new Set(named).size).toBe(named.length);
  }
  expect(merges.some((w) => w.includes('aspose-Outlook.pst: ') && w.includes('go-pst-support.pst: '))).toBe(true);
  // the table shows names, not "file.pst:<node id>"
  expect(plan.stdout).not.toMatch(/\.pst:\d+/);

  const status = JSON.parse((await runCli(['status', '-c', file, '--json', '--folders'])).stdout) as {
    containers: { name: string | null; containerId: string; totalItems: number; totalBytes: number; bytesKnown: boolean; kind: string }[];
    inventory: { kinds: { kind: string; totalItems: number }[] }[];
  };
  const inbox = status.containers.find((c) => c.name === `${login}/aspose-Outlook.pst: Inbox`);
  expect(inbox).toMatchObject({ totalItems: 8, bytesKnown: true, kind: 'mail' });
  expect(inbox?.totalBytes).toBeGreaterThan(100_000);
  expect(inbox?.containerId).toMatch(/:\d+$/); // the id stays in --json
  for (const c of status.containers) if (c.totalItems > 0) expect(c.totalBytes).toBeGreaterThan(0);
  expect(status.inventory[0]?.kinds.find((k) => k.kind === 'mail')?.totalItems).toBeGreaterThan(8);
}, 300_000);
