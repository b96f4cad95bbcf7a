import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { validateConfigText } from './load.js';

const dir = mkdtempSync(path.join(tmpdir(), 'ums-config-gw-'));
const env = { ALICE_TGT: 'a2', MASTER_PW: 'm' };

function config(groupware: string, targetAuth = '', mailbox = '    targetPassword: env:ALICE_TGT\n'): string {
  return `version: 1
source:
  type: imap
  host: imap.old.example
  auth: { mode: master, masterUser: admin, masterPassword: env:MASTER_PW }
target:
  host: imap.ums.example
${targetAuth}mailboxes:
  - source: alice@old.example
${mailbox}${groupware}`;
}

const issues = (text: string) => validateConfigText(text, { baseDir: dir, env }).issues.filter((i) => i.severity === 'error').map((i) => `${i.path}: ${i.message}`);

describe('groupwareTarget', () => {
  test('defaults, and absent means no groupware target', () => {
    const ok = validateConfigText(config('groupwareTarget:\n  url: https://cloud.example.org/remote.php/dav/\n'), { baseDir: dir, env });
    expect(ok.issues.filter((i) => i.severity === 'error')).toEqual([]);
    expect(ok.config?.groupwareTarget).toEqual({ type: 'dav', url: 'https://cloud.example.org/remote.php/dav/', allowInsecure: false, tlsVerify: true, maxConnections: 4, timeoutSeconds: 120, vcardVersion: '3.0', maxAttachmentSize: 1024 * 1024, maxObjectSize: 20 * 1024 * 1024 });
    expect(validateConfigText(config(''), { baseDir: dir, env }).config?.groupwareTarget).toBeUndefined();
  });

  test('what the normalisation writes: vCard version and size limits, with units; wrong values are named', () => {
    const ok = validateConfigText(config('groupwareTarget:\n  url: https://cloud.example.org/remote.php/dav/\n  vcardVersion: "4.0"\n  maxAttachmentSize: 5MB\n  maxObjectSize: 30MB\n'), { baseDir: dir, env });
    expect(ok.config?.groupwareTarget).toMatchObject({ vcardVersion: '4.0', maxAttachmentSize: 5 * 1024 * 1024, maxObjectSize: 30 * 1024 * 1024 });
    const bad = issues(config('groupwareTarget:\n  url: https://cloud.example.org/remote.php/dav/\n  vcardVersion: "2.1"\n  maxAttachmentSize: lots\n'));
    expect(bad).toEqual([expect.stringMatching(/^groupwareTarget\.vcardVersion: /), expect.stringMatching(/^groupwareTarget\.maxAttachmentSize: expected a positive size/)]);
  });

  test('plaintext and unverified TLS need allowInsecure; bad URLs and unreadable CA files are reported', () => {
    expect(issues(config('groupwareTarget:\n  url: http://127.0.0.1:15232/\n'))).toEqual(['groupwareTarget.url: http:// sends passwords in plaintext; use https://, or set allowInsecure: true to permit it']);
    expect(issues(config('groupwareTarget:\n  url: http://127.0.0.1:15232/\n  allowInsecure: true\n'))).toEqual([]);
    expect(issues(config('groupwareTarget:\n  url: https://x.example/\n  tlsVerify: false\n'))).toEqual(['groupwareTarget.tlsVerify: tlsVerify: false disables certificate checks; set allowInsecure: true to permit it']);
    expect(issues(config('groupwareTarget:\n  url: ftp://x.example/\n'))[0]).toMatch(/^groupwareTarget\.url: expected an https:\/\//);
    expect(issues(config('groupwareTarget:\n  url: https://x.example/\n  caFile: missing.pem\n'))[0]).toMatch(/^groupwareTarget\.caFile: cannot read CA file .*missing\.pem: ENOENT/);
  });

  test('it logs in as each mailbox: targetPassword is required even when the IMAP target uses a master login', () => {
    const masterTarget = '  auth: { mode: master, masterUser: admin, masterPassword: env:MASTER_PW }\n';
    expect(issues(config('', masterTarget, ''))).toEqual([]);
    expect(issues(config('groupwareTarget:\n  url: https://x.example/\n', masterTarget, ''))).toEqual(['mailboxes[0].targetPassword: required because groupwareTarget logs in as each mailbox']);
    expect(issues(config('groupwareTarget:\n  url: https://x.example/\n', masterTarget))).toEqual([]);
  });

  test('the commented-out section of migration.example.yaml validates when enabled', () => {
    const example = fileURLToPath(new URL('../../migration.example.yaml', import.meta.url));
    const lines = readFileSync(example, 'utf8').split('\n');
    const start = lines.indexOf('# groupwareTarget:');
    expect(start).toBeGreaterThan(0);
    for (let i = start; i < lines.length && lines[i]!.startsWith('#'); i++) lines[i] = lines[i]!.slice(2);
    const r = validateConfigText(lines.join('\n'), { file: example, env: { OLD_IMAP_MASTER_PW: 'master', UMS_PW_ALICE: 'a', UMS_PW_BOB: 'b', AD_BIND_PASSWORD: 'ad', UMS_LDAP_PASSWORD: 'ldap' } });
    expect(r.issues).toEqual([]);
    expect(r.config?.groupwareTarget).toEqual({ type: 'dav', url: 'https://cloud.ums.example/remote.php/dav/', allowInsecure: false, tlsVerify: true, maxConnections: 4, timeoutSeconds: 120, vcardVersion: '3.0', maxAttachmentSize: 1024 * 1024, maxObjectSize: 20 * 1024 * 1024 });
  });
});
