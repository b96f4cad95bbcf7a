/**
 * A throwaway OpenLDAP slapd for TLS name-check tests: a test CA of its own, one server
 * certificate with exactly the subjectAltNames asked for, and a slapd serving it on free loopback
 * ports (ldap:// for StartTLS and ldaps://), config and data in a temp dir. slapd runs in the
 * foreground with `-d stats`, so the test can read which operations (BIND) reached it. Nothing of
 * the shared lab slapd (`slapd.sh`) is touched.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';

export const TLS_SLAPD_SUFFIX = 'dc=tls,dc=example';
export const TLS_SLAPD_BIND_DN = `cn=admin,${TLS_SLAPD_SUFFIX}`;

export interface TlsSlapd {
  /** ldap://127.0.0.1:<port> (use with startTls). */
  plainPort: number;
  /** ldaps:// port. */
  tlsPort: number;
  /** PEM of the test CA that signed the server certificate. */
  caFile: string;
  password: string;
  /** Everything slapd wrote to stderr so far (`-d stats`: one line per operation). */
  log(): string;
  stop(): Promise<void>;
}

export interface TestCa {
  dir: string;
  caFile: string;
  /** Makes a server certificate signed by this CA with the given SAN (e.g. `DNS:localhost`). */
  issue(name: string, san: string): { cert: string; key: string };
}

function openssl(args: string[], cwd: string): void {
  execFileSync('openssl', args, { cwd, stdio: ['ignore', 'ignore', 'pipe'] });
}

/** A CA of the test's own in a new temp dir. */
export function makeTestCa(): TestCa {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'ums-tls-ca-'));
  openssl(['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-sha256', '-days', '2', '-keyout', 'ca.key', '-out', 'ca.crt',
    '-subj', '/O=UMS test/CN=UMS TLS name-check test CA', '-addext', 'basicConstraints=critical,CA:TRUE',
    '-addext', 'keyUsage=critical,keyCertSign,cRLSign'], dir);
  return {
    dir,
    caFile: path.join(dir, 'ca.crt'),
    issue(name, san) {
      writeFileSync(path.join(dir, `${name}.ext`), ['basicConstraints=critical,CA:FALSE', 'keyUsage=critical,digitalSignature,keyEncipherment',
        'extendedKeyUsage=serverAuth', `subjectAltName=${san}`, ''].join('\n'));
      // CN is neither the host nor the IP: only the SAN decides.
      openssl(['req', '-newkey', 'rsa:2048', '-nodes', '-sha256', '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', `/O=UMS test/CN=${name}`], dir);
      openssl(['x509', '-req', '-in', `${name}.csr`, '-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial', '-days', '2', '-sha256',
        '-extfile', `${name}.ext`, '-out', `${name}.crt`], dir);
      return { cert: path.join(dir, `${name}.crt`), key: path.join(dir, `${name}.key`) };
    },
  };
}

async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve, reject) => server.once('error', reject).listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

async function waitPort(port: number, child: ChildProcess, output: () => string): Promise<void> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`test slapd exited with ${child.exitCode}: ${output().slice(-2000)}`);
    const ok = await new Promise<boolean>((resolve) => {
      const s = net.connect(port, '127.0.0.1');
      s.once('connect', () => { s.destroy(); resolve(true); });
      s.once('error', () => resolve(false));
    });
    if (ok) return;
    if (Date.now() > deadline) throw new Error(`test slapd does not listen on 127.0.0.1:${port}: ${output().slice(-2000)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Starts a slapd serving `cert`/`key` (signed by `caFile`); stop() kills it and deletes its dir. */
export async function startTlsSlapd(cert: { cert: string; key: string }, caFile: string): Promise<TlsSlapd> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'ums-tls-slapd-'));
  mkdirSync(path.join(dir, 'data'));
  const password = `Tls-${Math.random().toString(36).slice(2)}-9a`;
  writeFileSync(path.join(dir, 'slapd.conf'), [
    'include /etc/ldap/schema/core.schema',
    `pidfile ${dir}/slapd.pid`,
    `argsfile ${dir}/slapd.args`,
    'modulepath /usr/lib/ldap',
    'moduleload back_mdb',
    `TLSCACertificateFile ${caFile}`,
    `TLSCertificateFile ${cert.cert}`,
    `TLSCertificateKeyFile ${cert.key}`,
    'database mdb',
    `suffix "${TLS_SLAPD_SUFFIX}"`,
    `rootdn "${TLS_SLAPD_BIND_DN}"`,
    `rootpw ${password}`,
    `directory ${dir}/data`,
    'maxsize 10485760',
    '',
  ].join('\n'), { mode: 0o600 });
  const [plainPort, tlsPort] = [await freePort(), await freePort()];
  const child = spawn('/usr/sbin/slapd', ['-d', 'stats', '-f', path.join(dir, 'slapd.conf'), '-h', `ldap://127.0.0.1:${plainPort}/ ldaps://127.0.0.1:${tlsPort}/`],
    { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (b: Buffer) => { output += b.toString('utf8'); });
  child.stderr.on('data', (b: Buffer) => { output += b.toString('utf8'); });
  const stop = async (): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null) {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
    }
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    await waitPort(plainPort, child, () => output);
    await waitPort(tlsPort, child, () => output);
  } catch (err) {
    await stop();
    throw err;
  }
  return { plainPort, tlsPort, caFile, password, log: () => output, stop };
}
