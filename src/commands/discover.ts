/**
 * `discover -c migration.yaml [--out users.csv] [--json]`: lists the mailboxes of the source
 * directory (`directory.source`: AD or LDAP, the directory sync's selection) — enabled users with
 * a mailbox, shared, room and equipment mailboxes marked as such — with what was left out and
 * why, compares them with the config's mailbox list (added, removed, changed), and with --out
 * writes the user map (source → UMS login by `directory.loginRule`, the directory sync's rule; the `wave`
 * column from `discover.waveAttribute` or kept from the config, empty for the PM to fill in)
 * through util/private-file (0600, exclusive temporary file). Reads the directory only; the
 * config may have no mailbox yet (the first user map). Logged to `logging.file`.
 *
 * Exit 0; 3 when some mailboxes could not be written to the user map (each named with what to
 * do) or some directory entries could not be read.
 */
import path from 'node:path';
import { discoverMailboxes, type Discovery } from '../../mappings/discover/mailboxes.js';
import { diffUserMap, renderUserMap, userMapRows, type UserMapDiff } from '../../mappings/discover/user-map.js';
import { EXIT } from '../util/exit-codes.js';
import { printJson, printOut } from '../cli/output.js';
import { commandLogger, runLogged } from '../command-log.js';
import { discoverSettings } from '../config/discover-schema.js';
import { ConfigError, loadConfig } from '../config/load.js';
import { mailboxPasswords } from '../config/mailboxes.js';
import { moduleFor } from '../../connectors/modules.js';
import { readDirectoryUsers } from '../discover/read.js';
import { writePrivateFile } from '../util/private-file.js';
import { forTerminal } from '../util/terminal-text.js';

export interface DiscoverOptions {
  config: string;
  out?: string;
  json?: boolean;
}

const t = forTerminal;

function report(d: Discovery, diff: UserMapDiff, where: string, readErrors: { dn: string; reason: string }[], out: string | undefined): string {
  const types = ['user', 'shared', 'room', 'equipment'] as const;
  const counts = types.map((k) => `${d.mailboxes.filter((m) => m.type === k).length} ${k}`).join(', ');
  const lines = [`${d.mailboxes.length} mailbox(es) in ${t(where)} (${counts}); ${d.leftOut.length} user(s) left out, ${d.problems.length} not listed (problems)`];
  for (const m of d.mailboxes) if (m.type !== 'user' || m.disabled) lines.push(`  ${m.type.padEnd(9)} ${t(m.source)} → ${t(m.target)}${m.disabled ? ' (account disabled)' : ''}`);
  for (const l of d.leftOut) lines.push(`  left out  ${t(l.name)}: ${t(l.reason)}`);
  for (const p of d.problems) lines.push(`  problem   ${t(p.name)}: ${t(p.reason)}`);
  for (const e of readErrors) lines.push(`  unreadable ${t(e.dn)}: ${t(e.reason)}`);
  lines.push(`compared with the config: ${diff.added.length} added, ${diff.removed.length} removed, ${diff.changed.length} changed, ${diff.unchanged} unchanged`);
  for (const a of diff.added) lines.push(`  added    ${t(a.source)} → ${t(a.target)} (${a.type}${a.wave !== undefined ? `, wave ${t(a.wave)}` : ''})`);
  for (const r of diff.removed) lines.push(`  removed  ${t(r.source)} (${t(r.origin)}): ${t(r.reason)}`);
  for (const c of diff.changed) lines.push(`  changed  ${t(c.source)}: ${c.changes.map(t).join('; ')}`);
  lines.push(out !== undefined ? `wrote ${t(out)} (${d.mailboxes.length} row(s)); point userMap at it to use it` : 'nothing written (--out FILE writes the user map)');
  return `${lines.join('\n')}\n`;
}

export async function discoverCommand(opts: DiscoverOptions): Promise<number> {
  const loaded = await loadConfig(opts.config, { mailboxesOptional: true });
  const { config } = loaded;
  const dir = config.directory;
  if (!dir) throw new ConfigError([{ path: 'directory', message: 'no directory section: discover reads the mailboxes from directory.source (see "directory:" in migration.example.yaml)', severity: 'error' }], loaded.file);
  const settings = discoverSettings(config);
  const sourceLogin = settings.sourceLogin === 'auto' ? moduleFor('source', config.source.type)?.discoverLogin ?? 'login' : settings.sourceLogin;
  const out = opts.out === undefined ? undefined : path.resolve(opts.out);
  const log = commandLogger(config.logging, 'discover');
  return runLogged(log, 'discover', { base: dir.source.base, out: out ?? null, sourceLogin, loginRule: dir.loginRule }, async () => {
    const extra = [settings.waveAttribute, settings.mailboxAttribute, sourceLogin === 'userPrincipalName' ? 'userPrincipalName' : undefined].filter((a): a is string => a !== undefined);
    const read = await readDirectoryUsers(dir, loaded.baseDir, extra);
    const d = discoverMailboxes(read.users, {
      sourceLogin, loginRule: dir.loginRule, includeDisabled: settings.includeDisabled,
      recipientTypeAttribute: dir.source.recipientTypeAttribute,
      ...(settings.mailboxAttribute !== undefined ? { mailboxAttribute: settings.mailboxAttribute } : {}),
      ...(settings.waveAttribute !== undefined ? { waveAttribute: settings.waveAttribute } : {}),
    });
    const current = loaded.mailboxes.map((m) => ({
      source: m.source, target: m.target, origin: m.origin, ...(m.wave !== undefined ? { wave: m.wave } : {}),
      ...(m.sourcePassword !== undefined ? { sourcePassword: String(m.sourcePassword) } : {}),
      ...(m.targetPassword !== undefined ? { targetPassword: String(m.targetPassword) } : {}),
    }));
    const fromDirectory = settings.waveAttribute !== undefined;
    const diff = diffUserMap(d, current, fromDirectory);
    const rows = userMapRows(d.mailboxes, current, fromDirectory);
    if (out !== undefined) {
      await writePrivateFile(out, renderUserMap(rows, mailboxPasswords(config))); // 0600: logins of the whole organisation
    }
    log.info({
      mailboxes: d.mailboxes.length, leftOut: d.leftOut.length, problems: d.problems.length, unreadable: read.errors.length,
      added: diff.added.length, removed: diff.removed.length, changed: diff.changed.length, out: out ?? null,
    }, 'mailboxes discovered');
    for (const p of d.problems) log.warn({ user: p.name, reason: p.reason }, 'mailbox not listed in the user map');
    if (opts.json) {
      printJson({ where: read.where, mailboxes: d.mailboxes, rows, leftOut: d.leftOut, problems: d.problems, unreadable: read.errors, diff, out: out ?? null });
    } else printOut(report(d, diff, read.where, read.errors, out));
    return d.problems.length > 0 || read.errors.length > 0 ? EXIT.PARTIAL : EXIT.OK;
  });
}
