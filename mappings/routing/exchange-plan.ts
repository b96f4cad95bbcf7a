/**
 * The Exchange side of split-domain coexistence: for every cut-over user, forward their Exchange
 * mailbox to `<login>@<routingSubdomain>`, which the UMS delivers locally (see postfix-maps.ts).
 *
 * Method: mailbox forwarding with Set-Mailbox, as the Exchange Server cmdlet reference documents
 * it — `-ForwardingSmtpAddress` takes an arbitrary SMTP address (no mail contact needed) and
 * `-DeliverToMailboxAndForward $false` delivers only to the forwarding address, so nothing new
 * piles up in the migrated Exchange mailbox. `-ForwardingAddress` takes precedence over
 * `-ForwardingSmtpAddress`, so it is cleared in the same command. Writing `targetAddress` with
 * Set-ADUser was not chosen: targetAddress is the external address of mail users and contacts
 * (what Set-MailUser -ExternalEmailAddress maintains), not a documented way to forward a mailbox.
 * Exchange needs a Send connector for the routing subdomain pointing at the UMS.
 *
 * Output: a CSV (RFC 4180: CRLF line ends, fields quoted when they contain a comma, quote, line
 * break or outer whitespace; a field a spreadsheet would run as a formula, starting with = + - @
 * TAB or CR, gets a leading ' — the progress report's guard, reports/csv.ts) with
 * `login,primary,targetAddress`, for people and spreadsheets, and the PowerShell commands (the
 * values exactly as they are, for running),
 * values in single-quoted strings (every quote character PowerShell accepts as a single quote —
 * ' ‘ ’ ‚ ‛ — doubled). Users are sorted by login; users whose UMS mailbox address is refused
 * (see the routing warnings) are left out.
 *
 * Pure: no I/O.
 */
import { csvCell } from '../../src/util/csv-cell.js';
import { addressKey } from '../directory/smtp-address.js';
import { buildRoutingTable, loginAddress, type RoutingModel } from './routing-table.js';

export interface ExchangePlan {
  csv: string;
  powershell: string;
}

/** An RFC 4180 field, guarded against formulas (csvCell), also quoted when it has outer whitespace. */
export function csvField(value: string): string {
  const cell = csvCell(value);
  return !cell.startsWith('"') && /^\s|\s$/.test(cell) ? `"${cell}"` : cell;
}

/** A PowerShell single-quoted string literal (no expansion of $ or `). */
export function psSingleQuoted(value: string): string {
  return `'${value.replace(/['\u2018\u2019\u201A\u201B]/g, (q) => q + q)}'`;
}

/** One forwarded mailbox of the plan. */
export interface ForwardedUser {
  login: string;
  primary: string;
  /** `<login>@<routingSubdomain>`. */
  targetAddress: string;
}

/** The cut-over users Exchange must forward, sorted by login (then key). */
export function forwardedUsers(model: RoutingModel): ForwardedUser[] {
  const table = buildRoutingTable(model);
  return model.users
    .filter((u) => u.cutOver && table.routes.get(addressKey(loginAddress(model, u)))?.kind === 'mailbox')
    .sort((a, b) => (a.login < b.login ? -1 : a.login > b.login ? 1 : a.key < b.key ? -1 : a.key > b.key ? 1 : 0))
    .map((u) => ({ login: u.login, primary: u.primary, targetAddress: loginAddress(model, u) }));
}

/** The Exchange identity of a forwarded user: the primary address, else the login. */
export function exchangeIdentity(u: Pick<ForwardedUser, 'login' | 'primary'>): string {
  return u.primary.trim() !== '' ? u.primary : u.login;
}

/** `Set-Mailbox` forwarding the user to the UMS. */
export function forwardCommand(u: ForwardedUser): string {
  return `Set-Mailbox -Identity ${psSingleQuoted(exchangeIdentity(u))} -ForwardingAddress $null -ForwardingSmtpAddress ${psSingleQuoted(u.targetAddress)} -DeliverToMailboxAndForward $false`;
}

/** `Set-Mailbox` removing that forwarding again (back to delivery in the Exchange mailbox). */
export function unforwardCommand(u: Pick<ForwardedUser, 'login' | 'primary'>): string {
  return `Set-Mailbox -Identity ${psSingleQuoted(exchangeIdentity(u))} -ForwardingSmtpAddress $null -DeliverToMailboxAndForward $false`;
}

export function exchangePlan(model: RoutingModel): ExchangePlan {
  const users = forwardedUsers(model);
  const csv = [['login', 'primary', 'targetAddress'], ...users.map((u) => [u.login, u.primary, u.targetAddress])]
    .map((row) => row.map(csvField).join(',') + '\r\n')
    .join('');
  const powershell = [
    '# ums-migrate: forward cut-over mailboxes from Exchange to the UMS (split-domain coexistence).',
    `# Needs a Send connector for ${buildRoutingTable(model).routingSubdomain} that delivers to the UMS.`,
    '# Undo for one user: Set-Mailbox -Identity <id> -ForwardingSmtpAddress $null -DeliverToMailboxAndForward $false',
    ...users.map(forwardCommand),
  ].join('\n') + '\n';
  return { csv, powershell };
}
