import type { Readable } from 'node:stream';

/**
 * The object-store port. Keys are relative, slash-separated paths such as
 * `sources/{assetId}/source` or `hls/{assetId}/720p/seg_00001.m4s`.
 * Adapters: local folder (embedded default) and any S3-compatible service.
 */
export interface ObjectInfo {
  size: number;
  etag: string;
  lastModified: Date;
  contentType: string;
}

/** One entry of a detailed listing: what a listing request returns without reading the object. */
export interface ListedObject extends Omit<ObjectInfo, 'contentType'> {
  key: string;
  /** The store's storage class (`STANDARD`, `STANDARD_IA`, …), or `local` for a folder. */
  storageClass: string;
}

/** A multipart upload begun in the store and neither completed nor aborted (S3). */
export interface PendingMultipartUpload {
  key: string;
  uploadId: string;
  initiated: Date;
}

/** Rules a store can run by itself (an S3 bucket's lifecycle configuration). */
export interface NativeLifecycleRules {
  /** Multipart uploads under the store's prefix are aborted this many days after they began. */
  abortIncompleteMultipartUploadDays: number;
}

export interface ByteRange {
  /** Inclusive start and end offsets. */
  start: number;
  end: number;
}

export interface ObjectStore {
  /** Writes atomically: readers see the old object or the whole new one, never a part. */
  put(key: string, body: Readable | Buffer | string): Promise<ObjectInfo>;
  /** Stores a copy of a local file; `link` lets the local adapter hard-link instead of copying. */
  putFile(key: string, path: string, opts?: { link?: boolean }): Promise<ObjectInfo>;
  /**
   * Copies one stored object to another key without passing it through this process where the
   * store can do it itself (a hard link on disk, a server-side copy on S3).
   */
  copy(fromKey: string, toKey: string): Promise<ObjectInfo>;
  get(key: string, range?: ByteRange): Promise<Readable>;
  /**
   * A time-limited URL that lets anyone holding it GET the object straight from the store
   * (ranges included), or null when the store has no URLs of its own (a local folder).
   */
  presignedGetUrl(key: string, expiresInSeconds: number): Promise<string | null>;
  getBuffer(key: string): Promise<Buffer>;
  stat(key: string): Promise<ObjectInfo | null>;
  delete(key: string): Promise<void>;
  deletePrefix(prefix: string): Promise<number>;
  list(prefix: string): Promise<string[]>;
  /**
   * Every object under `prefix` with its size, etag, time and storage class, in key order, a
   * page at a time: a store of millions of objects is never held in memory (backups, storage use).
   */
  listDetailed(prefix: string): AsyncIterable<ListedObject>;
  /**
   * Runs `fn` with a local file path holding the object (ffmpeg needs a path). The local
   * adapter passes its own file; a remote adapter downloads to a temporary file first.
   */
  withLocalFile<T>(key: string, fn: (path: string) => Promise<T>): Promise<T>;
  /** Throws when the store cannot be reached or written. */
  checkHealth(): Promise<void>;
  /**
   * The key in this store of an object a bucket notification names (its bucket and full key),
   * or null when the object is not in this store. Absent: the name is the key.
   */
  keyFromBucket?(bucket: string, bucketKey: string): string | null;
  /**
   * Stores the object again under the same key with another storage class (same bytes and
   * metadata). `changed` is false when it had that class already. Absent: the store has no
   * classes (a folder).
   */
  setStorageClass?(key: string, storageClass: string): Promise<{ changed: boolean; size: number }>;
  /**
   * Multipart uploads under the store's prefix that were never completed or aborted. Throws
   * UnsupportedByStoreError where the service cannot list them. Absent: the store has none.
   */
  listMultipartUploads?(): AsyncIterable<PendingMultipartUpload>;
  /** Frees the parts of an unfinished multipart upload; one that is gone already is no error. */
  abortMultipartUpload?(key: string, uploadId: string): Promise<void>;
  /**
   * Writes the rules into the store's own lifecycle configuration, keeping whatever else is
   * configured there. Throws UnsupportedByStoreError where the service has no such API.
   * Absent: the store has no rules of its own (a folder).
   */
  applyLifecycleRules?(rules: NativeLifecycleRules): Promise<void>;
}

/** The service behind the store does not implement a request (s3rver answers NotImplemented to some). */
export class UnsupportedByStoreError extends Error {
  constructor(what: string, options?: ErrorOptions) {
    super(`The object store does not support ${what}`, options);
    this.name = 'UnsupportedByStoreError';
  }
}

// A segment: any characters but `/`, `\` and control characters, not starting with `.` (no `.`,
// `..` or hidden files). Framehouse's own keys are plain ASCII; objects that people put under
// `imports/` carry the names cameras and sync tools give them ("IMG 0001 (2).JPG", "제주 여행.mp4").
const SEGMENT = /^[^./\\\p{Cc}][^/\\\p{Cc}]*$/u;

/** Keys cannot escape the store's root: no `..`, no absolute paths, no empty segments. */
export function assertValidKey(key: string): void {
  if (Buffer.byteLength(key) > 1024 || !key.split('/').every((s) => SEGMENT.test(s))) {
    throw new InvalidKeyError(key);
  }
}

export class InvalidKeyError extends Error {
  constructor(key: string) {
    super(`Invalid object key: ${JSON.stringify(key.slice(0, 100))}`);
    this.name = 'InvalidKeyError';
  }
}

export class ObjectNotFoundError extends Error {
  readonly key: string;
  constructor(key: string) {
    super(`No object at ${key}`);
    this.name = 'ObjectNotFoundError';
    this.key = key;
  }
}

const CONTENT_TYPES: Record<string, string> = {
  m3u8: 'application/vnd.apple.mpegurl',
  m4s: 'video/iso.segment',
  mp4: 'video/mp4',
  m4a: 'audio/mp4',
  jpg: 'image/jpeg',
  jpeg: 'image/jpeg',
  png: 'image/png',
  webp: 'image/webp',
  avif: 'image/avif',
  tif: 'image/tiff',
  vtt: 'text/vtt; charset=utf-8',
  json: 'application/json',
};

export function contentTypeFor(key: string): string {
  const ext = key.slice(key.lastIndexOf('.') + 1).toLowerCase();
  return CONTENT_TYPES[ext] ?? 'application/octet-stream';
}
