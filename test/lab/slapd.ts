/**
 * The UMS directory of the directory-sync tests: thin TypeScript front of `test/lab/slapd.sh`
 * (OpenLDAP on 127.0.0.1:17389 / LDAPS 17636, suffixes dc=ums / dc=kopano / dc=floor,
 * dc=example, data in `<lab>/ldap/slapd`). Safe to call from several jest workers at once; tests
 * keep to OUs of their own (`freshUmsOu`).
 */
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { Client } from 'ldapts';
import { LAB_SCRIPT } from './lab.js';
import { ldapCaFile } from './samba-ad.js';
import { runLabScript } from './script.js';

export const SLAPD_SCRIPT = path.join(path.dirname(LAB_SCRIPT), 'slapd.sh');
export const SLAPD_HOST = '127.0.0.1';
export const SLAPD_PORT = 17389;
export const SLAPD_TLS_PORT = 17636;
export const UMS_SUFFIX = 'dc=ums,dc=example';
export const KOPANO_SUFFIX = 'dc=kopano,dc=example';
export const FLOOR_SUFFIX = 'dc=floor,dc=example';

export interface SlapdLab {
  url: string;
  plainUrl: string;
  password: string;
  caFile: string;
  /** The root DN of a suffix: cn=admin,<suffix>. */
  bindDn(suffix: string): string;
}

let started: Promise<SlapdLab> | undefined;

async function info(): Promise<SlapdLab> {
  return {
    url: `ldaps://${SLAPD_HOST}:${SLAPD_TLS_PORT}`,
    plainUrl: `ldap://${SLAPD_HOST}:${SLAPD_PORT}`,
    password: await runLabScript(SLAPD_SCRIPT, ['password']),
    caFile: ldapCaFile(),
    bindDn: (suffix) => `cn=admin,${suffix}`,
  };
}

/** Starts slapd unless it answers (idempotent). */
export function startSlapd(): Promise<SlapdLab> {
  started ??= runLabScript(SLAPD_SCRIPT, ['up']).then(info).catch((err: unknown) => {
    started = undefined;
    throw err;
  });
  return started;
}

/** Stops slapd, deletes all data, starts it again (the benchmark's fresh directory). */
export async function resetSlapd(): Promise<SlapdLab> {
  started = undefined;
  await runLabScript(SLAPD_SCRIPT, ['reset']);
  return startSlapd();
}

export async function stopSlapd(): Promise<void> {
  started = undefined;
  await runLabScript(SLAPD_SCRIPT, ['down']);
}

export async function slapdClient(lab: SlapdLab, suffix = UMS_SUFFIX): Promise<Client> {
  const client = new Client({ url: lab.url, tlsOptions: { ca: readFileSync(lab.caFile) }, timeout: 60_000 });
  await client.bind(lab.bindDn(suffix), lab.password);
  return client;
}

/** A new, empty OU under `suffix`, unique to the caller. */
export async function freshUmsOu(client: Client, prefix: string, suffix = UMS_SUFFIX): Promise<string> {
  const name = `${prefix}-${Date.now().toString(36)}-${randomBytes(3).toString('hex')}`;
  const dn = `ou=${name},${suffix}`;
  await client.add(dn, { objectClass: ['top', 'organizationalUnit'], ou: name });
  return dn;
}
