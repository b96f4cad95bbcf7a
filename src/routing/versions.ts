/**
 * Published versions of the routing maps under `routing.mapDir`:
 *
 *   <mapDir>/versions/v000001/   transport, relay_recipients, virtual (+ their postmap files),
 *                                exchange-plan.csv, exchange-plan.ps1, exchange-changes.ps1,
 *                                warnings.txt, manifest.json
 *   <mapDir>/current -> versions/v000003   (relative symlink; main.cf points below it)
 *
 * Publishing is atomic: the version is written and postmap'ed in a hidden temporary directory,
 * renamed to its final name, and `current` is swapped by renaming a new symlink over it (rename(2)
 * replaces atomically, so Postfix sees the old or the new maps, never a mix). Each manifest names
 * its predecessor, so `rollback` walks back one version at a time. Old versions beyond
 * `keepVersions` are removed, never the current one or its predecessor.
 *
 * Every file is 0600 (maps, their postmap files, the Exchange plan, warnings, manifest: they hold
 * logins and addresses). Postfix does not need more: its daemons open lookup tables as root,
 * before they drop privileges or enter a chroot (that is why proxymap(8) exists for tables opened
 * later), and postmap(1) gives the .db/.lmdb/.cdb the group and other permissions of its source
 * file (tested with the lab's Postfix: test/e2e/routing-postfix*.test.ts). The directories stay
 * 0755: they reveal file names only.
 */
import { mkdir, readdir, readFile, readlink, rename, rm, symlink, chmod } from 'node:fs/promises';
import path from 'node:path';
import type { ForwardedUser } from '../../mappings/routing/exchange-plan.js';
import { MAP_FILES, MAP_NAMES, type MapTexts } from '../../mappings/routing/changes.js';
import { writePrivateFile } from '../util/private-file.js';
import { postmap, type PostfixTools } from './postfix.js';
import { coerceError } from '../util/errors.js';

export interface Manifest {
  version: string;
  createdAt: string;
  createdBy: string;
  /** The version that was current when this one was published. */
  previous: string | null;
  mapType: string;
  /** Logins cut over in this version. */
  cutOver: string[];
  forwarded: ForwardedUser[];
  warnings: number;
}

export interface Version {
  manifest: Manifest;
  dir: string;
  maps: MapTexts;
}

export interface NewVersion {
  maps: MapTexts;
  files: Record<string, string>;
  manifest: Omit<Manifest, 'version' | 'previous'>;
}

const VERSION = /^v(\d{6,})$/;

export function versionsDir(mapDir: string): string {
  return path.join(mapDir, 'versions');
}

export function currentLink(mapDir: string): string {
  return path.join(mapDir, 'current');
}

/** The map file of the current version (what main.cf refers to), e.g. <mapDir>/current/transport. */
export function currentMapFile(mapDir: string, name: (typeof MAP_NAMES)[number]): string {
  return path.join(currentLink(mapDir), MAP_FILES[name]);
}

export async function readVersion(mapDir: string, version: string): Promise<Version> {
  const dir = path.join(versionsDir(mapDir), version);
  const manifest = JSON.parse(await readFile(path.join(dir, 'manifest.json'), 'utf8')) as Manifest;
  const maps = {} as MapTexts;
  for (const n of MAP_NAMES) maps[n] = await readFile(path.join(dir, MAP_FILES[n]), 'utf8');
  return { manifest, dir, maps };
}

/** The current version's name, undefined when nothing is published. */
export async function currentVersionName(mapDir: string): Promise<string | undefined> {
  try {
    return path.basename(await readlink(currentLink(mapDir)));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}

export async function currentVersion(mapDir: string): Promise<Version | undefined> {
  const name = await currentVersionName(mapDir);
  return name === undefined ? undefined : readVersion(mapDir, name);
}

async function versionNames(mapDir: string): Promise<string[]> {
  try {
    return (await readdir(versionsDir(mapDir))).filter((n) => VERSION.test(n)).sort();
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
}

/** Points `current` at `version` atomically. */
async function swapCurrent(mapDir: string, version: string): Promise<void> {
  const tmp = path.join(mapDir, `.current-${process.pid}-${Date.now()}`);
  await symlink(path.join('versions', version), tmp);
  await rename(tmp, currentLink(mapDir));
}

/** Writes, postmaps and activates a new version; returns it. */
export async function publishVersion(mapDir: string, tools: PostfixTools, next: NewVersion, keepVersions: number): Promise<Version> {
  await mkdir(versionsDir(mapDir), { recursive: true, mode: 0o755 });
  const names = await versionNames(mapDir);
  const last = names[names.length - 1];
  const number = last === undefined ? 1 : Number(VERSION.exec(last)![1]) + 1;
  const version = `v${String(number).padStart(6, '0')}`;
  const previous = (await currentVersionName(mapDir)) ?? null;
  const manifest: Manifest = { version, previous, ...next.manifest };
  const tmp = path.join(versionsDir(mapDir), `.tmp-${version}-${process.pid}`);
  await rm(tmp, { recursive: true, force: true });
  await mkdir(tmp, { mode: 0o755 });
  await chmod(tmp, 0o755);
  try {
    for (const n of MAP_NAMES) await writePrivateFile(path.join(tmp, MAP_FILES[n]), next.maps[n]);
    for (const [file, text] of Object.entries(next.files)) await writePrivateFile(path.join(tmp, file), text);
    await writePrivateFile(path.join(tmp, 'manifest.json'), `${JSON.stringify(manifest, null, 2)}\n`);
    for (const n of MAP_NAMES) await postmap(tools, path.join(tmp, MAP_FILES[n]));
    await rename(tmp, path.join(versionsDir(mapDir), version));
  } catch (err) {
    await rm(tmp, { recursive: true, force: true });
    throw err;
  }
  await swapCurrent(mapDir, version);
  await prune(mapDir, keepVersions, [version, previous]);
  return readVersion(mapDir, version);
}

/** Makes the current version's predecessor current again; returns [from, to]. */
export async function rollbackVersion(mapDir: string): Promise<[Version, Version]> {
  const from = await currentVersion(mapDir);
  if (from === undefined) throw new Error(`nothing published in ${mapDir}: no version to roll back from`);
  if (from.manifest.previous === null) throw new Error(`${from.manifest.version} is the first published version: there is no previous version to roll back to`);
  let to: Version;
  try {
    to = await readVersion(mapDir, from.manifest.previous);
  } catch (err) {
    throw new Error(`previous version ${from.manifest.previous} is not readable (${(err as NodeJS.ErrnoException).code ?? coerceError(err).message}); nothing changed`);
  }
  await swapCurrent(mapDir, to.manifest.version);
  return [from, to];
}

/**
 * Makes an earlier `version` current again in one atomic swap (a wave's rollback to the maps from
 * before the wave); returns [from, to]. The version must still exist (see keepVersions).
 */
export async function activateVersion(mapDir: string, version: string): Promise<[Version | undefined, Version]> {
  const from = await currentVersion(mapDir);
  let to: Version;
  try {
    to = await readVersion(mapDir, version);
  } catch (err) {
    throw new Error(`version ${version} in ${versionsDir(mapDir)} is not readable (${(err as NodeJS.ErrnoException).code ?? coerceError(err).message}; removed by routing.keepVersions?); nothing changed`);
  }
  await swapCurrent(mapDir, to.manifest.version);
  return [from, to];
}

async function prune(mapDir: string, keep: number, protect: (string | null)[]): Promise<void> {
  const names = await versionNames(mapDir);
  for (const n of names.slice(0, Math.max(0, names.length - keep))) {
    if (!protect.includes(n)) await rm(path.join(versionsDir(mapDir), n), { recursive: true, force: true });
  }
}
