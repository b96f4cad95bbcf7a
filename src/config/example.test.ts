import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadConfig, validateConfigText } from './load.js';

const example = fileURLToPath(new URL('../../migration.example.yaml', import.meta.url));
// Every secret the example names, the directory section's bind passwords too (validate checks them all).
const env = { OLD_IMAP_MASTER_PW: 'master', UMS_PW_ALICE: 'a', UMS_PW_BOB: 'b', AD_BIND_PASSWORD: 'ad', UMS_LDAP_PASSWORD: 'ldap' };

describe('migration.example.yaml', () => {
  test('validates cleanly (secret refs resolvable) with realistic values', async () => {
    const text = readFileSync(example, 'utf8');
    const r = validateConfigText(text, { file: example, env });
    expect(r.issues).toEqual([]);
    const loaded = await loadConfig(example, { env, checkRefs: true });
    const c = loaded.config;
    if (c.source.type !== 'imap') throw new Error(`the example's source is ${c.source.type}, not imap`);
    expect(c.source).toMatchObject({ type: 'imap', host: 'imap.old.example', port: 993, tls: 'implicit', maxConnections: 6 });
    expect(c.source.auth).toEqual({ mode: 'master', masterUser: 'migration-admin', masterPassword: 'env:OLD_IMAP_MASTER_PW', masterStyle: 'separator', masterSeparator: '*' });
    expect(c.target).toMatchObject({ type: 'ums-imap', host: 'imap.ums.example', port: 993, auth: { mode: 'user' }, utf8Accept: true });
    expect(c.state).toEqual({ driver: 'sqlite', path: path.join(path.dirname(example), '.ums-migrate/state.sqlite') });
    expect(c.folders.rename).toEqual([{ from: 'Old Stuff', to: 'Archive/Old' }]);
    expect(c.filters.maxMessageSize).toBe(50 * 1024 * 1024);
    expect(loaded.mailboxes.map((m) => `${m.source}→${m.target}`)).toEqual(['alice@old.example→alice@ums.example', 'bob@old.example→bob@ums.example']);
    expect(loaded.resolveSecret(c.source.auth.mode === 'master' ? c.source.auth.masterPassword : 'env:NONE')).toBe('master');
  });

  test('the commented-out options validate too when enabled', () => {
    const text = readFileSync(example, 'utf8')
      .replace('  # url: env:UMS_STATE_URL', '  url: env:UMS_STATE_URL')
      .replace('  driver: sqlite', '  driver: postgres')
      .replace('  path: ./.ums-migrate/state.sqlite\n', '')
      .replace('  # namespace:\n  #   prefix: "INBOX."\n  #   delimiter: "."', '  namespace:\n    prefix: "INBOX."\n    delimiter: "."')
      .replace('  # before: 2024-01-01', '  before: 2024-01-01')
      .replace('  # since: 2020-01-01', '  since: 2020-01-01');
    const r = validateConfigText(text, { file: example, env: { ...env, UMS_STATE_URL: 'postgres://x' } });
    expect(r.issues).toEqual([]);
    expect(r.config?.state).toEqual({ driver: 'postgres', url: 'env:UMS_STATE_URL', allowInsecure: false });
    expect(r.config?.target.namespace).toEqual({ prefix: 'INBOX.', delimiter: '.' });
    expect(r.config?.filters.before).toEqual(new Date('2024-01-01T00:00:00Z'));
    expect(r.config?.filters.since).toEqual(new Date('2020-01-01T00:00:00Z'));
  });

  test('fails with the example env var missing, naming the path', () => {
    const r = validateConfigText(readFileSync(example, 'utf8'), { file: example, env: { ...env, UMS_PW_BOB: undefined } });
    expect(r.issues.map((i) => [i.path, i.message])).toEqual([['mailboxes[1].targetPassword', 'env var UMS_PW_BOB is not set']]);
  });
});
