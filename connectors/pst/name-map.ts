/**
 * The named-property map ([MS-PST] 2.4.7, node 0x61) read with the fast readers: what
 * pst-extractor's PSTFile#processNameToIDMap puts into the file's NodeMap, entry for entry (the
 * patched library: every 8-byte entry, the last one included), without a `Long` per field. It
 * runs when a file is opened, for every file: with a few thousand named properties it was a third
 * of the time to open one.
 *
 * The library's quirks are kept, since the ids it computes are what its getters look up: the
 * GUID it knows as index 0 counts as unknown (-1), a GUID index beyond the GUID stream is its
 * "bad param type" error, bytes past the end of the string stream read as 0.
 * name-map.test.ts compares the maps with the library's on every fixture.
 */
import Long from 'long';
import type { PSTFile } from 'pst-extractor';
import { PSTFile as PSTFileClass } from 'pst-extractor';
import type { PSTTableItem } from 'pst-extractor/dist/PSTTableItem.class.js';
import { nodeObject, subnodeData, type Subnodes } from './ltp.js';

/** pst-extractor's NodeMap, as its fields are. */
interface NodeMapFields { nameToId: Map<string, number>; idToNumericName: Map<number, Long>; idToStringName: Map<number, string> }

const NID_NAME_TO_ID_MAP = 0x61;

/** PSTFile#getData: a value inline, else its subnode (a PT_BINARY only), with the library's errors. */
function valueData(pst: PSTFile, item: PSTTableItem, local: Subnodes | undefined): Buffer {
  if (item.data.length !== 0) return item.data;
  if (!local) throw new Error('PSTFile::getData External reference but no localDescriptorItems in PSTFile.getData()');
  if (item.entryValueType !== 0x0102) throw new Error('PSTFile::getData Attempting to get non-binary data in PSTFile.getData()');
  const sub = local.get(item.entryValueReference);
  if (!sub) throw new Error(`PSTFile::getData Descriptor not found: ${item.entryValueReference}`);
  return subnodeData(pst, sub);
}

const hex = (b: Buffer, from: number, to: number): string => b.toString('hex', from, to).toUpperCase();

/** A GUID of the stream (16 bytes at `at`) as pst-extractor writes it: Data1-3 little-endian, Data4 as stored. */
function guidString(b: Buffer, at: number): string {
  const le = (n: number, width: number): string => {
    let s = '';
    for (let i = width - 1; i >= 0; i--) s += (b[at + n + i] ?? 0).toString(16).padStart(2, '0');
    return s.toUpperCase();
  };
  return `${le(0, 4)}-${le(4, 2)}-${le(6, 2)}-${hex(b, at + 8, at + 10)}-${hex(b, at + 10, at + 16)}`;
}

/** Bytes past the end of the buffer read as 0, as pst-extractor's byte-wise reads do. */
const u32 = (b: Buffer, at: number): number => (b[at] ?? 0) + (b[at + 1] ?? 0) * 0x100 + (b[at + 2] ?? 0) * 0x10000 + (b[at + 3] ?? 0) * 0x1000000;

/** Fills the file's NodeMap from its named-property map, as PSTFile#processNameToIDMap does. */
export function readNameToIdMap(pst: PSTFile): void {
  const node = pst.getDescriptorIndexNode(Long.fromNumber(NID_NAME_TO_ID_MAP));
  const { items, subnodes } = nodeObject(pst, node);
  const local = subnodes ?? undefined;
  const guidEntry = items.get(2);
  if (!guidEntry) throw new Error('PSTFile::processNameToIDMap guidEntry is null');
  const guids = valueData(pst, guidEntry, local);
  const known = (pst as unknown as { guidMap: Map<string, number> }).guidMap;
  const guidIndexes: number[] = [];
  for (let i = 0, at = 0; i < Math.trunc(guids.length / 16); i++, at += 16) {
    // (the library takes the GUID it numbers 0 for unknown)
    guidIndexes[i] = known.get(guidString(guids, at)) || -1;
  }
  const mapEntries = items.get(3);
  if (!mapEntries) throw new Error('PSTFile::processNameToIDMap mapEntries is null');
  const entries = valueData(pst, mapEntries, local);
  const stringEntries = items.get(4);
  if (!stringEntries) throw new Error('PSTFile::processNameToIDMap stringMapEntries is null');
  const strings = valueData(pst, stringEntries, local);
  const map = (pst as unknown as { nodeMap: NodeMapFields }).nodeMap;
  const { PS_MAPI, PS_PUBLIC_STRINGS } = PSTFileClass as unknown as { PS_MAPI: number; PS_PUBLIC_STRINGS: number };
  for (let x = 0; x + 8 <= entries.length; x += 8) {
    const key = entries.readUInt32LE(x);
    let guid = entries.readUInt16LE(x + 4);
    let propId = entries.readUInt16LE(x + 6);
    if ((guid & 0x0001) === 0) {
      propId += 0x8000;
      guid >>= 1;
      const index = guid === 1 ? PS_MAPI : guid === 2 ? PS_PUBLIC_STRINGS : guidIndexes[guid - 3];
      if (index === undefined) throw new Error('NodeMap::setId bad param type number');
      // NodeMap#transformKey: (index << 32) | key, as a signed 64-bit number
      map.nameToId.set(String(index * 0x100000000 + key), propId);
      // Long.fromNumber(index).shiftLeft(32).or(key), without the two intermediate Longs
      map.idToNumericName.set(propId, Long.fromBits(key | 0, index | 0));
    } else {
      const len = u32(strings, key);
      if (len > 0 && len <= strings.length) {
        let text: string;
        if (key + 4 + len <= strings.length) text = strings.toString('utf16le', key + 4, key + 4 + len);
        else {
          // past the end of the stream: the bytes there read as 0 (a pair split by the end decodes with a 0 byte)
          const name = Buffer.alloc(len);
          strings.copy(name, 0, Math.min(key + 4, strings.length), Math.min(key + 4 + len, strings.length));
          text = name.toString('utf16le');
        }
        if (text.includes('\0')) text = text.replace(/\0/g, '');
        map.nameToId.set(text, propId + 0x8000);
        map.idToStringName.set(propId + 0x8000, text);
      }
    }
  }
}
