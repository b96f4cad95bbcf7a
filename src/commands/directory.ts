/**
 * `directory sync`: the source directory (AD or LDAP, `directory.source`) → the UMS directory
 * (`directory.target`). Prints a summary (or JSON); `--dry-run` prints the LDIF it would apply
 * and writes nothing (neither the directory nor the checkpoint). Exit 0 when every entry synced,
 * 3 when some entries were refused or failed (each listed with its reason), 4 when another
 * directory sync holds this state store's directory lock.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { LdapDirectorySource } from '../../connectors/ldap-source/index.js';
import { parseOverrides } from '../../connectors/ldap-source/overrides.js';
import { LdapDirectoryTarget } from '../../connectors/ldap-target/index.js';
import type { LdapEndpoint } from '../../connectors/ldap-common/connection.js';
import type { TargetProfile } from '../../mappings/directory/entry-mapping.js';
import { EXIT } from '../cli/exit-codes.js';
import { printErr, printOut } from '../cli/output.js';
import type { DirectoryEndpointConfig } from '../config/directory-schema.js';
import { ConfigError, loadConfig } from '../config/load.js';
import { resolveSecret } from '../config/secrets.js';
import { utf8TextOf } from '../config/utf8.js';
import { runDirectorySync, type DirectorySyncReport } from '../directory/sync.js';
import { lockPathFor, openStateStore } from '../state/open.js';
import { acquireRunLock } from '../state/run-lock.js';
import { writePrivateFile } from '../util/private-file.js';
import { forTerminal } from '../util/terminal-text.js';

export interface DirectorySyncOptions {
  config: string;
  dryRun?: boolean;
  full?: boolean;
  json?: boolean;
  out?: string;
}

function endpoint(cfg: DirectoryEndpointConfig, baseDir: string): LdapEndpoint {
  const ep: LdapEndpoint = {
    url: cfg.url, bindDn: cfg.bindDn, password: resolveSecret(cfg.bindPassword, { baseDir, env: process.env }),
    tlsVerify: cfg.tlsVerify, startTls: cfg.startTls, allowInsecure: cfg.allowInsecure,
  };
  if (cfg.caFile !== undefined) ep.ca = readFileSync(path.resolve(baseDir, cfg.caFile));
  return ep;
}

/** The human report (terminal or --out file); entry names and reasons come from the directories: escaped one by one. */
export function formatDirectoryReport(r: DirectorySyncReport): string {
  const lines = [
    `directory sync (${r.mode}${r.dryRun ? ', dry run' : ''}): read ${r.read.entries} entries (${r.read.users} users, ${r.read.groups} groups, ${r.read.contacts} contacts${r.read.retried > 0 ? `, ${r.read.retried} failed before and read again` : ''})`,
    `${r.dryRun ? 'would add' : 'added'} ${r.adds}, ${r.dryRun ? 'would modify' : 'modified'} ${r.modifies}, unchanged ${r.unchanged}, errors ${r.errors.length}, warnings ${r.warnings.length}`,
  ];
  if (r.orphans.length > 0) lines.push(`${r.orphans.length} UMS entries below the base have no source user (deleted or outside the selection; not deleted): ${r.orphans.slice(0, 20).map(forTerminal).join('; ')}${r.orphans.length > 20 ? '; …' : ''}`);
  for (const e of r.errors) lines.push(`  error   ${forTerminal(e.entry)}: ${forTerminal(e.reason)}`);
  for (const w of r.warnings) lines.push(`  warning ${forTerminal(w.entry)}: ${forTerminal(w.reason)}`);
  return `${lines.join('\n')}\n`;
}

export async function directorySyncCommand(opts: DirectorySyncOptions): Promise<number> {
  const loaded = await loadConfig(opts.config);
  const dir = loaded.config.directory;
  if (!dir) throw new ConfigError([{ path: 'directory', message: 'no directory section: see "directory:" in migration.example.yaml', severity: 'error' }], loaded.file);
  const baseDir = loaded.baseDir;
  let overrides;
  const notes: string[] = [];
  if (dir.source.overrides !== undefined) {
    const file = path.resolve(baseDir, dir.source.overrides);
    overrides = parseOverrides(utf8TextOf(readFileSync(file), path.basename(file)), path.basename(file));
    notes.push(...overrides.problems);
  }
  const loginMap = new Map(loaded.mailboxes.map((m) => [m.source.toLowerCase(), m.target]));
  const source = new LdapDirectorySource({
    endpoint: endpoint(dir.source, baseDir), base: dir.source.base, flavor: dir.source.kind, pageSize: dir.source.pageSize,
    ...(dir.source.filter !== undefined ? { filter: dir.source.filter } : {}),
    ...(dir.source.group !== undefined ? { groupDn: dir.source.group } : {}),
  });
  const target = new LdapDirectoryTarget(endpoint(dir.target, baseDir), { pageSize: dir.target.pageSize, concurrency: dir.target.concurrency });
  // One directory sync at a time per state store (its own lock: mail runs may go on meanwhile).
  const release = opts.dryRun ? () => undefined : acquireRunLock(`${lockPathFor(loaded.config.state)}.directory`, 'directory sync');
  const store = await openStateStore(loaded.config.state, { baseDir }).catch((err: unknown) => {
    release();
    throw err;
  });
  try {
    const report = await runDirectorySync({
      source, target, store, ...(overrides ? { overrides } : {}),
      checkpointName: `directory:${dir.source.url}/${dir.source.base}->${dir.target.url}/${dir.target.base}`,
      plan: {
        profile: dir.target.profile as TargetProfile, base: dir.target.base, entryObjectClasses: dir.target.entryObjectClasses,
        extraObjectClasses: dir.target.extraObjectClasses, allowMailChange: dir.target.allowMailChange,
        domainRules: dir.domainRewrite, loginMap, ...(dir.target.groups ? { groups: dir.target.groups } : {}),
      },
    }, { dryRun: opts.dryRun === true, full: opts.full === true });
    report.warnings.unshift(...notes.map((n) => ({ entry: 'overrides', reason: n })));
    const text = opts.json ? `${JSON.stringify(report, null, 2)}\n` : opts.dryRun ? report.ldif : formatDirectoryReport(report);
    if (opts.out !== undefined) await writePrivateFile(opts.out, text); // 0600: DNs, logins, addresses
    else if (opts.json) process.stdout.write(text);
    else printOut(text); // the report, or LDIF (which base64-encodes any unsafe value itself)
    if (opts.dryRun && !opts.json) printErr(formatDirectoryReport(report));
    return report.errors.length > 0 ? EXIT.PARTIAL : EXIT.OK;
  } finally {
    await target.close();
    await store.close();
    release();
  }
}
