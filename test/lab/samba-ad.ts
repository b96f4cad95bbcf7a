/**
 * The Active Directory of the directory-sync tests: thin TypeScript front of
 * `test/lab/samba-ad.sh` (Samba AD DC, LDAPS on 127.0.0.3:636, base DC=corp,DC=example, data in
 * `<lab>/ldap`). Safe to call from several jest workers at once; tests keep to OUs of their own
 * (`freshOu`) so they never see each other's entries.
 */
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { Client } from 'ldapts';
import { LAB_SCRIPT, labDir } from './lab.js';
import { runLabScript } from './script.js';

export const SAMBA_SCRIPT = path.join(path.dirname(LAB_SCRIPT), 'samba-ad.sh');
export const AD_HOST = '127.0.0.3';
export const AD_URL = `ldaps://${AD_HOST}:636`;
export const AD_BASE = 'DC=corp,DC=example';
export const AD_BIND_DN = 'Administrator@corp.example';

export interface AdLab {
  url: string;
  base: string;
  bindDn: string;
  password: string;
  /** The LDAP lab CA (PEM file). */
  caFile: string;
}

export function ldapCaFile(): string {
  return path.join(labDir(), 'ldap', 'tls', 'ca.crt');
}

let started: Promise<AdLab> | undefined;

async function info(): Promise<AdLab> {
  return { url: AD_URL, base: AD_BASE, bindDn: AD_BIND_DN, password: await runLabScript(SAMBA_SCRIPT, ['password']), caFile: ldapCaFile() };
}

/** Starts the DC unless it answers (idempotent). */
export function startAd(): Promise<AdLab> {
  started ??= runLabScript(SAMBA_SCRIPT, ['up']).then(info).catch((err: unknown) => {
    started = undefined;
    throw err;
  });
  return started;
}

/** Replaces the DC's data by a copy of a template (default: the freshly provisioned domain). */
export async function resetAd(template = 'base'): Promise<AdLab> {
  started = undefined;
  await runLabScript(SAMBA_SCRIPT, ['reset', template]);
  return startAd();
}

export async function snapshotAd(name: string): Promise<void> {
  await runLabScript(SAMBA_SCRIPT, ['snapshot', name]);
}

export async function hasAdTemplate(name: string): Promise<boolean> {
  return runLabScript(SAMBA_SCRIPT, ['has-template', name]).then(() => true, () => false);
}

export async function stopAd(): Promise<void> {
  started = undefined;
  await runLabScript(SAMBA_SCRIPT, ['down']);
}

/** A bound LDAPS client (lab CA verified). */
export async function adClient(lab: AdLab): Promise<Client> {
  const { readFileSync } = await import('node:fs');
  const client = new Client({ url: lab.url, tlsOptions: { ca: readFileSync(lab.caFile) }, timeout: 60_000 });
  await client.bind(lab.bindDn, lab.password);
  return client;
}

/** A new, empty OU under the base, unique to the caller (`OU=<prefix>-<random>,DC=corp,DC=example`). */
export async function freshOu(client: Client, prefix: string): Promise<string> {
  const name = `${prefix}-${Date.now().toString(36)}-${randomBytes(3).toString('hex')}`;
  const dn = `OU=${name},${AD_BASE}`;
  await client.add(dn, { objectClass: ['top', 'organizationalUnit'], ou: name });
  return dn;
}
