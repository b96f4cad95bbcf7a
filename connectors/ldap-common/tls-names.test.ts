/**
 * Real slapd (a throwaway instance per certificate, test/lab/slapd-tls.ts): StartTLS and LDAPS
 * check the certificate against the host of the URL: a hostname against DNS SANs, an IP address
 * against IP SANs. A certificate for another name is refused before the bind, so the password
 * never reaches that server.
 */
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { readFileSync, rmSync } from 'node:fs';
import { openLdap, type LdapEndpoint } from './connection.js';
import { makeTestCa, startTlsSlapd, TLS_SLAPD_BIND_DN, TLS_SLAPD_SUFFIX, type TestCa, type TlsSlapd } from '../../test/lab/slapd-tls.js';

let ca: TestCa;
let localhostOnly: TlsSlapd;
let ipOnly: TlsSlapd;

beforeAll(async () => {
  ca = makeTestCa();
  localhostOnly = await startTlsSlapd(ca.issue('localhost-only', 'DNS:localhost'), ca.caFile);
  ipOnly = await startTlsSlapd(ca.issue('ip-only', 'IP:127.0.0.1'), ca.caFile);
});

afterAll(async () => {
  await localhostOnly?.stop();
  await ipOnly?.stop();
  if (ca !== undefined) rmSync(ca.dir, { recursive: true, force: true });
});

type Scheme = 'startTls' | 'ldaps';

function endpoint(server: TlsSlapd, host: string, scheme: Scheme): LdapEndpoint {
  const url = scheme === 'ldaps' ? `ldaps://${host}:${server.tlsPort}` : `ldap://${host}:${server.plainPort}`;
  return { url, bindDn: TLS_SLAPD_BIND_DN, password: server.password, ca: readFileSync(ca.caFile), tlsVerify: true, startTls: scheme === 'startTls', allowInsecure: false, timeoutMs: 10_000 };
}

const count = (server: TlsSlapd, re: RegExp): number => (server.log().match(re) ?? []).length;
const BIND = / BIND dn=/g;
const CLOSED = /conn=\d+ fd=\d+ closed/g;

/** Waits until slapd has logged more than `n` lines matching `re` (its log arrives asynchronously). */
async function until(server: TlsSlapd, re: RegExp, n: number): Promise<void> {
  while (count(server, re) <= n) await new Promise((r) => setTimeout(r, 50));
}

async function bindsAndSearches(ep: LdapEndpoint, server: TlsSlapd): Promise<void> {
  const before = count(server, BIND);
  const client = await openLdap(ep);
  try {
    const { searchEntries } = await client.search(TLS_SLAPD_SUFFIX, { scope: 'base' }).catch((err: Error & { code?: number }) => {
      // The suffix entry does not exist (empty database): "no such object" proves an authenticated round trip too.
      if (err.code === 32) return { searchEntries: [] };
      throw err;
    });
    expect(searchEntries).toEqual([]);
  } finally {
    await client.unbind();
  }
  await until(server, BIND, before);
  expect(server.log()).toContain(`BIND dn="${TLS_SLAPD_BIND_DN}"`);
}

async function refusedBeforeBind(ep: LdapEndpoint, server: TlsSlapd, host: string): Promise<void> {
  const [binds, closed] = [count(server, BIND), count(server, CLOSED)];
  const err = await openLdap(ep).then(() => undefined, (e: Error) => e);
  expect(err).toBeInstanceOf(Error);
  const msg = String(err?.message);
  expect(msg).toContain(ep.url);
  expect(msg).toMatch(/does not match certificate's altnames/);
  expect(msg).toContain(`not valid for ${host}`);
  expect(msg).not.toContain(server.password);
  // The connection reached this server and is over (so it was the certificate that refused it) ...
  await until(server, CLOSED, closed);
  if (ep.startTls) expect(server.log()).toMatch(/EXT oid=1\.3\.6\.1\.4\.1\.1466\.20037/);
  // ... and slapd saw no bind on it: the password was not sent.
  expect(count(server, BIND)).toBe(binds);
}

describe.each<Scheme>(['startTls', 'ldaps'])('%s checks the URL host against the certificate', (scheme) => {
  test('127.0.0.1: a certificate for localhost only is refused before the bind', async () => {
    await refusedBeforeBind(endpoint(localhostOnly, '127.0.0.1', scheme), localhostOnly, '127.0.0.1');
  });

  test('127.0.0.1: a certificate with IP SAN 127.0.0.1 connects and binds', async () => {
    await bindsAndSearches(endpoint(ipOnly, '127.0.0.1', scheme), ipOnly);
  });

  test('localhost: a certificate for localhost connects and binds', async () => {
    await bindsAndSearches(endpoint(localhostOnly, 'localhost', scheme), localhostOnly);
  });

  test('localhost: a certificate for IP 127.0.0.1 only is refused before the bind', async () => {
    await refusedBeforeBind(endpoint(ipOnly, 'localhost', scheme), ipOnly, 'localhost');
  });
});

test('an upper-case LDAPS:// URL is LDAPS with the configured CA and name checks too (the CA was dropped: only "ldaps:" counted)', async () => {
  const ep = endpoint(ipOnly, '127.0.0.1', 'ldaps');
  await bindsAndSearches({ ...ep, url: ep.url.replace(/^ldaps:/, 'LDAPS:') }, ipOnly);
  const wrongName = endpoint(ipOnly, 'localhost', 'ldaps');
  await refusedBeforeBind({ ...wrongName, url: wrongName.url.replace(/^ldaps:/, 'LDAPS:') }, ipOnly, 'localhost');
});
