import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { validateConfigText } from '../../src/config/load.js';

const example = fileURLToPath(new URL('../../migration.example.yaml', import.meta.url));
const env = { OLD_IMAP_MASTER_PW: 'm', EWS_SERVICE_PW: 's', EWS_CLIENT_SECRET: 'c', UMS_PW_ALICE: 'a', UMS_PW_BOB: 'b', AD_BIND_PASSWORD: 'ad', UMS_LDAP_PASSWORD: 'ldap' };

/** The example with its IMAP source replaced by the commented EWS source section. */
function ewsExample(): string {
  const text = readFileSync(example, 'utf8');
  const lines = text.split('\n');
  const from = lines.indexOf('#source:');
  const to = lines.findIndex((l, i) => i > from && !l.startsWith('#'));
  const ews = lines.slice(from, to).map((l) => l.slice(1)).join('\n');
  return text.replace(/\nsource:\n[\s\S]*?\n(?=\n# --- Exchange)/, `\n${ews}\n`);
}

describe('EWS source config', () => {
  test('the commented EWS section of migration.example.yaml validates', () => {
    const r = validateConfigText(ewsExample(), { file: example, env });
    expect(r.issues).toEqual([]);
    expect(r.config?.source).toMatchObject({
      type: 'ews', url: 'https://mail.old.example/EWS/Exchange.asmx', impersonation: true, exchangeVersion: 'Exchange2013_SP1', maxConnections: 8, vcardVersion: '3.0',
      auth: { mode: 'master', method: 'basic', masterUser: 'svc-migrate@old.example', masterPassword: 'env:EWS_SERVICE_PW' },
    });
  });

  test('oauth2 derives the token URL from the tenant; plaintext needs allowInsecure; missing fields are named', () => {
    const base = ewsExample();
    const oauth = base.replace(/ {4}mode: master\n[\s\S]*? {4}masterPassword: .*\n/, '    mode: oauth2\n    tenant: contoso.onmicrosoft.com\n    clientId: app\n    clientSecret: env:EWS_CLIENT_SECRET\n');
    const r = validateConfigText(oauth, { file: example, env });
    expect(r.issues).toEqual([]);
    const src = r.config?.source;
    expect(src?.type === 'ews' ? src.auth : src).toEqual({
      mode: 'oauth2', tokenUrl: 'https://login.microsoftonline.com/contoso.onmicrosoft.com/oauth2/v2.0/token', clientId: 'app', clientSecret: 'env:EWS_CLIENT_SECRET', scope: 'https://outlook.office365.com/.default',
    });
    const plain = validateConfigText(base.replace('url: https://mail.old.example', 'url: http://mail.old.example'), { file: example, env });
    expect(plain.issues.map((i) => `${i.path}: ${i.message}`)).toEqual([expect.stringMatching(/^source\.url: http:\/\/ sends credentials in plaintext/)]);
    const missing = validateConfigText(oauth.replace('    clientId: app\n', ''), { file: example, env });
    expect(missing.issues.map((i) => `${i.path}: ${i.message}`)).toEqual(['source.auth.clientId: required when mode is oauth2']);
  });
});
