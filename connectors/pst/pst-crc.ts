/** The CRC of PST blocks, pages and the header ([MS-PST] 5.3). */
import zlib from 'node:zlib';

let table: Uint32Array | undefined;
function crcTable(): Uint32Array {
  if (table) return table;
  table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
}

const nativeCrc32 = (zlib as { crc32?: (data: Uint8Array, value?: number) => number }).crc32;

/**
 * The PST CRC ([MS-PST] 5.3): the reflected CRC-32 of zlib (polynomial 0xEDB88320) started at 0
 * and without the final inversion, i.e. ~crc32(data) when zlib starts from ~0.
 */
export function pstCrc(data: Uint8Array): number {
  if (nativeCrc32) return ~nativeCrc32(data, 0xffffffff) >>> 0;
  const t = crcTable();
  let crc = 0;
  for (let i = 0; i < data.length; i++) crc = t[(crc ^ data[i]!) & 0xff]! ^ (crc >>> 8);
  return crc >>> 0;
}
