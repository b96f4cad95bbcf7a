/** The `groupwareTarget:` section of a CalDAV/CardDAV server (type dav, the default). */
import { z } from 'zod';
import type { Expect, SameType } from '../../src/config-blocks/connector-module.js';
import { int, nonEmpty, sizeField } from '../../src/config-blocks/fields.js';
import { noUrlCredentials } from '../../src/config-blocks/url-credentials.js';

export const davTargetSchema = z
  .object({
    type: z.literal('dav').default('dav'),
    url: z.string().url('expected an http(s) URL, e.g. https://cloud.example.org/remote.php/dav/').refine((u) => /^https?:\/\//i.test(u), 'expected an https:// (or, with allowInsecure, http://) URL')
      .superRefine(noUrlCredentials),
    allowInsecure: z.boolean().default(false),
    tlsVerify: z.boolean().default(true),
    caFile: nonEmpty.optional(),
    maxConnections: int(1, 100).default(4),
    timeoutSeconds: int(5, 3600).default(120),
    vcardVersion: z.enum(['3.0', '4.0']).default('3.0'),
    maxAttachmentSize: sizeField.default('1MB'),
    maxObjectSize: sizeField.default('20MB'),
  })
  .strict();

/**
 * The CalDAV/CardDAV server that takes calendars, task lists and address books (optional; without
 * it those containers are planned as not migrated). Logs in as each mailbox's target login with
 * its targetPassword (HTTP Basic over TLS).
 */
export interface DavTargetConfig {
  type: 'dav';
  /** Server root or DAV context path (https://cloud.example.org/remote.php/dav/); RFC 6764 discovery from there. */
  url: string;
  /** Required (true) for http:// URLs and for tlsVerify=false. */
  allowInsecure: boolean;
  tlsVerify: boolean;
  /** Extra CA bundle (absolute after loading). */
  caFile?: string;
  /** HTTP connections to this server across the whole run. */
  maxConnections: number;
  /** Seconds before an unanswered request is given up and retried (a PUT again under the same name: writes are idempotent). */
  timeoutSeconds: number;
  /** vCard version written (every contact is converted to it). */
  vcardVersion: '3.0' | '4.0';
  /** Attachments of calendar items and tasks up to this size (bytes) are carried inline; larger ones are left out with a warning on the item. */
  maxAttachmentSize: number;
  /** A calendar object or vCard larger than this (bytes) after normalisation fails with the reason. */
  maxObjectSize: number;
}

/** The schema's output and the interface above agree (SameType). */
type _SameType = Expect<SameType<z.output<typeof davTargetSchema>, DavTargetConfig>>;
