/**
 * A validator for what a CalDAV/CardDAV target PUTs, applying the rules NextCloud (sabre/dav) and
 * Cyrus enforce plus the two no Debian server checks (a TZID without its VTIMEZONE, a RECURRENCE-ID
 * or EXDATE of another value type than DTSTART: both make the UMS show events on the wrong day).
 *
 * iCalendar (sabre/vobject `VCalendar::validate` with `PROFILE_CALDAV`, as sabre/dav's CalDAV
 * plugin calls it, and RFC 4791 §4.1 / RFC 5545):
 * one VCALENDAR; VERSION 2.0 and PRODID exactly once; no METHOD; at least one and exactly one
 * type of VEVENT/VTODO/VJOURNAL; every one with the same UID; one master at most, no RECURRENCE-ID
 * twice; every TZID referenced has a VTIMEZONE; RECURRENCE-ID and EXDATE of the value type of
 * the master's DTSTART; VEVENT with DTSTART, DTEND of DTSTART's type and not before it, not both
 * DTEND and DURATION (VTODO: DUE likewise). DTSTAMP missing is a warning (sabre repairs it).
 *
 * vCard (sabre's CardDAV plugin and `VCard::validate` with `PROFILE_CARDDAV`, RFC 6352 §5.1,
 * Cyrus): one VCARD; VERSION 3.0 or 4.0 (2.1 is refused by Cyrus; sabre would convert it); FN and
 * UID exactly once; no 2.1-style bare parameters (`TEL;HOME:`) and no QUOTED-PRINTABLE, which
 * 3.0/4.0 do not have. N missing in 3.0 is a warning.
 *
 * A line-based reader of its own (not ical.js, which the code under test uses). Pure.
 */

export interface Violation {
  level: 'error' | 'warning';
  /** Short rule id, e.g. "METHOD", "TZID", "UID". */
  rule: string;
  message: string;
}

interface Prop { name: string; params: Map<string, string>; bare: string[]; value: string }
interface Comp { name: string; props: Prop[]; children: Comp[] }

/** Unfolds content lines (RFC 5545 §3.1) and parses them into a component tree. */
function parse(text: string, out: Violation[]): Comp[] {
  const lines = text.replace(/^\uFEFF/, '').replace(/\r\n|\r/g, '\n').replace(/\n[ \t]/g, '').split('\n').filter((l) => l.trim() !== '');
  const roots: Comp[] = [];
  const stack: Comp[] = [];
  for (const line of lines) {
    const p = parseLine(line);
    if (!p) {
      out.push({ level: 'error', rule: 'SYNTAX', message: `not a content line: ${line.slice(0, 60)}` });
      continue;
    }
    if (p.name === 'BEGIN') {
      const c: Comp = { name: p.value.toUpperCase(), props: [], children: [] };
      (stack.length > 0 ? stack[stack.length - 1]!.children : roots).push(c);
      stack.push(c);
    } else if (p.name === 'END') {
      const top = stack.pop();
      if (!top || top.name !== p.value.toUpperCase()) out.push({ level: 'error', rule: 'SYNTAX', message: `END:${p.value} does not close ${top ? `BEGIN:${top.name}` : 'anything'}` });
    } else if (stack.length > 0) {
      stack[stack.length - 1]!.props.push(p);
    } else {
      out.push({ level: 'error', rule: 'SYNTAX', message: `property ${p.name} outside any component` });
    }
  }
  for (const c of stack) out.push({ level: 'error', rule: 'SYNTAX', message: `BEGIN:${c.name} is never closed` });
  return roots;
}

function parseLine(line: string): Prop | undefined {
  const m = /^(?:[A-Za-z0-9-]+\.)?([A-Za-z0-9-]+)/.exec(line);
  if (!m) return undefined;
  const prop: Prop = { name: m[1]!.toUpperCase(), params: new Map(), bare: [], value: '' };
  let i = m[0].length;
  while (line[i] === ';') {
    let j = i + 1;
    let quoted = false;
    while (j < line.length && (quoted || (line[j] !== ';' && line[j] !== ':'))) {
      if (line[j] === '"') quoted = !quoted;
      j++;
    }
    const raw = line.slice(i + 1, j);
    const eq = raw.indexOf('=');
    if (eq < 0) prop.bare.push(raw.toUpperCase());
    else prop.params.set(raw.slice(0, eq).toUpperCase(), raw.slice(eq + 1).replace(/^"|"$/g, ''));
    i = j;
  }
  if (line[i] !== ':') return undefined;
  prop.value = line.slice(i + 1);
  return prop;
}

const all = (c: Comp, name: string): Prop[] => c.props.filter((p) => p.name === name);
const one = (c: Comp, name: string): Prop | undefined => all(c, name)[0];

function exactlyOnce(c: Comp, name: string, out: Violation[], level: Violation['level'] = 'error'): void {
  const n = all(c, name).length;
  if (n !== 1) out.push({ level, rule: name, message: `${c.name} must have ${name} exactly once, found ${n}` });
}

type ValueType = 'DATE' | 'DATE-TIME';
function valueType(p: Prop): ValueType {
  const v = p.params.get('VALUE')?.toUpperCase();
  if (v === 'DATE' || v === 'DATE-TIME') return v;
  return /^\d{8}$/.test(p.value.split(',')[0]!.trim()) ? 'DATE' : 'DATE-TIME';
}

/** Comparable instant key for DTSTART/DTEND of the same type and zone; undefined when not comparable. */
function comparable(a: Prop, b: Prop): [string, string] | undefined {
  const za = a.value.endsWith('Z') ? 'Z' : a.params.get('TZID') ?? '';
  const zb = b.value.endsWith('Z') ? 'Z' : b.params.get('TZID') ?? '';
  return za === zb ? [a.value, b.value] : undefined;
}

const DATE_PROPS = ['DTSTART', 'DTEND', 'DUE', 'RECURRENCE-ID', 'EXDATE', 'RDATE'];
const OBJECT_TYPES = new Set(['VEVENT', 'VTODO', 'VJOURNAL']);

function checkComponent(c: Comp, master: Comp | undefined, out: Violation[]): void {
  const uid = one(c, 'UID')?.value ?? '?';
  const what = `${c.name} ${uid}${one(c, 'RECURRENCE-ID') ? ` (RECURRENCE-ID ${one(c, 'RECURRENCE-ID')!.value})` : ''}`;
  if (all(c, 'UID').length !== 1) out.push({ level: 'error', rule: 'UID', message: `${c.name} must have UID exactly once, found ${all(c, 'UID').length}` });
  if (all(c, 'DTSTAMP').length === 0) out.push({ level: 'warning', rule: 'DTSTAMP', message: `${what} has no DTSTAMP (sabre adds one)` });
  const start = one(c, 'DTSTART');
  const end = c.name === 'VTODO' ? one(c, 'DUE') : one(c, 'DTEND');
  const endName = c.name === 'VTODO' ? 'DUE' : 'DTEND';
  if (c.name === 'VEVENT' && !start) out.push({ level: 'error', rule: 'DTSTART', message: `${what} has no DTSTART` });
  if (end && one(c, 'DURATION')) out.push({ level: 'error', rule: endName, message: `${what} has both ${endName} and DURATION` });
  if (start && end) {
    if (valueType(start) !== valueType(end)) {
      out.push({ level: 'error', rule: endName, message: `${what}: ${endName} is a ${valueType(end)} but DTSTART a ${valueType(start)}` });
    } else {
      const cmp = comparable(start, end);
      if (cmp && cmp[1] < cmp[0]) out.push({ level: 'error', rule: endName, message: `${what}: ${endName} ${end.value} is before DTSTART ${start.value}` });
    }
  }
  const ref = (master ? one(master, 'DTSTART') : undefined) ?? start;
  if (ref) {
    for (const name of ['RECURRENCE-ID', 'EXDATE']) {
      for (const p of all(c, name)) {
        if (valueType(p) !== valueType(ref)) {
          out.push({ level: 'error', rule: name, message: `${what}: ${name} ${p.value} is a ${valueType(p)} but the series' DTSTART ${ref.value} a ${valueType(ref)} (the occurrence would not match)` });
        }
      }
    }
  }
}

/** Violations of the CalDAV profile in one calendar object resource (empty: fine). */
export function validateCalDavObject(text: string): Violation[] {
  const out: Violation[] = [];
  const roots = parse(text, out);
  if (roots.length !== 1 || roots[0]!.name !== 'VCALENDAR') {
    out.push({ level: 'error', rule: 'VCALENDAR', message: `a calendar object must be exactly one VCALENDAR, found ${roots.map((r) => r.name).join(', ') || 'nothing'}` });
    if (roots[0]?.name !== 'VCALENDAR') return out;
  }
  const cal = roots[0]!;
  exactlyOnce(cal, 'VERSION', out);
  if (one(cal, 'VERSION') && one(cal, 'VERSION')!.value.trim() !== '2.0') out.push({ level: 'error', rule: 'VERSION', message: `only iCalendar 2.0 is supported, found VERSION:${one(cal, 'VERSION')!.value}` });
  exactlyOnce(cal, 'PRODID', out);
  if (one(cal, 'METHOD')) out.push({ level: 'error', rule: 'METHOD', message: `a calendar object on a CalDAV server must not have a METHOD property (METHOD:${one(cal, 'METHOD')!.value})` });
  const objects = cal.children.filter((c) => OBJECT_TYPES.has(c.name));
  const types = new Set(objects.map((c) => c.name));
  const uids = new Set(objects.map((c) => one(c, 'UID')?.value));
  if (objects.length === 0) out.push({ level: 'error', rule: 'COMPONENT', message: 'a calendar object must have at least one VEVENT, VTODO or VJOURNAL' });
  if (types.size > 1) out.push({ level: 'error', rule: 'COMPONENT', message: `a calendar object may only have one type of component, found ${[...types].join(', ')}` });
  if (uids.size > 1) out.push({ level: 'error', rule: 'UID', message: `a calendar object may only have components with the same UID, found ${uids.size}: ${[...uids].slice(0, 3).join(', ')}` });
  const masters = objects.filter((c) => !one(c, 'RECURRENCE-ID'));
  for (const u of uids) {
    if (masters.filter((c) => one(c, 'UID')?.value === u).length > 1) out.push({ level: 'error', rule: 'UID', message: `more than one master component for UID ${u ?? '?'}` });
  }
  const rids = objects.map((c) => one(c, 'RECURRENCE-ID')?.value).filter((v): v is string => v !== undefined);
  for (const dup of new Set(rids.filter((r, i) => rids.indexOf(r) !== i))) out.push({ level: 'error', rule: 'RECURRENCE-ID', message: `RECURRENCE-ID ${dup} appears twice` });
  for (const c of objects) checkComponent(c, masters.find((m) => one(m, 'UID')?.value === one(c, 'UID')?.value), out);
  const zones = new Set(cal.children.filter((c) => c.name === 'VTIMEZONE').map((z) => one(z, 'TZID')?.value));
  const used = new Set(objects.flatMap((c) => c.props.filter((p) => DATE_PROPS.includes(p.name)).map((p) => p.params.get('TZID'))).filter((z): z is string => z !== undefined));
  for (const z of used) if (!zones.has(z)) out.push({ level: 'error', rule: 'TZID', message: `TZID ${JSON.stringify(z)} is used but the object has no VTIMEZONE for it` });
  return out;
}

/** Violations of the CardDAV profile in one address object resource (empty: fine). */
export function validateCardDavObject(text: string): Violation[] {
  const out: Violation[] = [];
  const roots = parse(text, out);
  if (roots.length !== 1 || roots[0]!.name !== 'VCARD') {
    out.push({ level: 'error', rule: 'VCARD', message: `an address object must be exactly one VCARD, found ${roots.map((r) => r.name).join(', ') || 'nothing'}` });
    if (roots[0]?.name !== 'VCARD') return out;
  }
  const card = roots[0]!;
  exactlyOnce(card, 'VERSION', out);
  const version = one(card, 'VERSION')?.value.trim();
  if (version !== undefined && version !== '3.0' && version !== '4.0') out.push({ level: 'error', rule: 'VERSION', message: `vCard VERSION:${version} (CardDAV servers take 3.0 or 4.0; Cyrus refuses 2.1)` });
  exactlyOnce(card, 'FN', out);
  exactlyOnce(card, 'UID', out);
  if (version === '3.0' && !one(card, 'N')) out.push({ level: 'warning', rule: 'N', message: 'a vCard 3.0 should have N' });
  for (const p of card.props) {
    if (p.bare.length > 0) out.push({ level: 'error', rule: 'PARAM', message: `${p.name} has vCard 2.1-style bare parameters ${p.bare.join(';')} (3.0/4.0 need TYPE=…)` });
    if ((p.params.get('ENCODING') ?? '').toUpperCase() === 'QUOTED-PRINTABLE') out.push({ level: 'error', rule: 'ENCODING', message: `${p.name} is QUOTED-PRINTABLE, which vCard 3.0/4.0 do not have` });
  }
  return out;
}

/** Either validator, by the object's first BEGIN line. */
export function validateDavObject(text: string): Violation[] {
  const m = /^[ \t]*BEGIN:(VCALENDAR|VCARD)[ \t]*\r?$/im.exec(text);
  if (!m) return [{ level: 'error', rule: 'FORMAT', message: 'neither BEGIN:VCALENDAR nor BEGIN:VCARD' }];
  return m[1]!.toUpperCase() === 'VCARD' ? validateCardDavObject(text) : validateCalDavObject(text);
}

/** Only the errors, as "RULE: message" lines (what a test asserts to be empty). */
export function profileErrors(text: string): string[] {
  return validateDavObject(text).filter((v) => v.level === 'error').map((v) => `${v.rule}: ${v.message}`);
}

/** One PUT a DAV client sent, with the server's answer. */
export interface ObservedPut { path: string; body: string; status: number; response: string }

interface HttpLike {
  request(req: { method: string; url: URL; body?: string | Buffer }, auth: { login: string; password: string }): Promise<{ status: number; body: string }>;
}

/**
 * Records every PUT sent through `http` (e.g. a DavTarget's `http`), with its answer, by wrapping
 * its `request`. Returns the live list.
 */
export function observePuts(http: HttpLike): ObservedPut[] {
  const puts: ObservedPut[] = [];
  const send = http.request.bind(http);
  http.request = async (req, auth) => {
    const res = await send(req, auth);
    if (req.method === 'PUT') {
      const body = req.body === undefined ? '' : typeof req.body === 'string' ? req.body : req.body.toString('utf8');
      puts.push({ path: decodeURIComponent(req.url.pathname), body, status: res.status, response: res.body });
    }
    return res;
  };
  return puts;
}

/** "path: RULE: message" for every profile error in the PUTs (what a test expects to be empty). */
export function putViolations(puts: ObservedPut[]): string[] {
  return puts.flatMap((p) => profileErrors(p.body).map((e) => `${p.path}: ${e}`));
}
