/**
 * What a job reports when it ends (`run`'s summary, --json, the cutover wave): per mailbox and
 * container what happened, and the totals, with item kinds (mail, events, contacts, tasks) apart.
 * Counters count what happened in this pass only.
 */
import type { ItemKind } from '../model/types.js';
import type { ContainerOutcome } from './container-task.js';
import { KIND_ORDER } from '../state/inventory.js';

export interface ContainerReport extends Partial<ContainerOutcome> {
  /** The source's id of the container (logs, --json). */
  source: string;
  /** How people know it (EWS display names with parents, a PST path with its file name). */
  name: string;
  kind: ItemKind;
  target: string;
  ok: boolean;
  error?: string;
  /** The pass stopped (Ctrl-C, SIGTERM) before this container was through. */
  interrupted?: boolean;
}

export interface MailboxReport {
  source: string;
  target: string;
  ok: boolean;
  /** Stopped before every folder of the mailbox was through: `resume` continues it. */
  interrupted: boolean;
  error?: string;
  warnings: string[];
  containers: ContainerReport[];
}

/** What happened to one kind of item in this pass. */
export interface KindCounts {
  copied: number;
  recovered: number;
  failed: number;
  skipped: number;
  bytes: number;
}

export interface JobReport {
  mailboxes: MailboxReport[];
  copied: number;
  recovered: number;
  failed: number;
  skipped: number;
  bytes: number;
  /** The counters above per item kind; only kinds with a container in this pass, in the order mail, event, contact, task. */
  kinds: Partial<Record<ItemKind, KindCounts>>;
  /** Copied items whose flags changed in the source since they were copied, written to the target. */
  flagsUpdated: number;
  deleted: number;
  duplicatesRemoved: number;
  /** Containers looked at in this pass (unchanged ones included). */
  checkedContainers: number;
  unchangedContainers: number;
  failedContainers: number;
  failedMailboxes: number;
  /** The pass was stopped before every mailbox was through. */
  interrupted: boolean;
  seconds: number;
}

export function jobReport(mailboxes: MailboxReport[], started: number): JobReport {
  const all = mailboxes.flatMap((m) => m.containers);
  const sum = (list: ContainerReport[], k: keyof ContainerOutcome) => list.reduce((n, c) => n + Number(c[k] ?? 0), 0);
  const kinds: Partial<Record<ItemKind, KindCounts>> = {};
  for (const kind of KIND_ORDER) {
    const list = all.filter((c) => c.kind === kind);
    if (list.length === 0) continue;
    kinds[kind] = { copied: sum(list, 'copied'), recovered: sum(list, 'recovered'), failed: sum(list, 'failed'), skipped: sum(list, 'skipped'), bytes: sum(list, 'bytes') };
  }
  return {
    mailboxes,
    copied: sum(all, 'copied'), recovered: sum(all, 'recovered'), failed: sum(all, 'failed'), skipped: sum(all, 'skipped'), bytes: sum(all, 'bytes'),
    kinds,
    flagsUpdated: sum(all, 'flagsUpdated'), deleted: sum(all, 'deleted'), duplicatesRemoved: sum(all, 'duplicatesRemoved'),
    checkedContainers: all.length,
    unchangedContainers: all.filter((c) => c.unchanged).length,
    failedContainers: all.filter((c) => !c.ok).length,
    failedMailboxes: mailboxes.filter((m) => !m.ok).length,
    interrupted: mailboxes.some((m) => m.interrupted),
    seconds: (Date.now() - started) / 1000,
  };
}
