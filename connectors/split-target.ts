/**
 * One target made of two: mail goes to the IMAP target, calendars, task lists and address books
 * to the groupware (CalDAV/CardDAV) target. The side is chosen by the container's target name: the refs
 * that mappings/groupware-collections gives collections ("calendar:…", "tasks:…",
 * "addressbook:…") go to the groupware side, every other name to the mail side. The engine sees
 * one TargetMailbox and stays protocol-agnostic; what a container can do (write recovery, flags,
 * removal) is the side's answer for it.
 */
import { parseCollectionRef } from '../mappings/groupware-collections.js';
import {
  DEFAULT_NAMESPACE, type AccessCheck, type Account, type ItemContent, type ItemKind, type ItemMeta, type PutResult, type TargetCapabilities,
  type TargetConnector, type TargetContainerState, type TargetMailbox,
} from '../src/model/types.js';

export class SplitTarget implements TargetConnector {
  readonly name: string;

  constructor(private readonly mail: TargetConnector, private readonly groupware: TargetConnector) {
    this.name = `${mail.name}+${groupware.name}`;
  }

  async openMailbox(account: Account): Promise<TargetMailbox> {
    const mail = await this.mail.openMailbox(account);
    try {
      return new SplitMailbox(mail, await this.groupware.openMailbox(account));
    } catch (err) {
      await mail.close().catch(() => undefined);
      throw err;
    }
  }

  async close(): Promise<void> {
    await Promise.all([this.mail.close(), this.groupware.close()]);
  }
}

export class SplitMailbox implements TargetMailbox {
  readonly accepts: readonly ItemKind[];

  constructor(private readonly mail: TargetMailbox, private readonly groupware: TargetMailbox) {
    this.accepts = [...new Set([...(mail.accepts ?? ['mail']), ...(groupware.accepts ?? [])])];
  }

  private side(ref: string): TargetMailbox {
    return parseCollectionRef(ref) ? this.groupware : this.mail;
  }

  async verify(): Promise<AccessCheck> {
    const [m, g] = await Promise.all([this.mail.verify(), this.groupware.verify()]);
    return { ok: m.ok && g.ok, checks: [...m.checks, ...g.checks.map((c) => ({ ...c, name: `groupware: ${c.name}` }))] };
  }

  async namespace(): Promise<{ prefix: string; delimiter: string }> { return (await this.mail.namespace?.()) ?? DEFAULT_NAMESPACE; }
  async list(): Promise<string[]> { return [...(await this.mail.list()), ...(await this.groupware.list())]; }
  ensure(ref: string, hint?: { incoming?: number }): Promise<TargetContainerState> { return this.side(ref).ensure(ref, hint); }
  put(ref: string, item: ItemContent, opts?: { sent?: () => void }): Promise<PutResult> { return this.side(ref).put(ref, item, opts); }
  capabilities(ref: string): TargetCapabilities { return this.side(ref).capabilities(ref); }
  inventory(ref: string, opts?: { subjects?: boolean }): Promise<ItemMeta[]> { return this.side(ref).inventory(ref, opts); }
  objects(ref: string): AsyncIterable<{ id: string; content: Buffer }> {
    const side = this.side(ref);
    if (!side.objects) throw new Error(`the target of ${ref} cannot list object contents`);
    return side.objects(ref);
  }
  async finishPass(): Promise<void> {
    await Promise.all([this.mail.finishPass?.(), this.groupware.finishPass?.()]);
  }
  async close(): Promise<void> {
    await Promise.all([this.mail.close(), this.groupware.close()]);
  }
}
