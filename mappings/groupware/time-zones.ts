/**
 * Time zones for the groupware converters — the one import for zone handling:
 * - names → IANA ids (zone-names.ts: Windows ids and display names old and new, offset-style
 *   names, IANA ids and aliases): resolveZoneName, fixedOffsetOf, windowsToIana;
 * - zones known only by rules (zone-rules.ts): zoneFromRules (the IANA zone behaving the same);
 *   buildCustomVTimezone is in vtimezone.ts with buildVTimezone;
 * - wall-clock / UTC-offset arithmetic on IANA zones through Intl (zone-intl.ts).
 */
export { isIanaZone, wallClock, offsetMinutes, type WallClock } from './zone-intl.js';
export { resolveZoneName, fixedOffsetOf, fixedZoneName, windowsToIana, etcZone } from './zone-names.js';
export { zoneFromRules, customOffsetAt } from './zone-rules.js';
