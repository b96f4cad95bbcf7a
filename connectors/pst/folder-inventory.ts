/**
 * What a PST folder holds, counted three ways and cross-checked, so that nothing a reader bug or
 * damage leaves out goes unnoticed:
 *   - PR_CONTENT_COUNT, what the folder says it holds;
 *   - the rows of its contents table (the list items are read from);
 *   - the normal messages the node index places under it (node-index.ts; how readpst finds them).
 *
 * The folder's entries, in a stable order (a position is a resume cursor): the table's rows,
 * then the messages only the node index knows (read too, each with a warning saying how it was
 * found), then, when the folder claims more items than all of these, one entry standing for the
 * shortfall. A row without an item id, and the shortfall, are entries with an `error`: the
 * engine records them as failed items, so the difference shows in `status --problems` and the
 * report, per folder, instead of vanishing. When the contents table cannot be read at all, the
 * node index lists the folder's messages (each with a warning naming the table's error).
 */
import Long from 'long';
import type { PSTFile } from 'pst-extractor';
import { subnodesOf, tableAt, type Table } from './ltp.js';
import type { NodeIndex } from './node-index.js';
import { coerceError } from '../../src/util/errors.js';

export interface ContentEntry {
  /** Position in the folder's entries (the next entry's position is the resume cursor). */
  position: number;
  /** The item id: its node id in decimal, or `row:N` / `inventory` for an entry standing for a problem. */
  id: string;
  nodeId?: number;
  /** PR_MESSAGE_SIZE from the contents table row. */
  size?: number;
  /** Carried with the item when it is copied (how it was found). */
  warning?: string;
  /** The entry cannot become an item: why (recorded as a failed item). */
  error?: string;
}

export interface FolderInventory {
  /** PR_CONTENT_COUNT. */
  count: number;
  /** Rows of the contents table; undefined when it cannot be read. */
  rows?: number;
  /** Each row's item id (0: the row has none), read once with the count (4 bytes a row). */
  rowIds?: Uint32Array;
  tableError?: string;
  /** Normal messages the node index places under the folder; undefined without an index. */
  indexed?: number;
  /** Node ids only the node index lists (not in the contents table), in node id order. */
  extras: number[];
  /** The folder claims more items than the table and the index hold together: the text of the problem. */
  shortfall?: string;
}

const PR_LTP_ROW_ID = 0x67f2;
const PR_MESSAGE_SIZE = 0x0e08;
/** The contents table of folder NID n is node n + 12 (NID_TYPE_CONTENTS_TABLE, [MS-PST] 2.4.4.1). */
const CONTENTS_TABLE = 12;

/**
 * The folder's contents table, without pst-extractor's silent fall-back to the whole node index;
 * its rows carry the one `column` asked for (and the row id), which keeps reading them cheap.
 */
export function openContentsTable(pst: PSTFile, folderNid: number, column = PR_LTP_ROW_ID, firstBlock = false): Table {
  const node = pst.getDescriptorIndexNode(Long.fromNumber(folderNid + CONTENTS_TABLE));
  const local = node.localDescriptorsOffsetIndexIdentifier.greaterThan(0) ? subnodesOf(pst, node.localDescriptorsOffsetIndexIdentifier) : undefined;
  return tableAt(pst, node.dataOffsetIndexIdentifier, local, column, firstBlock);
}

/** One row's item id; undefined when the row has none. */
function readRow(table: Table, i: number): { nodeId?: number } {
  const id = table.rows(i, 1)[0]?.get(PR_LTP_ROW_ID);
  return { nodeId: id && id.itemIndex !== -1 && id.entryValueReference > 0 ? id.entryValueReference : undefined };
}

/** PR_MESSAGE_SIZE of a row (a standard contents-table column, PT_LONG), read from a table opened on that column. */
function rowSize(table: Table | undefined, i: number): number | undefined {
  const size = table?.rows(i, 1)[0]?.get(PR_MESSAGE_SIZE);
  return size && size.itemIndex !== -1 ? size.entryValueReference >>> 0 : undefined;
}

/**
 * The node id of the folder's first item in its contents table, if any: from the table's first
 * block of rows, the whole table only when none of those rows has one.
 */
export function firstItem(pst: PSTFile, folderNid: number): number | undefined {
  let table = openContentsTable(pst, folderNid, PR_LTP_ROW_ID, true);
  for (let i = 0; i < table.rowCount; i++) {
    let row;
    try {
      row = readRow(table, i);
    } catch {
      table = openContentsTable(pst, folderNid); // past the first block
      row = readRow(table, i);
    }
    if (row.nodeId !== undefined) return row.nodeId;
  }
  return undefined;
}

const plural = (n: number, what: string): string => `${n} ${what}${n === 1 ? '' : 's'}`;

/**
 * Counts and cross-checks a folder: one pass over the table's item ids, compared with the items
 * the node index places under the folder, finds those only the index knows.
 */
export function takeInventory(pst: PSTFile, folderNid: number, count: number, index: NodeIndex | undefined): FolderInventory {
  const inv: FolderInventory = { count, extras: [] };
  let table: Table | undefined;
  try {
    table = openContentsTable(pst, folderNid);
    inv.rows = table.rowCount;
  } catch (err) {
    inv.tableError = coerceError(err).message.split('\n').find((l) => /damaged/.test(l)) ?? coerceError(err).message.split('\n')[0];
  }
  if (table) {
    inv.rowIds = new Uint32Array(inv.rows!);
    for (let i = 0; i < inv.rows!; i++) inv.rowIds[i] = readRow(table, i).nodeId ?? 0;
  }
  const indexed = index ? index.messages.get(folderNid) ?? new Uint32Array(0) : undefined;
  if (indexed) {
    inv.indexed = indexed.length;
    const inTable = new Set(inv.rowIds);
    inv.extras = [...indexed].filter((nid) => !inTable.has(nid));
  }
  const found = (inv.rows ?? 0) + inv.extras.length;
  if (count > found) {
    const parts = [`the folder says it holds ${plural(count, 'item')}`];
    parts.push(inv.rows === undefined ? `its contents table cannot be read (${inv.tableError})` : `its contents table lists ${inv.rows}`);
    if (inv.indexed !== undefined) parts.push(`the file's node index ${inv.indexed}`);
    inv.shortfall = `${parts.join(', ')}: ${plural(count - found, 'item')} cannot be found and ${count - found === 1 ? 'is' : 'are'} not migrated `
      + '(the file is damaged: repair a copy with Outlook\'s scanpst.exe and migrate that copy)';
  }
  return inv;
}

/** The folder's entries from position `start` on (see the module comment); `withSizes`: the rows' PR_MESSAGE_SIZE too. */
export function* contentEntries(pst: PSTFile, folderNid: number, inv: FolderInventory, start = 0, withSizes = false): Generator<ContentEntry> {
  const rows = inv.rows ?? 0;
  if (inv.rows !== undefined && start < rows) {
    const ids = inv.rowIds!;
    const sizes = withSizes ? openContentsTable(pst, folderNid, PR_MESSAGE_SIZE) : undefined;
    const sized = sizes?.hasColumn ? sizes : undefined;
    for (let i = start; i < rows; i++) {
      const nodeId = ids[i] || undefined;
      const size = rowSize(sized, i);
      if (nodeId === undefined) {
        yield { position: i, id: `row:${i}`, error: `row ${i + 1} of ${rows} of the folder's contents table has no item id: the table is damaged, the item it stood for cannot be found` };
      } else {
        yield { position: i, id: String(nodeId), nodeId, ...(size === undefined ? {} : { size }) };
      }
    }
  }
  const why = inv.rows === undefined
    ? `listed from the file's node index: the folder's contents table cannot be read (${inv.tableError})`
    : 'listed from the file\'s node index: the folder\'s contents table does not list it (damaged or out of date)';
  for (let j = Math.max(0, start - rows); j < inv.extras.length; j++) {
    const nodeId = inv.extras[j]!;
    yield { position: rows + j, id: String(nodeId), nodeId, warning: why };
  }
  const last = rows + inv.extras.length;
  if (inv.shortfall && start <= last) yield { position: last, id: 'inventory', error: inv.shortfall };
}
