/**
 * The PST/OST HEADER ([MS-PST] 2.2.2.6), read and checked before pst-extractor opens a file so a
 * file that is not a PST, truncated or unsupported gets a clear error naming it and the offset;
 * and the error classes of the PST reader.
 */
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { FatalError, ItemError } from '../../src/util/errors.js';
import { pstCrc } from './pst-crc.js';

export type PstFormat = 'ansi' | 'unicode' | 'unicode-4k';

/** The file as a whole cannot be read (not a PST, truncated, unsupported, corrupt index). */
export class PstFileError extends FatalError {
  constructor(readonly file: string, detail: string, readonly offset?: number, options?: { cause?: unknown }) {
    super(`${file}: ${detail}${offset === undefined || detail.includes(`offset ${offset}`) ? '' : ` (at offset ${offset}, 0x${offset.toString(16)})`}`, 'PST_FILE', options);
  }
}

/** One folder or item cannot be read; the rest of the file may still be. */
export class PstItemError extends ItemError {
  constructor(readonly file: string, readonly nodeId: number, readonly folderPath: string[], detail: string,
    readonly offset?: number, options?: { cause?: unknown }) {
    super(`${file}: node ${nodeId} (0x${nodeId.toString(16)}) in folder /${folderPath.join('/')}: ${detail}`, 'PST_ITEM', options);
  }
}

export interface Header { format: PstFormat; fileEof: number; crypt: number; nbtRoot: number; bbtRoot: number }

/**
 * Reads and checks the HEADER ([MS-PST] 2.2.2.6) before pst-extractor does, for clear errors;
 * from `fd` when given (a descriptor open on `file`, left open), else from the path.
 */
export function readHeader(file: string, fd?: number): Header {
  const own = fd === undefined;
  fd ??= openSync(file, 'r');
  try {
    const size = fstatSync(fd).size;
    const buf = Buffer.alloc(564);
    const got = readSync(fd, buf, 0, buf.length, 0);
    if (got < 4 || buf.toString('latin1', 0, 4) !== '!BDN') {
      throw new PstFileError(file, 'not a PST/OST file (no "!BDN" signature)', 0);
    }
    const wVer = buf.readUInt16LE(10);
    let format: PstFormat;
    if (wVer === 14 || wVer === 15) format = 'ansi';
    else if (wVer === 23) format = 'unicode';
    else if (wVer === 36) format = 'unicode-4k';
    else throw new PstFileError(file, `unsupported PST version wVer=${wVer} (14/15 = ANSI, 23 = Unicode, 36 = Unicode 4K)`, 10);
    const minHeader = format === 'ansi' ? 512 : 564;
    if (got < minHeader) {
      throw new PstFileError(file, `truncated: the header needs ${minHeader} bytes, the file has ${size}`, size);
    }
    // ROOT.ibFileEof: ANSI at 168 (32-bit), Unicode at 184 (64-bit); bCryptMethod: 461 / 513
    const fileEof = format === 'ansi' ? buf.readUInt32LE(168) : Number(buf.readBigUInt64LE(184));
    const crypt = buf[format === 'ansi' ? 461 : 513]!;
    if (size < fileEof) {
      throw new PstFileError(file, `truncated: the header says the file ends at offset ${fileEof} (0x${fileEof.toString(16)}), but it has only ${size} bytes`, size);
    }
    const cryptAt = format === 'ansi' ? 461 : 513;
    if (crypt === 2) throw new PstFileError(file, 'uses "high" (cyclic) encryption, which is not supported', cryptAt);
    if (crypt !== 0 && crypt !== 1) throw new PstFileError(file, `corrupt header: unknown encryption method ${crypt}`, cryptAt);
    // ROOT.BREFNBT.ib / ROOT.BREFBBT.ib: the root pages of the node and block B-trees
    const nbtRoot = format === 'ansi' ? buf.readUInt32LE(188) : Number(buf.readBigUInt64LE(224));
    const bbtRoot = format === 'ansi' ? buf.readUInt32LE(196) : Number(buf.readBigUInt64LE(240));
    for (const [what, at] of [['node', nbtRoot], ['block', bbtRoot]] as const) {
      if (at < minHeader || at + 512 > size) throw new PstFileError(file, `corrupt header: the ${what} B-tree root at offset ${at} is outside the file (${size} bytes)`, at);
    }
    // dwCRCPartial covers 471 bytes from wMagicClient (bCryptMethod included in ANSI files), dwCRCFull
    // (Unicode) 516 bytes (bCryptMethod included): a damaged header must not decide how data is decoded
    const crcs: [string, number, number][] = [['dwCRCPartial', 4, 471], ...(format === 'ansi' ? [] : [['dwCRCFull', 524, 516] as [string, number, number]])];
    for (const [name, at, length] of crcs) {
      const stored = buf.readUInt32LE(at);
      const computed = pstCrc(buf.subarray(8, 8 + length));
      if (stored !== 0 && stored !== computed) {
        throw new PstFileError(file, `corrupt header: its ${name} is 0x${stored.toString(16)}, the header's bytes give 0x${computed.toString(16)}; `
          + 'repair a copy of the file with Outlook\'s scanpst.exe and migrate that copy', at);
      }
    }
    return { format, fileEof, crypt, nbtRoot, bbtRoot };
  } finally {
    if (own) closeSync(fd);
  }
}

