/**
 * A PST folder's subfolders: the rows of its hierarchy table decide, not its PR_SUBFOLDERS flag
 * (Outlook-written files have folders whose flag is false while their hierarchy table lists
 * children; trusting the flag lost those subtrees). The file's node index (node-index.ts) is the
 * cross-check: a folder it places under this one that the table does not list is added (after
 * the table's), flagged, as readpst would list it.
 */
import Long from 'long';
import type { PSTFile } from 'pst-extractor';
import { subnodesOf, tableAt } from './ltp.js';
import { coerceError } from '../../src/util/errors.js';

/** The hierarchy table of folder NID n is node n + 11 (NID_TYPE_HIERARCHY_TABLE, [MS-PST] 2.4.4.1). */
const HIERARCHY_TABLE = 11;
const PR_LTP_ROW_ID = 0x67f2;

export interface ChildFolder {
  nodeId: number;
  /** Only in the node index, not in the parent's hierarchy table. */
  onlyInIndex: boolean;
}

const notFound = (err: unknown): boolean => /Unable to find/.test(coerceError(err).message);

/**
 * The NIDs in a folder's hierarchy table, in row order. A folder without a hierarchy table node
 * has no subfolders, unless it says it has (`hasSubfolders`): then that is an error, as is a
 * table that cannot be read.
 */
export function hierarchyRows(pst: PSTFile, folderNid: number, hasSubfolders: boolean): number[] {
  let node;
  try {
    node = pst.getDescriptorIndexNode(Long.fromNumber(folderNid + HIERARCHY_TABLE));
  } catch (err) {
    if (notFound(err) && !hasSubfolders) return [];
    if (notFound(err)) throw new Error('the folder says it has subfolders, but the file has no hierarchy table for it', { cause: err });
    throw err;
  }
  const local = node.localDescriptorsOffsetIndexIdentifier.greaterThan(0) ? subnodesOf(pst, node.localDescriptorsOffsetIndexIdentifier) : undefined;
  const table = tableAt(pst, node.dataOffsetIndexIdentifier, local);
  const out: number[] = [];
  for (const row of table.rows()) {
    const id = row.get(PR_LTP_ROW_ID)?.entryValueReference;
    if (id) out.push(id);
  }
  return out;
}

/** The table's children, then those only the node index knows. */
export function childFolders(rows: number[], indexed: number[] | undefined): ChildFolder[] {
  const seen = new Set(rows);
  const out: ChildFolder[] = rows.map((nodeId) => ({ nodeId, onlyInIndex: false }));
  for (const nodeId of indexed ?? []) {
    if (!seen.has(nodeId)) { seen.add(nodeId); out.push({ nodeId, onlyInIndex: true }); }
  }
  return out;
}
