/** Neutral groupware model → iCalendar / vCard (see each module); the one import for sources. */
export { ConversionError } from './errors.js';
export { eventToICalendar, taskToICalendar, PRODID } from './icalendar.js';
export { contactToVCard, groupToVCard, formattedName, type VCardVersion } from './vcard.js';
export { windowsToIana, isIanaZone } from './time-zones.js';
export { uidFromItemId } from './uid.js';
