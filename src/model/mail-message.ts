/**
 * Neutral model of one mail message read from a property-based store (PST, .msg, Kopano
 * backup): what the MIME builder in `mappings/mapi/` needs to produce RFC 5322 bytes.
 * Sources fill what they have; the builder prefers `transportHeaders` when present and
 * rebuilds headers from the other fields otherwise.
 */

export interface MailAddress {
  name?: string;
  /** SMTP address; sources resolve EX (legacyExchangeDN) addresses where they can. */
  address?: string;
}

export interface MailAttachment {
  filename?: string;
  mimeType?: string;
  /** Content-ID for inline images referenced by cid: in the HTML body. */
  contentId?: string;
  inline?: boolean;
  /** Attachment by value. */
  data?: Buffer;
  /** Embedded message (attach method 5) → message/rfc822. */
  message?: MailMessage;
}

export interface MailMessage {
  /** PR_TRANSPORT_MESSAGE_HEADERS when present: the original headers, kept as they were. */
  transportHeaders?: string;
  from?: MailAddress;
  sender?: MailAddress;
  replyTo?: MailAddress[];
  to?: MailAddress[];
  cc?: MailAddress[];
  bcc?: MailAddress[];
  subject?: string;
  /** Client submit time (Date header). */
  date?: Date;
  /** Delivery time (INTERNALDATE). */
  deliveryTime?: Date;
  messageId?: string;
  inReplyTo?: string;
  references?: string;
  bodyText?: string;
  bodyHtml?: string;
  /** PR_RTF_COMPRESSED: decompressed by the builder; HTML de-encapsulated when Outlook stored it that way. */
  rtfCompressed?: Buffer;
  attachments?: MailAttachment[];
  read?: boolean;
  flagged?: boolean;
  answered?: boolean;
  forwarded?: boolean;
  /** Outlook categories → IMAP keywords. */
  categories?: string[];
  /** PR_MESSAGE_CLASS, e.g. 'IPM.Note'. */
  messageClass?: string;
  importance?: 'low' | 'normal' | 'high';
}
