/**
 * The Remote port: everything the sync engine asks of a remote folder, in the engine's own terms (paths relative
 * to the pair's remote root, spelled with local names). VOSpace is one adapter (remote/vospace); the simulation's
 * in-memory remote is another, kept equal to the server by one contract suite (test/remote/contract.ts).
 *
 * Errors are VosErrors whose kinds the engine relies on: `not-found`, `exists` (a create or move found something
 * there), `conflict` (a precondition said no, or the bytes changed while they moved), `permission`, `transient`
 * and `unreachable` (worth retrying), `protocol` (an answer not to be trusted), `local` (the local disk refused).
 */
import type { TempGuard } from '../../util/temp-files.js';

/** A node as the remote reports it. */
export interface RemoteNode {
  kind: 'file' | 'dir' | 'link';
  /** Bytes; 0 for folders and links. */
  size: number;
  /** Last modification by the remote's own clock (epoch ms), when it reports one. */
  dateMs: number | undefined;
  /** Hex MD5 of the bytes, when the remote knows it (a service may fill it in late). */
  md5: string | undefined;
}

/** A child in a listing, by its local name. */
export interface RemoteChild extends RemoteNode {
  name: string;
  /**
   * The name as the remote spells it, when no local name maps back to it (another tool made it): such a child
   * can never be addressed again through this port, so it is reported and left alone.
   */
  unmappable?: string;
}

/** Bytes moved so far of a transfer, and its total when known. */
export type TransferProgress = (bytesDone: number, totalBytes: number | undefined) => void;

export interface UploadRequest {
  /** Absolute path of the local file. */
  file: string;
  /** MD5 of its bytes, as the engine hashed them: the remote verifies what it received against it. */
  md5: string;
  /**
   * Judges the node as read just before the bytes go (undefined: nothing there). When it says no nothing is
   * written and a `conflict` error is thrown. Without conditional writes this is the shortest check-to-write
   * window a remote can give.
   */
  precondition: (current: RemoteNode | undefined) => boolean;
  onProgress?: TransferProgress;
}

export interface UploadResult {
  /** False when nothing was sent because the node already held these bytes. */
  sent: boolean;
  md5: string;
  size: number;
  /**
   * The node as the remote holds it, when the upload read it anyway (nothing was sent: it held these bytes).
   * Bytes sent are not read back, their MD5 was verified by the server as they landed: the node's date comes from
   * one listing of its folder after a batch of uploads (the executor's landed uploads).
   */
  node?: RemoteNode;
}

export interface DownloadRequest {
  /** Absolute local path the bytes are for: the temp file is made beside it. */
  dest: string;
  /** The size and MD5 the engine planned with: other bytes are refused (`conflict`), never written over it. */
  size: number;
  md5?: string;
  /** Vets the temp file before it is touched and once it is open (download confinement). */
  guard: TempGuard;
  onProgress?: TransferProgress;
}

export interface DownloadResult {
  /** The verified temp file beside `dest`; the engine renames it into place after its own checks. */
  temp: string;
  md5: string;
  size: number;
}

export interface RemoteCapabilities {
  /**
   * Uploads create the node before its bytes arrive (VOSpace's push negotiation), so an empty node without an MD5
   * may be another machine's upload in progress, or the remains of one that was cut.
   */
  placeholders: boolean;
}

/** An empty, checksum-less file node: what a push negotiation leaves where an upload has not (yet) happened. */
export function isPlaceholder(
  node: { kind: string; size: number; md5?: string | undefined } | undefined,
): boolean {
  return node !== undefined && node.kind === 'file' && node.size === 0 && !node.md5;
}

/** One pair's remote folder. Paths are relative to its root ('' is the root), local names joined by '/'. */
export interface Remote {
  /** The root as users write it (`vos:alice/data`), for messages. */
  readonly uri: string;
  readonly capabilities: RemoteCapabilities;
  /** The node at a path, or undefined when there is none. */
  stat(rel: string): Promise<RemoteNode | undefined>;
  /** The children of a folder (`not-found` when it is gone), in the remote's order. */
  list(rel: string, opts?: { signal?: AbortSignal }): AsyncIterable<RemoteChild>;
  /** Writes a file's bytes to a path, replacing a file there when the precondition allows. */
  upload(rel: string, req: UploadRequest): Promise<UploadResult>;
  /** Fetches a file's bytes into a verified temp file beside `req.dest`. */
  download(rel: string, req: DownloadRequest): Promise<DownloadResult>;
  /** Makes a folder (`exists` when something is there); with `parents`, missing ancestors too and no error. */
  mkdir(rel: string, opts?: { parents?: boolean }): Promise<void>;
  /**
   * Moves a node to `to` (`exists` when a file is there). As in VOSpace, a folder at `to` receives the node inside
   * it: callers make sure `to` is free first.
   */
  move(from: string, to: string): Promise<void>;
  /** Deletes a node; a folder with children only with `recursive`. */
  delete(rel: string, opts?: { recursive?: boolean }): Promise<void>;
  /** Why the remote cannot hold a local name, or undefined. */
  nameProblem(localName: string): string | undefined;
}

/** A pair's remote folder as the config names it. */
export interface RemoteFolder {
  /** As the user wrote it (`vos:alice/data`). */
  remote: string;
  /** Whether local names the remote cannot hold are mapped to names it can (else they are not synced). */
  nameEncoding: boolean;
}

/** An allocation's quota and use now (either undefined when the service does not say). */
export interface AllocationState {
  quota: number | undefined;
  used: number | undefined;
}

/** A connection to a remote service, handing out the Remote of each pair's folder. */
export interface RemoteService {
  forPair(folder: RemoteFolder): Remote;
  /**
   * An allocation, as an upload refused for space named it (`QuotaState.container`), as it is now: its quota and
   * bytes used. Undefined when it cannot be read.
   */
  allocation(container: string): Promise<AllocationState | undefined>;
  /** A failure in words, with what the service can tell of its cause (a refused certificate: expired, foreign). */
  explain(e: unknown): string;
  /** Lets requests in flight end, then closes. */
  close(): Promise<void>;
  /** Cuts off every request in flight. */
  destroy(): Promise<void>;
}
