import { createHash } from 'node:crypto';

/**
 * A stable UUID-shaped UID (name-based, SHA-1) for items without one of their own (contacts,
 * tasks, lists, local appointments): the same seed gives the same UID on every run.
 */
export function uidFromItemId(itemId: string): string {
  const h = createHash('sha1').update(itemId).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-5${h.slice(13, 16)}-a${h.slice(17, 20)}-${h.slice(20, 32)}`;
}
