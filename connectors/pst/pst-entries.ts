/** What PstReader (pst-reader.ts) yields for folders and items, and the options of its walks. */
import type { PSTFile, PSTFolder, PSTMessage } from 'pst-extractor';
import type { DescriptorIndexNode } from 'pst-extractor/dist/DescriptorIndexNode.class.js';
import { quietly } from './extractor-output.js';
import type { PstFileError, PstItemError } from './pst-header.js';
import { loadObject } from './pst-objects.js';

export interface PstFolderEntry {
  /** Folder names from the walk's root (the IPM subtree by default), which itself is `[]`. */
  path: string[];
  displayName: string;
  /** PR_CONTAINER_CLASS, e.g. IPF.Note, IPF.Contact, IPF.Appointment; '' when unset (mail). */
  containerClass: string;
  /** The folder's node id (NID) in the file. */
  nodeId: number;
  /** PR_CONTENT_COUNT: the number of (non-associated) items the folder says it holds. */
  count: number;
  /** A search folder (NID type 0x03): its contents are links to items elsewhere; `messages()` yields none. */
  isSearchFolder: boolean;
  /** The pst-extractor object, for other folder properties. */
  raw: PSTFolder;
  /** Not listed in its parent's hierarchy table: found in the file's node index. */
  onlyInIndex?: boolean;
}

export interface FoldersOptions {
  /**
   * Called for a folder (or a folder's list of subfolders) that cannot be read, with the path it
   * would have; return to go on with the others, throw to stop. Default: throw.
   */
  onError?: (err: PstFileError, where: { path: string[]; nodeId: number }) => void;
}

export interface PstMessageEntry {
  nodeId: number;
  /** PR_MESSAGE_CLASS, e.g. IPM.Note, IPM.Contact, IPM.Appointment, REPORT.IPM.Note.NDR. */
  messageClass: string;
  /** PR_SUBJECT without its prefix marker. */
  subject: string;
  /** PR_DISPLAY_NAME (a contact's or distribution list's name). */
  displayName: string;
  senderName: string;
  senderEmailAddress: string;
  internetMessageId: string;
  clientSubmitTime: Date | null;
  deliveryTime: Date | null;
  /** PR_MESSAGE_SIZE in bytes. */
  size: number;
  hasAttachments: boolean;
  /** The pst-extractor object, for bodies, recipients, attachments and class-specific fields. */
  raw: PSTMessage;
}

export interface MessagesOptions {
  /**
   * Called for an item that cannot be read; return to skip it and go on, throw to stop.
   * Default: throw.
   */
  onError?: (err: PstItemError) => void;
}

/** Loads an item by its node id (pst-objects.ts: parsed once, with the fast readers). */
export function loadMessage(pst: PSTFile, node: number | DescriptorIndexNode): PSTMessage {
  return quietly(() => loadObject(pst, node) as PSTMessage);
}

/** The item `childId` (`node`: its node-index entry, when already looked up) as the reader yields it. */
export function messageEntry(pst: PSTFile, childId: number, node?: DescriptorIndexNode): PstMessageEntry {
  const raw = loadMessage(pst, node ?? childId);
  return {
    nodeId: childId,
    messageClass: raw.messageClass,
    subject: raw.subject,
    displayName: raw.displayName,
    senderName: raw.senderName,
    senderEmailAddress: raw.senderEmailAddress,
    internetMessageId: raw.internetMessageId,
    clientSubmitTime: raw.clientSubmitTime,
    deliveryTime: raw.messageDeliveryTime,
    size: raw.messageSize.toNumber(),
    hasAttachments: raw.hasAttachments,
    raw,
  };
}
