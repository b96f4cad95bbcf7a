/**
 * The guess of a store's default code page for 8-bit strings that declare none (see
 * OpenPstOptions.codepage): the code pages of a few messages, put to a vote.
 */
import type { PSTFile } from 'pst-extractor';
import { objectCodepage, voteCodepage, type PropertyMap } from '../../mappings/mapi/string8.js';
import { quietly } from './extractor-output.js';
import { hierarchyRows } from './folder-children.js';
import { firstItem } from './folder-inventory.js';
import { isSearchFolderNid } from './node-index.js';
import { loadMessage } from './pst-entries.js';
import { loadFolder } from './pst-objects.js';
import { NID_ROOT_FOLDER } from './pst-store.js';

/** pst-extractor's property map of an object (not in its typings). */
interface ObjectInternals { pstTableItems: PropertyMap | null }

/**
 * Guesses the store's code page from up to `limit` messages (first item of each folder, breadth
 * first, at most `maxFolders` folders).
 */
export function sampleCodepage(pst: PSTFile, limit = 8, maxFolders = 200): number | undefined {
  const samples: (number | undefined)[] = [];
  const queue: number[] = [NID_ROOT_FOLDER];
  const seen = new Set(queue);
  let visited = 0;
  while (queue.length && samples.length < limit && visited < maxFolders) {
    const nid = queue.shift()!;
    visited++;
    if (isSearchFolderNid(nid)) continue;
    try {
      quietly(() => {
        const folder = loadFolder(pst, nid);
        const first = folder.contentCount > 0 ? firstItem(pst, nid) : undefined;
        if (first !== undefined) samples.push(objectCodepage((loadMessage(pst, first) as unknown as ObjectInternals).pstTableItems));
        for (const child of hierarchyRows(pst, nid, folder.hasSubfolders)) {
          if (!seen.has(child)) { seen.add(child); queue.push(child); }
        }
      });
    } catch {
      // a guess only: unreadable folders are reported by the walk itself
    }
  }
  return voteCodepage(samples);
}
