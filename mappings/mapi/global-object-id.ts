/**
 * The iCalendar UID of a MAPI meeting object from its PidLidGlobalObjectId /
 * PidLidCleanGlobalObjectId ([MS-OXOCAL] 2.2.1.27, 2.2.1.28), by the rule Exchange itself uses
 * for the EWS `UID` element and for the UID of the iCalendar it exports:
 *
 * - a GlobalObjectId whose data is "vCal-Uid" + 0x00000001 + a NUL-terminated string carries the
 *   UID of a meeting that came from iCalendar: that string;
 * - else the clean id (the instance date bytes 16..19 zeroed, so every occurrence of a series
 *   shares it) in upper-case hex.
 *
 * Shared by every MAPI-based source (PST, .msg, Kopano), so the same meeting gets the same UID
 * whichever way it is migrated. Pure.
 */

const HEADER = 16 + 4 + 8 + 8 + 4; // ByteArrayID, YH YL M D, CreationTime, X, Size
const VCAL_UID = Buffer.from('vCal-Uid\x01\x00\x00\x00', 'latin1');

/** The UID, or undefined when `goid` is not a global object id (too short). */
export function uidFromGlobalObjectId(goid: Buffer | undefined): string | undefined {
  if (!goid || goid.length < HEADER) return undefined;
  const size = goid.readUInt32LE(HEADER - 4);
  const data = goid.subarray(HEADER, HEADER + size);
  if (data.length > VCAL_UID.length && data.subarray(0, VCAL_UID.length).equals(VCAL_UID)) {
    const rest = data.subarray(VCAL_UID.length);
    const end = rest.indexOf(0);
    const uid = rest.subarray(0, end < 0 ? rest.length : end).toString('utf8').trim();
    if (uid !== '') return uid;
  }
  const clean = Buffer.from(goid);
  clean.fill(0, 16, 20);
  return clean.toString('hex').toUpperCase();
}
