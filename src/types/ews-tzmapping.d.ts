/** The part of ews-javascript-api's bundled CLDR windowsZones data (no published types) that this project uses. */
declare module 'ews-javascript-api/js/tzmapping.js' {
  /**
   * Keys are Windows zone ids (value: [IANA ids with the territory-001 zone first, display name,
   * standard name, daylight name, has DST, base offset minutes]) and IANA ids (value: the Windows id).
   */
  export const TimeZoneMappingData: Record<string, string | [string[] | null, string, string, string, boolean, number]>;
}
