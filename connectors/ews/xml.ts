/**
 * The little XML the EWS source and its simulator need: parse a SOAP document (namespace-aware,
 * @xmldom/xmldom), walk it by local name, and escape values for the request templates.
 */
import { DOMParser } from '@xmldom/xmldom';

/** A DOM element (xmldom implements the standard DOM interfaces). */
export type XmlElement = Element;

export const NS = {
  soap: 'http://schemas.xmlsoap.org/soap/envelope/',
  types: 'http://schemas.microsoft.com/exchange/services/2006/types',
  messages: 'http://schemas.microsoft.com/exchange/services/2006/messages',
  errors: 'http://schemas.microsoft.com/exchange/services/2006/errors',
} as const;

/** Parses XML text; throws with the parser's message when it is not well-formed. */
export function parseXml(text: string): XmlElement {
  const problems: string[] = [];
  const doc = new DOMParser({
    errorHandler: {
      warning: () => undefined,
      error: (msg: string) => { problems.push(msg); },
      fatalError: (msg: string) => { problems.push(msg); },
    },
  }).parseFromString(text, 'text/xml');
  const root = doc.documentElement;
  if (problems.length > 0 || !root) throw new Error(`malformed XML: ${problems[0] ?? 'no root element'}`);
  return root as unknown as XmlElement;
}

/** Element children of `el`, optionally only those with local name `name`. */
export function kids(el: XmlElement | undefined, name?: string): XmlElement[] {
  const out: XmlElement[] = [];
  if (!el) return out;
  for (let n = el.firstChild; n; n = n.nextSibling) {
    if (n.nodeType === 1 && (name === undefined || (n as XmlElement).localName === name)) out.push(n as XmlElement);
  }
  return out;
}

/** The first child element named `name`, or, with several names, the path down through them. */
export function kid(el: XmlElement | undefined, ...path: string[]): XmlElement | undefined {
  let cur = el;
  for (const name of path) cur = kids(cur, name)[0];
  return cur;
}

/** First descendant with local name `name` (depth-first). */
export function find(el: XmlElement | undefined, name: string): XmlElement | undefined {
  if (!el) return undefined;
  for (const k of kids(el)) {
    if (k.localName === name) return k;
    const deeper = find(k, name);
    if (deeper) return deeper;
  }
  return undefined;
}

/** Text content of the element at `path` below `el` (undefined when absent). */
export function textOf(el: XmlElement | undefined, ...path: string[]): string | undefined {
  const e = path.length ? kid(el, ...path) : el;
  return e ? (e.textContent ?? '') : undefined;
}

export function attr(el: XmlElement | undefined, name: string): string | undefined {
  return el?.hasAttribute(name) ? (el.getAttribute(name) ?? undefined) : undefined;
}

export function esc(s: string): string {
  return s.replace(/[<>&"']/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;', "'": '&apos;' })[c] as string);
}

/** Serialises an element (with its namespace declarations) back to text. */
export function outer(el: XmlElement): string {
  return el.toString();
}
