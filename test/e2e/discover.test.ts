/**
 * `ums-migrate discover` against the lab's real Samba AD (an OU of this test): mailboxes listed
 * with their type, leavers and non-mailboxes left out with the reason, the user map written 0600
 * with the wave from a directory attribute, the diff against the config's mailbox list, and the
 * file it writes accepted as the config's userMap. The config may have no mailbox yet.
 */
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Client } from 'ldapts';
import { LAB_RECIPIENT_TYPE_ATTRIBUTE, seedAd } from '../lab/ad-seed.js';
import { adClient, freshOu, startAd, type AdLab } from '../lab/samba-ad.js';
import { runCli } from '../support/cli.js';

const TAG = Math.random().toString(36).slice(2, 6);
const L = (n: string) => `${n}${TAG}`;

let ad: AdLab;
let adc: Client;
let adOu: string;
let work: string;
const configFile = () => path.join(work, 'migration.yaml');

const MASTER = 'auth: { mode: master, masterUser: admin, masterPassword: file:./ad-pw }';

function writeConfig(mailboxes: string[], discover: string[], auth = MASTER): void {
  writeFileSync(configFile(), [
    'version: 1',
    'state: { path: ./state/state.sqlite }',
    'logging: { file: ./ums.log }',
    `source: { type: imap, host: imap.old.example, ${auth} }`,
    `target: { host: imap.ums.example, ${auth} }`,
    ...mailboxes,
    'directory:',
    '  source:',
    `    url: ${ad.url}`,
    `    bindDn: ${ad.bindDn}`,
    '    bindPassword: file:./ad-pw',
    `    caFile: ${ad.caFile}`,
    `    base: "${adOu}"`,
    `    recipientTypeAttribute: ${LAB_RECIPIENT_TYPE_ATTRIBUTE}`,
    '  target:',
    '    url: ldaps://ldap.ums.example',
    '    bindDn: cn=admin,dc=ums,dc=example',
    '    bindPassword: file:./ad-pw',
    '    base: ou=people,dc=ums,dc=example',
    '  loginRule: { case: lower, spaces: "." }',
    ...discover,
    '',
  ].join('\n'));
}

beforeAll(async () => {
  ad = await startAd();
  adc = await adClient(ad);
  adOu = await freshOu(adc, 'disc');
  await seedAd(adc, adOu, {
    users: [
      { login: L('Alice'), mail: 'alice@corp.example', recipientType: '1', proxyAddresses: ['SMTP:alice@corp.example'], department: 'wave-1', sn: 'A' },
      { login: L('bob'), mail: 'bob@corp.example', recipientType: '1', proxyAddresses: ['SMTP:bob@corp.example'], sn: 'B' },
      { login: `Room 1${TAG}`, mail: 'room1@corp.example', recipientType: '16', disabled: true, sn: 'R' },
      { login: L('beamer'), mail: 'beamer@corp.example', recipientType: '32', disabled: true, sn: 'E' },
      { login: L('info'), mail: 'info@corp.example', recipientType: '4', disabled: true, department: 'wave-2', sn: 'I' },
      { login: L('leaver'), mail: 'leaver@corp.example', recipientType: '1', disabled: true, sn: 'L' },
      { login: L('mailuser'), mail: 'ext@other.example', recipientType: '128', sn: 'M' },
      { login: L('svc'), sn: 'S' },
    ],
    groups: [{ name: L('team'), distribution: true, mail: 'team@corp.example', members: [L('bob')] }],
  });
  work = mkdtempSync(path.join(tmpdir(), 'ums-discover-'));
  writeFileSync(path.join(work, 'ad-pw'), ad.password, { mode: 0o600 });
}, 300_000);

afterAll(async () => {
  await adc?.unbind();
  rmSync(work, { recursive: true, force: true });
});

test('a first discovery with no mailbox in the config: listed, left out, written 0600; the file works as the userMap', async () => {
  writeConfig(['userMap: ./users.csv'], ['discover: { sourceLogin: mail, waveAttribute: department }']);
  const r = await runCli(['discover', '-c', configFile(), '--out', path.join(work, 'users.csv')]);
  expect(r.code).toBe(0);
  expect(r.stdout).toContain(`5 mailbox(es) in ${ad.url} ${adOu} (2 user, 1 shared, 1 room, 1 equipment); 3 user(s) left out, 0 not listed (problems)`);
  expect(r.stdout).toContain(`  room      room1@corp.example → room.1${TAG} (account disabled)`);
  expect(r.stdout).toContain(`  left out  ${L('leaver')}: disabled account (a leaver)`);
  expect(r.stdout).toContain(`  left out  ${L('mailuser')}: ${LAB_RECIPIENT_TYPE_ATTRIBUTE} 128 is not a mailbox`);
  expect(r.stdout).toContain(`  left out  ${L('svc')}: no mail address: not a mailbox`);
  expect(r.stdout).toContain('compared with the config: 5 added, 0 removed, 0 changed, 0 unchanged');
  // bob's row: the leaver is not listed, everything else is; groups are not mailboxes.
  const file = path.join(work, 'users.csv');
  expect(statSync(file).mode & 0o777).toBe(0o600);
  expect(readFileSync(file, 'utf8')).toBe([
    'source,target,wave,mailboxType',
    `alice@corp.example,${L('alice')},wave-1,user`,
    `beamer@corp.example,${L('beamer')},,equipment`,
    `bob@corp.example,${L('bob')},,user`,
    `info@corp.example,${L('info')},wave-2,shared`,
    `room1@corp.example,room.1${TAG},,room`,
    '',
  ].join('\r\n'));
  const validate = await runCli(['validate', '-c', configFile()]);
  expect({ code: validate.code, out: validate.stdout + validate.stderr }).toEqual({ code: 0, out: expect.any(String) });
  const log = readFileSync(path.join(work, 'ums.log'), 'utf8');
  expect(log).toContain('"msg":"discover started"');
  expect(log).toContain('"msg":"mailboxes discovered"');
  expect(log).toContain('"msg":"discover finished"');
});

test('against an existing mailbox list: added, removed with the reason, changed; the PM\'s waves and password references kept; a source login with a space is a problem (exit 3)', async () => {
  const pw = (n: string) => `sourcePassword: file:./pw-${n}, targetPassword: file:./pw-${n}`;
  writeConfig([
    'mailboxes:',
    `  - { source: ${L('alice')}, target: alice, wave: w1, ${pw('a')} }`,
    `  - { source: ${L('leaver')}, wave: w1, ${pw('l')} }`,
    `  - { source: gone, wave: w2, ${pw('g')} }`,
  ], [], '');
  const r = await runCli(['discover', '-c', configFile(), '--json', '--out', path.join(work, 'users2.csv')]);
  expect({ code: r.code, stderr: r.stderr }).toEqual({ code: 3, stderr: '' });
  const out = JSON.parse(r.stdout) as {
    rows: { source: string; target: string; wave: string; mailboxType: string }[];
    problems: { name: string; reason: string }[];
    diff: { added: { source: string }[]; removed: { source: string; reason: string }[]; changed: { source: string; changes: string[] }[]; unchanged: number };
    out: string;
  };
  expect(out.out).toBe(path.join(work, 'users2.csv'));
  // Each mailbox logs in with its own password here: the columns are there, kept for alice, empty (to fill in) for the others.
  expect(readFileSync(path.join(work, 'users2.csv'), 'utf8').split('\r\n').slice(0, 3)).toEqual([
    'source,target,wave,mailboxType,sourcePassword,targetPassword', `${L('Alice')},${L('alice')},w1,user,file:./pw-a,file:./pw-a`, `${L('beamer')},${L('beamer')},,equipment,,`,
  ]);
  expect(out.problems).toEqual([{ name: `Room 1${TAG}`, source: `Room 1${TAG}`, reason: expect.stringContaining('set discover.sourceLogin to mail (the primary address room1@corp.example)') }]);
  expect(out.rows.map((x) => [x.source, x.target, x.wave, x.mailboxType])).toEqual([
    [L('Alice'), L('alice'), 'w1', 'user'],
    [L('beamer'), L('beamer'), '', 'equipment'],
    [L('bob'), L('bob'), '', 'user'],
    [L('info'), L('info'), '', 'shared'],
  ]);
  expect(out.diff.added.map((a) => a.source)).toEqual([L('beamer'), L('bob'), L('info')]);
  expect(out.diff.removed.map((x) => [x.source, x.reason])).toEqual([
    [L('leaver'), 'disabled account (a leaver): not listed (discover.includeDisabled lists them)'],
    ['gone', 'not found in the directory selection (deleted, moved, or not a user)'],
  ]);
  expect(out.diff.changed).toEqual([{ source: L('alice'), changes: [`UMS login alice → ${L('alice')}`] }]);
});
