/**
 * Errors of a PST read that name the file, what was being read and where: the offset the error
 * itself gives, else the offset of the node's data block (to find it in a hex dump or a repair
 * tool's log).
 */
import Long from 'long';
import type { PSTFile } from 'pst-extractor';
import { messageOf, offsetIn } from './extractor-output.js';
import { PstFileError, PstItemError } from './pst-header.js';

/** Where a node's data block lies in the file, if the index can tell. */
export function blockOffset(pst: PSTFile, nodeId: number): number | undefined {
  try {
    const node = pst.getDescriptorIndexNode(Long.fromNumber(nodeId));
    return pst.getOffsetIndexNode(node.dataOffsetIndexIdentifier).fileOffset.toNumber();
  } catch {
    return undefined;
  }
}

/** An item error, with the offset of the item's property block when the error itself has none. */
export function itemReadError(pst: PSTFile, file: string, nodeId: number, path: string[], err: unknown): PstItemError {
  let at = offsetIn(err);
  let detail = messageOf(err);
  if (at === undefined) {
    at = blockOffset(pst, nodeId);
    if (at !== undefined) detail += ` (its data block is at offset ${at}, 0x${at.toString(16)})`;
  }
  return new PstItemError(file, nodeId, path, detail, at, { cause: err });
}

/** A PstFileError naming the file, what was being done and the offset (the error's, else the node's data block). */
export function fileReadError(pst: PSTFile, file: string, err: unknown, what: string, nodeId?: number): PstFileError {
  let at = offsetIn(err);
  let detail = `${what}: ${messageOf(err)}`;
  if (at === undefined && nodeId !== undefined) {
    at = blockOffset(pst, nodeId);
    if (at !== undefined) detail += ` (node ${nodeId}'s data block is at offset ${at}, 0x${at.toString(16)})`;
  }
  return new PstFileError(file, detail, at, { cause: err });
}
