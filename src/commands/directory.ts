/**
 * `directory sync`: the source directory (AD or LDAP, `directory.source`) → the UMS directory
 * (`directory.target`). Prints a summary (or JSON); `--dry-run` prints the LDIF it would apply
 * and writes nothing (neither the directory nor the checkpoint). Exit 0 when every entry synced,
 * 3 when some entries were refused or failed (each listed with its reason), 4 when another
 * directory sync holds this state store's directory lock.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { ldapEndpointFrom } from '../../connectors/ldap-common/from-config.js';
import { directorySourceFrom } from '../../connectors/ldap-source/from-config.js';
import { parseOverrides, type Overrides } from '../../connectors/ldap-source/overrides.js';
import { LdapDirectoryTarget } from '../../connectors/ldap-target/index.js';
import type { TargetProfile } from '../../mappings/directory/entry-mapping.js';
import { EXIT } from '../util/exit-codes.js';
import { printErr, printJsonText, printOut } from '../cli/output.js';
import { ConfigError, loadConfig } from '../config/load.js';
import { utf8TextOf } from '../config/utf8.js';
import { commandLogger, runLogged } from '../command-log.js';
import { directoryCheckpointName } from '../directory/state.js';
import { acquireDirectorySyncLock } from '../directory/sync-lock.js';
import { runDirectorySync, type DirectorySyncReport } from '../directory/sync.js';
import { openStateStore } from '../state/open.js';
import { writePrivateFile } from '../util/private-file.js';
import { forTerminal } from '../util/terminal-text.js';

export interface DirectorySyncOptions {
  config: string;
  dryRun?: boolean;
  full?: boolean;
  json?: boolean;
  out?: string;
}

/** The human report (terminal or --out file); entry names and reasons come from the directories: escaped one by one. */
export function formatDirectoryReport(r: DirectorySyncReport): string {
  const lines = [
    `directory sync (${r.mode}${r.dryRun ? ', dry run' : ''}): read ${r.read.entries} entries (${r.read.users} users, ${r.read.groups} groups, ${r.read.contacts} contacts${r.read.retried > 0 ? `, ${r.read.retried} failed before and read again` : ''}${r.read.regrouped > 0 ? `, ${r.read.regrouped} group(s) read again for a member's change` : ''})`,
    `${r.dryRun ? 'would add' : 'added'} ${r.adds}, ${r.dryRun ? 'would modify' : 'modified'} ${r.modifies}, ${r.dryRun ? 'would delete' : 'deleted'} ${r.deletes}, unchanged ${r.unchanged}, errors ${r.errors.length}, warnings ${r.warnings.length}`,
  ];
  const names = (list: readonly string[]): string => `${list.slice(0, 20).map(forTerminal).join(', ')}${list.length > 20 ? ', …' : ''}`;
  const d = r.deprovision;
  if (d.guard !== undefined) lines.push(forTerminal(d.guard));
  if (d.disabled.length > 0) lines.push(`deprovisioning: ${r.dryRun ? 'would disable' : 'disabled'} ${d.disabled.length} UMS account(s) of users disabled or gone in the source: ${names(d.disabled)}`);
  if (d.deleted.length > 0) lines.push(`deprovisioning: ${r.dryRun ? 'would delete' : 'deleted'} ${d.deleted.length} UMS account(s) of users disabled or gone in the source: ${names(d.deleted)}`);
  for (const p of d.pending.slice(0, 20)) lines.push(`deprovisioning: ${forTerminal(p.entry)} is disabled or gone in the source: ${p.action} due ${p.due.slice(0, 10)} (graceDays)`);
  if (d.ignored.length > 0) lines.push(`deprovisioning: ${d.ignored.length} UMS account(s) of users disabled or gone in the source left as they are (deprovision.policy: ignore): ${names(d.ignored)}`);
  if (d.notCreated.length > 0) lines.push(`deprovisioning: ${d.notCreated.length} user(s) disabled in the source not created in the UMS: ${names(d.notCreated)}`);
  if (d.reenabled.length > 0) lines.push(`deprovisioning: ${d.reenabled.length} user(s) enabled again in the source, disable mark lifted: ${names(d.reenabled)}`);
  if (r.gal) lines.push(`GAL contacts of users still on Exchange: ${r.dryRun ? 'would add' : 'added'} ${r.gal.added}, updated ${r.gal.updated}, removed ${r.gal.removed} (cut over or gone), unchanged ${r.gal.unchanged}`);
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
  let overrides: Overrides | undefined;
  const notes: string[] = [];
  if (dir.source.overrides !== undefined) {
    const file = path.resolve(baseDir, dir.source.overrides);
    overrides = parseOverrides(utf8TextOf(readFileSync(file), path.basename(file)), path.basename(file));
    notes.push(...overrides.problems);
  }
  const loginMap = new Map(loaded.mailboxes.map((m) => [m.source.toLowerCase(), m.target]));
  const source = directorySourceFrom(dir.source, ldapEndpointFrom(dir.source, baseDir));
  const target = new LdapDirectoryTarget(ldapEndpointFrom(dir.target, baseDir), { pageSize: dir.target.pageSize, concurrency: dir.target.concurrency });
  // One directory sync at a time per state store (its own lock: mail runs may go on meanwhile).
  const secrets = { baseDir, env: process.env };
  const release = opts.dryRun ? async () => undefined : await acquireDirectorySyncLock(loaded.config.state, directoryCheckpointName(dir), secrets);
  const store = await openStateStore(loaded.config.state, secrets).catch(async (err: unknown) => {
    await release();
    throw err;
  });
  const log = commandLogger(loaded.config.logging, 'directory sync');
  try {
    return await runLogged(log, 'directory sync', { source: dir.source.url, sourceBase: dir.source.base, target: dir.target.url, targetBase: dir.target.base, dryRun: opts.dryRun === true, full: opts.full === true }, async () => {
      const report = await runDirectorySync({
        source, target, store, log, ...(overrides ? { overrides } : {}),
        checkpointName: directoryCheckpointName(dir),
        plan: {
          profile: dir.target.profile as TargetProfile, base: dir.target.base, entryObjectClasses: dir.target.entryObjectClasses,
          extraObjectClasses: dir.target.extraObjectClasses, allowMailChange: dir.target.allowMailChange,
          domainRules: dir.domainRewrite, loginMap, loginRule: dir.loginRule,
          ...(dir.target.groups ? { groups: dir.target.groups } : {}),
          ...(dir.target.contacts ? { contacts: dir.target.contacts } : {}),
          ...(dir.target.mailboxTypeAttribute !== undefined ? { mailboxTypeAttribute: dir.target.mailboxTypeAttribute } : {}),
        },
        deprovision: { action: dir.deprovision.policy, graceDays: dir.deprovision.graceDays, disable: dir.deprovision.disable, minSourceRatio: dir.deprovision.minSourceRatio },
        mailboxTypes: dir.mailboxTypes,
        ...(dir.coexistence?.galContacts ? { gal: dir.coexistence.galContacts } : {}),
      }, { dryRun: opts.dryRun === true, full: opts.full === true });
      report.warnings.unshift(...notes.map((n) => ({ entry: 'overrides', reason: n })));
      const text = opts.json ? `${JSON.stringify(report, null, 2)}\n` : opts.dryRun ? report.ldif : formatDirectoryReport(report);
      if (opts.out !== undefined) await writePrivateFile(opts.out, text); // 0600: DNs, logins, addresses
      else if (opts.json) printJsonText(text); // secrets scrubbed, C1/bidi characters as \u escapes
      else printOut(text); // the report, or LDIF (which base64-encodes any unsafe value itself)
      if (opts.dryRun && !opts.json) printErr(formatDirectoryReport(report));
      return report.errors.length > 0 ? EXIT.PARTIAL : EXIT.OK;
    });
  } finally {
    await target.close();
    await store.close();
    await release();
  }
}
