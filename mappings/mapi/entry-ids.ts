/**
 * MAPI entry ids that carry an address by themselves: one-off entry ids ([MS-OXCDATA] 2.2.5.1)
 * and the FLATENTRYLIST that holds them (PR_REPLY_RECIPIENT_ENTRIES, distribution list
 * members). Address-book entry ids (server-local) are skipped: they name no address. Pure.
 */

/** The provider UID of one-off entry ids. */
const ONE_OFF_PROVIDER = '812B1FA4BEA310199D6E00DD010F5402';
const MAPI_ONE_OFF_UNICODE = 0x8000;

/** One-off addresses of a FLATENTRYLIST ([MS-OXCDATA] 2.3.3), e.g. PR_REPLY_RECIPIENT_ENTRIES; other entry ids are skipped. */
export function flatEntryListAddresses(list: Buffer): { name?: string; address?: string }[] {
  const out: { name?: string; address?: string }[] = [];
  if (list.length < 8) return out;
  const count = list.readUInt32LE(0);
  let pos = 8;
  for (let i = 0; i < count && pos + 4 <= list.length; i++) {
    const cb = list.readUInt32LE(pos);
    const entry = list.subarray(pos + 4, Math.min(list.length, pos + 4 + cb));
    pos += 4 + cb + ((4 - (cb % 4)) % 4);
    if (entry.length >= 20 && entry.subarray(4, 20).toString('hex').toUpperCase() === ONE_OFF_PROVIDER) {
      const m = parseOneOffEntryId(entry);
      if (m?.address) out.push({ name: m.name, address: m.address });
    }
  }
  return out;
}

/** A one-off entry id ([MS-OXCDATA] 2.2.5.1): flags, provider UID, version, flags, then name, type, address. */
export function parseOneOffEntryId(e: Buffer): { name?: string; addrType?: string; address?: string } | undefined {
  if (e.length < 24) return undefined;
  const flags = e.readUInt16LE(22);
  const unicode = (flags & MAPI_ONE_OFF_UNICODE) !== 0;
  const parts: string[] = [];
  let pos = 24;
  for (let i = 0; i < 3 && pos < e.length; i++) {
    if (unicode) {
      let end = pos;
      while (end + 1 < e.length && (e[end] !== 0 || e[end + 1] !== 0)) end += 2;
      parts.push(e.toString('utf16le', pos, end));
      pos = end + 2;
    } else {
      let end = e.indexOf(0, pos);
      if (end < 0) end = e.length;
      parts.push(e.toString('latin1', pos, end));
      pos = end + 1;
    }
  }
  const [name, addrType, address] = parts;
  return { name: name || undefined, addrType: addrType || undefined, address: address || undefined };
}

