/** The `cutover:` section and the mailboxes' wave (inline `wave:`, the userMap's `wave` column). */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { cutoverSettings } from './cutover-schema.js';
import { validateConfigText } from './load.js';

const dir = mkdtempSync(path.join(tmpdir(), 'ums-cutover-config-'));
const base = (extra: string) => `version: 1
source: { type: imap, host: imap.old.example, auth: { mode: master, masterUser: admin, masterPassword: env:PW } }
target: { host: imap.ums.example, auth: { mode: master, masterUser: admin, masterPassword: env:PW } }
mailboxes:
  - { source: alice, wave: wave1 }
  - { source: bob }
${extra}`;
const validate = (text: string) => validateConfigText(text, { file: path.join(dir, 'migration.yaml'), env: { PW: 'x' } });

test('cutover.maxDeltaAgeHours: default 24, a positive number of hours', () => {
  const none = validate(base(''));
  expect(none.issues).toEqual([]);
  expect(cutoverSettings(none.config!)).toEqual({ maxDeltaAgeHours: 24 });
  expect(cutoverSettings(validate(base('cutover: { maxDeltaAgeHours: 0.5 }')).config!)).toEqual({ maxDeltaAgeHours: 0.5 });
  expect(validate(base('cutover: { maxDeltaAgeHours: 0 }')).issues.map((i) => [i.path, i.severity])).toEqual([['cutover.maxDeltaAgeHours', 'error']]);
  expect(validate(base('cutover: { maxAge: 3 }')).issues.map((i) => i.path)).toEqual(['cutover.maxAge']);
});

test('a mailbox\'s wave: inline, or the userMap\'s optional wave column', () => {
  writeFileSync(path.join(dir, 'users.csv'), 'source,target,wave\ncarol,carol.ums,wave2\ndave,,\n');
  const r = validate(base('userMap: ./users.csv'));
  expect(r.issues).toEqual([]);
  expect(r.mailboxes?.map((m) => [m.source, m.wave ?? null])).toEqual([['alice', 'wave1'], ['bob', null], ['carol', 'wave2'], ['dave', null]]);
});

test('the example\'s commented-out cutover section validates when enabled', () => {
  const example = fileURLToPath(new URL('../../migration.example.yaml', import.meta.url));
  const text = readFileSync(example, 'utf8').replace('# cutover:\n#   # Hours, more than 0. Default: 24\n#   maxDeltaAgeHours: 24', 'cutover:\n  maxDeltaAgeHours: 12');
  expect(text).toContain('\ncutover:\n  maxDeltaAgeHours: 12');
  const r = validateConfigText(text, { file: example, env: { OLD_IMAP_MASTER_PW: 'm', UMS_PW_ALICE: 'a', UMS_PW_BOB: 'b', AD_BIND_PASSWORD: 'ad', UMS_LDAP_PASSWORD: 'l' } });
  expect(r.issues).toEqual([]);
  expect(r.config?.cutover).toEqual({ maxDeltaAgeHours: 12 });
});
