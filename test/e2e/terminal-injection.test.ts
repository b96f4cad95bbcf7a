/**
 * Issue 13 item 9: folder names and server reasons carrying terminal controls (OSC title change
 * ESC ] 0 ; … BEL, screen clear ESC [ 2 J, C1 CSI 0x9B, the bidi override U+202E) are shown
 * escaped by `plan`, `run`, `status --problems --folders` and `reconcile`: no raw control
 * character reaches the terminal. `--json` keeps them exact.
 *
 * The source is a fake IMAP server written for this (test/support/fake-imap.ts) whose folder name
 * and refusals carry the controls; the target is the lab's Courier-IMAP.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { addTargetUser, startLab, uniqueLogin, type Lab } from '../lab/lab.js';
import { runCli, type CliResult } from '../support/cli.js';
import { startFakeImap, type FakeImap } from '../support/fake-imap.js';

const HOSTILE = '\x1b]0;pwned\x07\x1b[2J\u009b31m\u202e';
const FOLDER = `Evil${HOSTILE}Folder`;
const OPEN_REFUSAL = `folder locked${HOSTILE}by admin`;
const READ_REFUSAL = `message unreadable\x1b[1A\x1b[2K\r${HOSTILE}`;
/** Anything terminalText escapes: C0 but \n, DEL, C1, bidi embeddings/overrides/isolates and marks. */
// eslint-disable-next-line no-control-regex
const RAW_CONTROL = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/u;

let lab: Lab;
let fake: FakeImap;
beforeAll(async () => {
  lab = await startLab();
  fake = await startFakeImap({
    users: { bob: 'bob-pw-term' },
    folders: [
      { name: 'INBOX', messages: [{ uid: 1, body: 'Message-ID: <t-1@test>\nSubject: hi\n\nbody\n' }] },
      { name: FOLDER, messages: [{ uid: 5, body: 'Subject: x\n\ny\n' }], openNo: OPEN_REFUSAL },
      { name: 'Plain', messages: [{ uid: 9, body: 'Message-ID: <t-9@test>\nSubject: z\n\nz\n' }], bodyNo: READ_REFUSAL },
    ],
  });
});
afterAll(async () => { await fake.close(); });

/** A YAML double-quoted scalar with every character outside printable ASCII as \uXXXX. */
function yamlString(s: string): string {
  return `"${[...s].map((ch) => (/[ -~]/.test(ch) && ch !== '"' && ch !== '\\' ? ch : `\\u${ch.charCodeAt(0).toString(16).padStart(4, '0')}`)).join('')}"`;
}

function rawControls(name: string, r: CliResult): string[] {
  return [['stdout', r.stdout], ['stderr', r.stderr]].filter(([, text]) => RAW_CONTROL.test(text as string))
    .map(([stream, text]) => `${name} ${stream}: ${JSON.stringify(text)}`);
}

test('plan, run, status --problems --folders and reconcile show hostile folder names and server reasons escaped; --json keeps them exact', async () => {
  const target = uniqueLogin('term');
  await addTargetUser(target, 'tgt-pw-term');
  const dir = mkdtempSync(join(tmpdir(), 'ums-term-'));
  writeFileSync(join(dir, 'spw'), 'bob-pw-term\n', { mode: 0o600 });
  writeFileSync(join(dir, 'tpw'), 'tgt-pw-term\n', { mode: 0o600 });
  const file = join(dir, 'migration.yaml');
  writeFileSync(file, [
    'version: 1', 'state:', '  path: ./state.sqlite', 'logging:', '  file: ./run.log',
    'source:', '  type: imap', '  host: 127.0.0.1', `  port: ${fake.port}`, '  tls: none', '  allowInsecure: true',
    'target:', '  type: ums-imap', `  host: ${lab.target.host}`, `  port: ${lab.target.tlsPort}`, `  caFile: ${lab.target.caFile}`,
    // The target name is plain (target-side sanitising is another matter): the hostile text stays on the source side.
    'folders:', '  rename:', `    - from: ${yamlString(FOLDER)}`, '      to: Hostile',
    'retry:', '  attempts: 1',
    'mailboxes:', `  - { source: bob, target: ${target}, sourcePassword: file:./spw, targetPassword: file:./tpw }`,
    '',
  ].join('\n'));

  const plan = await runCli(['plan', '-c', file]);
  const run = await runCli(['run', '-c', file]);
  const status = await runCli(['status', '-c', file, '--problems', '--folders']);
  const statusJson = await runCli(['status', '-c', file, '--problems', '--folders', '--json']);
  const reconcile = await runCli(['reconcile', '-c', file]);

  expect([...rawControls('plan', plan), ...rawControls('run', run), ...rawControls('status', status), ...rawControls('reconcile', reconcile)]).toEqual([]);
  // Shown, escaped: the folder in every output, the refusals where each command reports them.
  const shown = 'Evil\\x1b]0;pwned\\x07\\x1b[2J\\x9b31m\\u202eFolder';
  expect(plan.code).toBe(0);
  expect(plan.stdout).toContain(shown);
  expect(plan.stdout).toContain('folder locked\\x1b]0;pwned\\x07');
  expect(run.code).toBe(3);
  expect(run.stdout).toContain(`folder failed: bob ${shown} → INBOX.Hostile`);
  expect(status.stdout).toContain(shown);
  expect(status.stdout).toContain('folder locked\\x1b]0;pwned\\x07\\x1b[2J\\x9b31m\\u202eby admin');
  expect(status.stdout).toContain('message unreadable\\x1b[1A\\x1b[2K \\x1b]0;pwned');
  expect(reconcile.stdout).toContain('folder locked\\x1b]0;pwned');
  // JSON stays exact.
  const json = JSON.parse(statusJson.stdout) as { containers: { path: string; lastError: string | null }[]; problems: { reason: string }[] };
  const evil = json.containers.find((c) => c.path === FOLDER);
  expect(evil?.lastError).toContain(OPEN_REFUSAL);
  expect(json.problems.map((p) => p.reason).join('\n')).toContain('message unreadable\x1b[1A\x1b[2K');
}, 180_000);
