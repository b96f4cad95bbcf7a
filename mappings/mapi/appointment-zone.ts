/**
 * The time zone of a MAPI appointment, from the properties Outlook keeps it in, trusted in the
 * order Outlook trusts them ([MS-OXOCAL] 2.2.1.39–2.2.1.42 and the PidLidAppointmentTimeZone-
 * DefinitionRecur remarks):
 *
 * - a series: PidLidAppointmentTimeZoneDefinitionRecur (TZDEFINITION) when PidLidTimeZoneStruct
 *   is absent or agrees with its effective rule (or the rule flagged as matching it); otherwise
 *   PidLidTimeZoneStruct (TZREG: an older client changed the zone), named by
 *   PidLidTimeZoneDescription; then PidLidAppointmentTimeZoneDefinitionStartDisplay;
 * - a single appointment: PidLidAppointmentTimeZoneDefinitionStartDisplay, then the series
 *   properties above (older clients kept only those).
 *
 * Each source gives an IANA zone when its name resolves (the TZDEFINITION's Windows key name, or
 * the display name, new "(UTC+01:00) …" or old "(GMT+01:00) …" style, through
 * mappings/groupware `resolveZoneName`), else a custom zone built from its rules, one period per
 * rule year. A display name is trusted for a TZREG only when the named zone has the TZREG's
 * offsets. A damaged or rule-less source is skipped for the next one; when none gives a zone
 * the item fails with every problem named — never a silent UTC.
 *
 * An appointment with none of these properties is genuinely zone-less (Outlook 2003 and older,
 * many converters): `undefined`, and the caller's rules apply: a timed value is an exact UTC
 * instant, an all-day one the nearest midnight, a series the fixed offset its pattern implies.
 */
import { offsetMinutes, resolveZoneName } from '../groupware/time-zones.js';
import type { MapiZone } from './custom-zone.js';
import {
  effectiveRule, parseTzDefinition, parseTzReg, rulePeriod, rulesToCustomZone, sameRule, TZRULE_FLAG_RECUR_CURRENT_TZREG, type TzRule,
} from './tz-definition.js';
import { coerceError } from '../../src/util/errors.js';

export interface ZoneProperties {
  /** PidLidAppointmentTimeZoneDefinitionStartDisplay. */
  defStart?: Buffer;
  /** PidLidAppointmentTimeZoneDefinitionRecur. */
  defRecur?: Buffer;
  /** PidLidTimeZoneStruct. */
  struct?: Buffer;
  /** PidLidTimeZoneDescription. */
  description?: string;
}

export class ZoneError extends Error {
  override readonly name = 'ZoneError';
}

/** The name a rules-only zone is written under when the item names none (Exchange's own term). */
export const CUSTOM_ZONE_NAME = 'Customized Time Zone';

type Attempt = { zone: MapiZone } | { problem: string } | undefined;

function fromDefinition(blob: Buffer | undefined, prop: string, description: string | undefined, struct?: TzRule): Attempt {
  if (!blob || blob.length === 0) return undefined;
  let def;
  try {
    def = parseTzDefinition(blob);
  } catch (err) {
    return { problem: `${prop} is damaged: ${coerceError(err).message}` };
  }
  if (struct) {
    const eff = effectiveRule(def);
    const marked = def.rules.filter((r) => r.flags & TZRULE_FLAG_RECUR_CURRENT_TZREG);
    const agrees = (eff && sameRule(eff, struct)) || marked.some((r) => sameRule(r, struct));
    if (!agrees) return { problem: `${prop} disagrees with PidLidTimeZoneStruct (an older client changed the zone)` };
  }
  const iana = def.keyName ? resolveZoneName(def.keyName) : undefined;
  if (iana) return { zone: iana };
  if (def.rules.length) return { zone: rulesToCustomZone(def.keyName ?? description ?? CUSTOM_ZONE_NAME, def.rules) };
  return { problem: `${prop} ${def.keyName ? `names the unknown zone ${JSON.stringify(def.keyName)}` : 'has no zone name'} and no rules` };
}

/** True when IANA zone `tzid` has the rule's standard and daylight offsets in `year`. */
function zoneHasOffsets(tzid: string, rule: TzRule, year: number): boolean {
  const p = rulePeriod({ ...rule, year: 0 });
  const want = [p.standardOffset, p.daylight?.offset ?? p.standardOffset].sort((a, b) => a - b);
  const got = [offsetMinutes(Date.UTC(year, 0, 15), tzid), offsetMinutes(Date.UTC(year, 6, 15), tzid)].sort((a, b) => a - b);
  return want[0] === got[0] && want[1] === got[1];
}

function fromStruct(rule: TzRule | undefined, description: string | undefined, year: number): Attempt {
  if (!rule) return undefined;
  const iana = description ? resolveZoneName(description) : undefined;
  if (iana && zoneHasOffsets(iana, rule, year)) return { zone: iana };
  try {
    return { zone: rulesToCustomZone(description ?? CUSTOM_ZONE_NAME, [rule]) };
  } catch (err) {
    return { problem: `PidLidTimeZoneStruct is damaged: ${coerceError(err).message}` };
  }
}

function fromDescription(description: string | undefined): Attempt {
  if (!description) return undefined;
  const iana = resolveZoneName(description);
  return iana ? { zone: iana } : { problem: `PidLidTimeZoneDescription ${JSON.stringify(description)} names no known zone` };
}

/**
 * The appointment's zone; undefined when it has no zone property at all. `start` (its first
 * start) picks the year a display name's offsets are checked in. Throws ZoneError naming what
 * was found when zone properties exist but none gives a zone.
 */
export function appointmentZone(props: ZoneProperties, recurring: boolean, start: Date): MapiZone | undefined {
  const problems: string[] = [];
  let struct: TzRule | undefined;
  if (props.struct?.length) {
    try {
      struct = parseTzReg(props.struct);
    } catch (err) {
      problems.push(`PidLidTimeZoneStruct is damaged: ${coerceError(err).message}`);
    }
  }
  const year = start.getUTCFullYear();
  const startDisplay = (): Attempt => fromDefinition(props.defStart, 'PidLidAppointmentTimeZoneDefinitionStartDisplay', props.description);
  const seriesSources = [
    (): Attempt => fromDefinition(props.defRecur, 'PidLidAppointmentTimeZoneDefinitionRecur', props.description, struct),
    (): Attempt => fromStruct(struct, props.description, year),
  ];
  const order = recurring ? [...seriesSources, startDisplay] : [startDisplay, ...seriesSources];
  for (const attempt of [...order, (): Attempt => fromDescription(props.description)]) {
    const r = attempt();
    if (r && 'zone' in r) return r.zone;
    if (r) problems.push(r.problem);
  }
  if (problems.length) throw new ZoneError(`the time zone cannot be determined: ${problems.join('; ')}`);
  return undefined;
}
