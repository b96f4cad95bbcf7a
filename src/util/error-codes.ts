/**
 * The error catalogue: every code an error of this tool carries (TransientError, ItemError,
 * FatalError in errors.ts), with what it means. A code names the kind of failure for scripts and
 * tests; the message names the item and the reason for people. A new code is a line here (the
 * compiler refuses one that is not).
 */
export const ERROR_CODES = {
  // The defaults of the three classes.
  TRANSIENT: 'worth retrying: the connection or the server failed for now',
  ITEM_REJECTED: 'this item cannot be migrated; the run goes on',
  FATAL: 'the mailbox or container cannot go on',

  // Configuration, state and command use.
  STATE_FILE_DAMAGED: 'the SQLite state file is damaged or not a state file',
  CONFIG: 'the config or a file it names is unusable',
  USAGE: 'the command line asks for something the command cannot do',
  INSECURE: 'plaintext or unverified TLS without allowInsecure (src/util/transport-policy.ts)',
  NO_MAILBOX: 'no configured mailbox matches the one asked for',
  NOT_MIGRATED: 'the mailbox was never migrated (nothing to approve)',
  NO_WAVE: 'the cutover wave never ran (nothing to roll back)',
  WAVE_NOT_CURRENT: 'a rollback of a wave other than the last one published',
  NO_BATCH: 'the cutover batch file cannot be read',
  NO_ROUTING: 'the config has no routing: section',
  NO_DIRECTORY: 'the address book comes from the directory, but the config has no directory: section',
  NO_DIRECTORY_STATE: 'the address book comes from the directory, but the directory sync never ran',

  // Connections (any protocol).
  NETWORK: 'a connection failed or was cut',
  TLS: 'the TLS handshake or the server certificate failed',
  AUTH: 'a login is missing or was refused',
  PROTOCOL: 'the server answered outside the protocol',
  BAD_LOGIN: 'a source login cannot name a file or directory of a file source',
  LINK_REFUSED: "a symbolic link in a file source's path is not followed",

  // IMAP.
  REJECTED: 'the IMAP server answered NO or BAD to a command for this item',
  SHORT_READ: 'the IMAP server sent fewer bytes than it listed for the message',
  CREATE: 'a target folder cannot be created',

  // File sources (PST, .msg, Kopano).
  NO_SUCH_MAILBOX: "the mailbox's directory does not exist",
  CONTAINER_GONE: 'the folder is no longer in the source',
  ITEM_GONE: 'the item is no longer in the source',
  ITEM_SKIPPED: 'the source lists the item as not migrated (with the reason)',
  ITEM_UNREADABLE: 'the item cannot be read from the source',
  PST_NO_FILE: 'no PST file matches the mailbox',
  PST_REFUSED: 'the PST file is refused (not a PST, damaged header, a link…)',
  PST_FILE: 'the PST file cannot be read',
  PST_NO_FOLDER: 'no such folder in the PST file',
  PST_CURSOR: 'a stored PST cursor is not valid',
  PST_ITEM: 'an item of the PST file cannot be read',
  MSG_ITEM: 'a .msg file cannot be read or converted',
  MAPI_BAD_ITEM: 'a MAPI item (PST, .msg, Kopano) cannot be converted',

  // Exchange (EWS).
  EWS_HTTP: 'Exchange answered with an HTTP error',
  EWS_SERVER_BUSY: 'Exchange asked to wait (ErrorServerBusy, HTTP 503/429 with Retry-After)',
  EWS_ERROR: 'Exchange answered an operation with an error code of no known shape',
  EWS_NETWORK: 'the connection to Exchange failed or was cut',
  EWS_TLS: "Exchange's certificate is not trusted",
  EWS_AUTH: 'Exchange refused the login or the NTLM negotiation',
  EWS_NO_ANSWER: 'Exchange returned no answer for the item',
  EWS_NO_ITEM: 'GetItem answered without the item',
  EWS_NO_MIME: 'the item has no MimeContent to export as a message',
  EWS_UNREADABLE: 'Exchange refused to return the item',
  EWS_UNSUPPORTED_ITEM: 'an item of a class that is not migrated in this kind of folder',
  EWS_OCCURRENCE: 'a single occurrence of a series: migrated with its master, not alone',
  EWS_BAD_ITEM: 'an Exchange item cannot be converted',
  CONVERSION: 'the item cannot be converted to iCalendar or vCard',

  // CalDAV/CardDAV target.
  DISCOVERY: 'no CalDAV/CardDAV principal or home set found at the URL',
  CROSS_ORIGIN: 'the DAV server pointed to another origin (credentials are never sent there)',
  MKCOL: 'a calendar, task list or address book cannot be created',
  LIST: 'a collection cannot be listed',
  NOT_GROUPWARE: 'a container name is not a calendar, task list or address book',
  INVALID_OBJECT: 'the calendar object or vCard is not valid for the server',
  NO_UID: 'the object has no UID',
  UID_CONFLICT: 'two items of one folder carry the same UID',
  WRONG_COLLECTION: 'the object belongs in another kind of collection',
  CONFLICT: 'the object keeps changing on the server while being written',
  DELETE: 'deleting objects failed',
} as const;

/** A code of the catalogue. */
export type CatalogueCode = keyof typeof ERROR_CODES;

/**
 * A code another party gave the failure, passed on as it came: a Node system error (ECONNRESET),
 * an HTTP status (HTTP_503), an EWS ResponseCode (ErrorServerBusy), an IMAP response code
 * (IMAP_UNAVAILABLE).
 */
export type PassedOnCode = `E${string}` | `HTTP_${number}` | `IMAP_${string}`;

export type ErrorCode = CatalogueCode | PassedOnCode;

const PASSED_ON = /^(E[A-Z0-9_]+|Error[A-Za-z]+|HTTP_\d{3}|IMAP_[A-Z0-9-]+)$/;

/** `code` when it has the shape of a passed-on code (see PassedOnCode), else `fallback`. */
export function passedOn(code: string | undefined, fallback: CatalogueCode): ErrorCode {
  return code !== undefined && PASSED_ON.test(code) ? (code as PassedOnCode) : fallback;
}
