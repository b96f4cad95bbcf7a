import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { validateConfigText } from './load.js';

const example = fileURLToPath(new URL('../../migration.example.yaml', import.meta.url));
// Every secret the example names, the directory section's bind passwords too (validate checks them all).
const env = { OLD_IMAP_MASTER_PW: 'master', UMS_PW_ALICE: 'a', UMS_PW_BOB: 'b', AD_BIND_PASSWORD: 'ad', UMS_LDAP_PASSWORD: 'ldap' };

/** The example with its commented-out `routing:` block enabled. */
function withRouting(edit: (block: string) => string = (b) => b): string {
  const text = readFileSync(example, 'utf8');
  const start = text.indexOf('# routing:\n');
  const blank = text.indexOf('\n\n', start);
  const end = blank < 0 ? text.length : blank + 1;
  const block = text.slice(start, end).replace('#   # postfixBinDir', '#   postfixBinDir').replace('#   # auditFile', '#   auditFile')
    .split('\n').filter((l) => l.startsWith('# ') && !l.startsWith('#   #')).map((l) => l.slice(2)).join('\n');
  return `${text.slice(0, start)}${edit(block)}\n${text.slice(end)}`;
}

describe('routing: section', () => {
  test('the documented example validates, with defaults filled and paths made absolute', () => {
    const r = validateConfigText(withRouting(), { file: example, env });
    expect(r.issues).toEqual([]);
    const dir = path.dirname(example);
    expect(r.config?.routing).toEqual({
      domains: ['corp.example'],
      routingSubdomain: 'ums.corp.example',
      exchangeHost: '[exchange.corp.example]:25',
      umsTransport: 'lmtp:unix:private/courier-lmtp',
      mapDir: path.join(dir, 'routing'),
      mapType: 'hash',
      postfixConfigDir: '/etc/postfix',
      postfixBinDir: '/usr/sbin',
      addressBook: { format: 'csv', file: path.join(dir, 'address-book.csv') },
      auditFile: path.join(dir, '.ums-migrate/routing-audit.jsonl'),
      keepVersions: 20,
    });
  });

  test.each([
    ['directory', { format: 'directory' }],
    ['{ format: directory }', { format: 'directory' }],
    ['./books/book.csv', { format: 'csv', file: path.join(path.dirname(example), 'books/book.csv') }],
  ])('addressBook: %s', (value, expected) => {
    const r = validateConfigText(withRouting((b) => b.replace(/addressBook:\n\s+format: csv\n\s+file: \.\/address-book\.csv/, `addressBook: ${value}`)), { file: example, env });
    expect(r.issues).toEqual([]);
    expect(r.config?.routing?.addressBook).toEqual(expected);
  });

  test('addressBook: anything else names the choices', () => {
    const r = validateConfigText(withRouting((b) => b.replace(/addressBook:\n\s+format: csv\n\s+file: \.\/address-book\.csv/, 'addressBook: { format: ldap }')), { file: example, env });
    expect(r.issues.find((i) => i.path.startsWith('routing.addressBook'))?.message).toBe('expected "directory" (the directory sync\'s state), a CSV file path, or { format: csv, file: PATH }');
  });

  test('without the section there is no routing config', () => {
    const r = validateConfigText(readFileSync(example, 'utf8'), { file: example, env });
    expect(r.config?.routing).toBeUndefined();
  });

  test.each([
    [(b: string) => b.replace('routingSubdomain: ums.corp.example', 'routingSubdomain: corp.example'), 'routing.routingSubdomain', 'must differ from the coexistence domains (corp.example is one of them)'],
    [(b: string) => b.replace('domains: [corp.example]', 'domains: [corp]'), 'routing.domains[0]', 'not a valid mail domain: "corp"'],
    [(b: string) => b.replace('exchangeHost: "[exchange.corp.example]:25"', 'exchangeHost: "[exchange] :25"'), 'routing.exchangeHost', 'expected a next hop such as "[exchange.corp.example]:25" (no spaces)'],
    [(b: string) => b.replace('umsTransport: "lmtp:unix:private/courier-lmtp"', 'umsTransport: courier'), 'routing.umsTransport', 'expected a transport(5) result such as "lmtp:unix:private/courier-lmtp" or "local:"'],
    [(b: string) => b.replace('keepVersions: 20', 'keepVersions: 1'), 'routing.keepVersions', undefined],
  ])('errors name the field (%#)', (edit, field, message) => {
    const r = validateConfigText(withRouting(edit), { file: example, env });
    const issue = r.issues.find((i) => i.path === field);
    expect(issue).toBeDefined();
    if (message !== undefined) expect(issue?.message).toBe(message);
  });
});
