import { createReadStream, createWriteStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import {
  AbortMultipartUploadCommand,
  CopyObjectCommand,
  DeleteObjectsCommand,
  GetBucketLifecycleConfigurationCommand,
  GetObjectCommand,
  HeadBucketCommand,
  HeadObjectCommand,
  type HeadObjectCommandOutput,
  type LifecycleRule,
  ListMultipartUploadsCommand,
  ListObjectsV2Command,
  NoSuchKey,
  NotFound,
  PutBucketLifecycleConfigurationCommand,
  S3Client,
  type S3ClientConfig,
  type StorageClass,
} from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import {
  assertValidKey,
  type ByteRange,
  contentTypeFor,
  type ListedObject,
  type NativeLifecycleRules,
  type ObjectInfo,
  ObjectNotFoundError,
  type ObjectStore,
  type PendingMultipartUpload,
  UnsupportedByStoreError,
} from './object-store.ts';

/**
 * How long a connection to the store may take to open; how long a quick request (a HEAD, the
 * start of a GET, a listing, a deletion) may wait for its answer; and how long any request's
 * socket may stay silent. Requests that carry or make big objects (puts, parts, copies) get no
 * total limit: their time grows with the object, and a body in flight keeps the socket busy.
 */
export const S3_CONNECT_TIMEOUT_MS = 3000;
export const S3_ANSWER_TIMEOUT_MS = 5000;
export const S3_SILENCE_TIMEOUT_MS = 60_000;
/** Per-call options of a quick request: each of the SDK's tries gets this long to be answered. */
const QUICK = { requestTimeout: S3_ANSWER_TIMEOUT_MS };

export interface S3Location {
  bucket: string;
  /** Prepended to every key, without a trailing slash ('' for the bucket's root). */
  prefix: string;
  endpoint?: string;
  region?: string;
  forcePathStyle: boolean;
  /**
   * When the SDK adds integrity checksums to requests: `when_supported` (its default, AWS S3)
   * sends streamed bodies `aws-chunked` with a trailing checksum, which many S3-compatible
   * services store verbatim or refuse; `when_required` sends plain bodies.
   */
  checksums: 'when_supported' | 'when_required';
}

/**
 * `s3://bucket/prefix?endpoint=…&region=…&force_path_style=true`. Credentials never come from
 * the URL: the SDK's default provider chain finds them (environment, shared file, instance or
 * pod role).
 */
export function parseS3Url(url: string): S3Location {
  const u = new URL(url);
  if (u.protocol !== 's3:' || !u.hostname) throw new Error('STORAGE_URL must look like s3://bucket/prefix');
  if (u.username || u.password)
    throw new Error('STORAGE_URL must not carry credentials: use the AWS environment');
  const endpoint = u.searchParams.get('endpoint') ?? undefined;
  const region = u.searchParams.get('region') ?? undefined;
  const checksums = u.searchParams.get('checksums') ?? (endpoint ? 'when_required' : 'when_supported');
  if (checksums !== 'when_required' && checksums !== 'when_supported')
    throw new Error('STORAGE_URL checksums must be when_required or when_supported');
  return {
    bucket: u.hostname,
    prefix: u.pathname.replace(/^\/+|\/+$/g, ''),
    ...(endpoint ? { endpoint } : {}),
    ...(region ? { region } : {}),
    forcePathStyle: u.searchParams.get('force_path_style') === 'true',
    checksums,
  };
}

/**
 * Object store on any S3-compatible service (AWS S3, MinIO, R2, Ceph…). Large bodies go up as
 * multipart uploads (lib-storage) streamed from disk or a stream: never held whole in memory.
 * An S3 PUT is atomic by itself: readers see the old object or the new one.
 */
export class S3ObjectStore implements ObjectStore {
  readonly #s3: S3Client;
  readonly #bucket: string;
  readonly #prefix: string;
  readonly #copyObjectLimit: number;
  /** How to reach the bucket, for other S3 clients of the same bucket (resumable uploads). */
  readonly clientConfig: S3ClientConfig & { bucket: string };

  constructor(location: S3Location, opts: { copyObjectLimit?: number } = {}) {
    this.#bucket = location.bucket;
    this.#prefix = location.prefix ? `${location.prefix}/` : '';
    // CopyObject copies at most 5 GiB in one request; above that the copy streams through here.
    this.#copyObjectLimit = opts.copyObjectLimit ?? 5 * 1024 ** 3;
    const config: S3ClientConfig = {
      region: location.region ?? process.env.AWS_REGION ?? 'us-east-1',
      forcePathStyle: location.forcePathStyle,
      ...(location.endpoint ? { endpoint: location.endpoint } : {}),
      requestChecksumCalculation: location.checksums === 'when_required' ? 'WHEN_REQUIRED' : 'WHEN_SUPPORTED',
      responseChecksumValidation: location.checksums === 'when_required' ? 'WHEN_REQUIRED' : 'WHEN_SUPPORTED',
      // Without these the SDK waits for ever on a store that accepts a request and never answers:
      // requests and jobs hung with it. `requestTimeout` is a total time to the answer's headers
      // (body upload included), so it is set per call, on the quick ones only (QUICK); the
      // socket's silence limit covers every request, big ones too, and is shared with the
      // resumable-upload store (clientConfig).
      requestHandler: {
        connectionTimeout: S3_CONNECT_TIMEOUT_MS,
        socketTimeout: S3_SILENCE_TIMEOUT_MS,
        // This handler version only warns when a request's time is up, unless told to fail it.
        throwOnRequestTimeout: true,
      },
    };
    this.clientConfig = { ...config, bucket: location.bucket };
    this.#s3 = new S3Client(config);
  }

  /** The bucket key an object-store key lives at (with the configured prefix). */
  bucketKey(key: string): string {
    return this.#key(key);
  }

  keyFromBucket(bucket: string, bucketKey: string): string | null {
    if (bucket !== this.#bucket || !bucketKey.startsWith(this.#prefix)) return null;
    return bucketKey.slice(this.#prefix.length);
  }

  #key(key: string): string {
    assertValidKey(key);
    return `${this.#prefix}${key}`;
  }

  async put(key: string, body: Readable | Buffer | string): Promise<ObjectInfo> {
    const Key = this.#key(key);
    await new Upload({
      client: this.#s3,
      params: { Bucket: this.#bucket, Key, Body: body, ContentType: contentTypeFor(key) },
      queueSize: 4,
      partSize: 8 * 1024 * 1024,
    }).done();
    return this.#statOrThrow(key);
  }

  async putFile(key: string, path: string): Promise<ObjectInfo> {
    return this.put(key, createReadStream(path));
  }

  async copy(fromKey: string, toKey: string): Promise<ObjectInfo> {
    const source = await this.#statOrThrow(fromKey);
    if (source.size > this.#copyObjectLimit) return this.put(toKey, await this.get(fromKey));
    await this.#s3.send(
      new CopyObjectCommand({
        Bucket: this.#bucket,
        Key: this.#key(toKey),
        CopySource: this.#copySource(fromKey),
        ContentType: contentTypeFor(toKey),
        MetadataDirective: 'REPLACE',
      }),
    );
    return this.#statOrThrow(toKey);
  }

  async presignedGetUrl(key: string, expiresInSeconds: number): Promise<string> {
    // Signed locally (no request): the URL carries the credentials' signature, never the secret.
    return getSignedUrl(this.#s3, new GetObjectCommand({ Bucket: this.#bucket, Key: this.#key(key) }), {
      expiresIn: expiresInSeconds,
    });
  }

  async get(key: string, range?: ByteRange): Promise<Readable> {
    try {
      const r = await this.#s3.send(
        new GetObjectCommand({
          Bucket: this.#bucket,
          Key: this.#key(key),
          ...(range ? { Range: `bytes=${range.start}-${range.end}` } : {}),
        }),
        QUICK,
      );
      return r.Body as Readable;
    } catch (e) {
      throw notFound(e, key);
    }
  }

  async getBuffer(key: string): Promise<Buffer> {
    const chunks: Buffer[] = [];
    for await (const chunk of await this.get(key)) chunks.push(chunk as Buffer);
    return Buffer.concat(chunks);
  }

  async stat(key: string): Promise<ObjectInfo | null> {
    try {
      const r = await this.#s3.send(
        new HeadObjectCommand({ Bucket: this.#bucket, Key: this.#key(key) }),
        QUICK,
      );
      return {
        size: r.ContentLength ?? 0,
        etag: r.ETag ?? `"${r.LastModified?.getTime() ?? 0}"`,
        lastModified: r.LastModified ?? new Date(0),
        contentType: contentTypeFor(key),
      };
    } catch (e) {
      if (isNotFound(e)) return null;
      throw e;
    }
  }

  async delete(key: string): Promise<void> {
    await this.#deleteMany([this.#key(key)]);
  }

  async deletePrefix(prefix: string): Promise<number> {
    const keys = await this.list(prefix);
    // DeleteObjects takes at most 1000 keys a request.
    for (let i = 0; i < keys.length; i += 1000) {
      await this.#deleteMany(keys.slice(i, i + 1000).map((k) => this.#key(k)));
    }
    return keys.length;
  }

  async #deleteMany(keys: string[]): Promise<void> {
    if (keys.length === 0) return;
    await this.#s3.send(
      new DeleteObjectsCommand({
        Bucket: this.#bucket,
        Delete: { Objects: keys.map((Key) => ({ Key })), Quiet: true },
      }),
      QUICK,
    );
  }

  async list(prefix: string): Promise<string[]> {
    const out: string[] = [];
    let token: string | undefined;
    do {
      const r = await this.#s3.send(
        new ListObjectsV2Command({
          Bucket: this.#bucket,
          Prefix: `${this.#prefix}${prefix}`,
          ...(token ? { ContinuationToken: token } : {}),
        }),
        QUICK,
      );
      for (const o of r.Contents ?? []) if (o.Key) out.push(o.Key.slice(this.#prefix.length));
      token = r.IsTruncated ? r.NextContinuationToken : undefined;
    } while (token);
    return out.sort();
  }

  async *listDetailed(prefix: string): AsyncIterable<ListedObject> {
    let token: string | undefined;
    do {
      const r = await this.#s3.send(
        new ListObjectsV2Command({
          Bucket: this.#bucket,
          Prefix: `${this.#prefix}${prefix}`,
          ...(token ? { ContinuationToken: token } : {}),
        }),
        QUICK,
      );
      for (const o of r.Contents ?? []) {
        if (!o.Key) continue;
        yield {
          key: o.Key.slice(this.#prefix.length),
          size: o.Size ?? 0,
          etag: o.ETag ?? '',
          lastModified: o.LastModified ?? new Date(0),
          // S3 leaves it out of some listings for the default class.
          storageClass: o.StorageClass ?? 'STANDARD',
        };
      }
      token = r.IsTruncated ? r.NextContinuationToken : undefined;
    } while (token);
  }

  /**
   * A copy of the object onto itself with the new class. MetadataDirective REPLACE, carrying the
   * metadata the HEAD just read: S3 takes COPY plus a class as well, but S3 clones such as s3rver
   * refuse a self-copy that does not replace the metadata, and REPLACE with the same values is
   * the same object on S3. Above CopyObject's limit the bytes stream through this process.
   */
  async setStorageClass(key: string, storageClass: string): Promise<{ changed: boolean; size: number }> {
    const Key = this.#key(key);
    let head: HeadObjectCommandOutput;
    try {
      head = await this.#s3.send(new HeadObjectCommand({ Bucket: this.#bucket, Key }), QUICK);
    } catch (e) {
      throw notFound(e, key);
    }
    const size = head.ContentLength ?? 0;
    // HEAD leaves the class out for STANDARD.
    if ((head.StorageClass ?? 'STANDARD') === storageClass) return { changed: false, size };
    const kept = {
      ContentType: head.ContentType ?? contentTypeFor(key),
      ...(head.CacheControl ? { CacheControl: head.CacheControl } : {}),
      ...(head.ContentDisposition ? { ContentDisposition: head.ContentDisposition } : {}),
      ...(head.ContentEncoding ? { ContentEncoding: head.ContentEncoding } : {}),
      ...(head.ContentLanguage ? { ContentLanguage: head.ContentLanguage } : {}),
      ...(head.WebsiteRedirectLocation ? { WebsiteRedirectLocation: head.WebsiteRedirectLocation } : {}),
      Metadata: head.Metadata ?? {},
      StorageClass: storageClass as StorageClass,
    };
    if (size > this.#copyObjectLimit) {
      await new Upload({
        client: this.#s3,
        params: { Bucket: this.#bucket, Key, Body: await this.get(key), ...kept },
        queueSize: 4,
        partSize: 8 * 1024 * 1024,
      }).done();
    } else {
      await this.#s3.send(
        new CopyObjectCommand({
          Bucket: this.#bucket,
          Key,
          CopySource: this.#copySource(key),
          MetadataDirective: 'REPLACE',
          ...kept,
        }),
      );
    }
    return { changed: true, size };
  }

  async *listMultipartUploads(): AsyncIterable<PendingMultipartUpload> {
    let keyMarker: string | undefined;
    let uploadIdMarker: string | undefined;
    do {
      const r = await this.#s3
        .send(
          new ListMultipartUploadsCommand({
            Bucket: this.#bucket,
            Prefix: this.#prefix,
            ...(keyMarker ? { KeyMarker: keyMarker } : {}),
            ...(uploadIdMarker ? { UploadIdMarker: uploadIdMarker } : {}),
          }),
          QUICK,
        )
        .catch((e: unknown) => {
          throw unsupported(e, 'listing multipart uploads (ListMultipartUploads)');
        });
      for (const u of r.Uploads ?? []) {
        if (!u.Key || !u.UploadId) continue;
        yield {
          key: u.Key.slice(this.#prefix.length),
          uploadId: u.UploadId,
          initiated: u.Initiated ?? new Date(0),
        };
      }
      keyMarker = r.IsTruncated ? r.NextKeyMarker : undefined;
      uploadIdMarker = r.IsTruncated ? r.NextUploadIdMarker : undefined;
    } while (keyMarker);
  }

  async abortMultipartUpload(key: string, uploadId: string): Promise<void> {
    try {
      await this.#s3.send(
        new AbortMultipartUploadCommand({ Bucket: this.#bucket, Key: this.#key(key), UploadId: uploadId }),
        QUICK,
      );
    } catch (e) {
      if (errorName(e) === 'NoSuchUpload') return; // aborted or completed meanwhile
      throw unsupported(e, 'aborting multipart uploads (AbortMultipartUpload)');
    }
  }

  /**
   * PutBucketLifecycleConfiguration replaces the bucket's whole configuration: the rules already
   * there are read first and kept, ours (by its ID, one per prefix) is replaced.
   */
  async applyLifecycleRules(rules: NativeLifecycleRules): Promise<void> {
    const what = 'bucket lifecycle rules (PutBucketLifecycleConfiguration)';
    let existing: LifecycleRule[] = [];
    try {
      const r = await this.#s3.send(
        new GetBucketLifecycleConfigurationCommand({ Bucket: this.#bucket }),
        QUICK,
      );
      existing = r.Rules ?? [];
    } catch (e) {
      if (errorName(e) !== 'NoSuchLifecycleConfiguration') throw unsupported(e, what);
    }
    const id = this.lifecycleRuleId();
    const ours: LifecycleRule = {
      ID: id,
      Status: 'Enabled',
      Filter: { Prefix: this.#prefix },
      AbortIncompleteMultipartUpload: { DaysAfterInitiation: rules.abortIncompleteMultipartUploadDays },
    };
    await this.#s3
      .send(
        new PutBucketLifecycleConfigurationCommand({
          Bucket: this.#bucket,
          LifecycleConfiguration: { Rules: [...existing.filter((r) => r.ID !== id), ours] },
        }),
      )
      .catch((e: unknown) => {
        throw unsupported(e, what);
      });
  }

  /** The ID of the bucket lifecycle rule Framehouse writes for this store's prefix. */
  lifecycleRuleId(): string {
    const prefix = this.#prefix.replace(/\/$/, '');
    return `framehouse-abort-incomplete-uploads${prefix ? `:${prefix}` : ''}`.slice(0, 255);
  }

  #copySource(key: string): string {
    // URL-encoded, '/' kept: imported objects' names may hold spaces and any letters.
    return `${this.#bucket}/${this.#key(key).split('/').map(encodeURIComponent).join('/')}`;
  }

  /** ffmpeg reads local files: the object is streamed to a temporary file first, removed after. */
  async withLocalFile<T>(key: string, fn: (path: string) => Promise<T>): Promise<T> {
    const dir = await mkdtemp(join(tmpdir(), 'framehouse-s3-'));
    try {
      const path = join(dir, 'object');
      await pipeline(await this.get(key), createWriteStream(path));
      return await fn(path);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }

  async checkHealth(): Promise<void> {
    await this.#s3.send(new HeadBucketCommand({ Bucket: this.#bucket }), QUICK);
  }

  async #statOrThrow(key: string): Promise<ObjectInfo> {
    const info = await this.stat(key);
    if (!info) throw new ObjectNotFoundError(key);
    return info;
  }
}

function isNotFound(e: unknown): boolean {
  const status = (e as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
  return e instanceof NotFound || e instanceof NoSuchKey || status === 404;
}

function notFound(e: unknown, key: string): unknown {
  return isNotFound(e) ? new ObjectNotFoundError(key) : e;
}

function errorName(e: unknown): string | undefined {
  return (e as { name?: string } | null)?.name;
}

/** A request the service does not implement (501, or 405 for a method it has no route for). */
function unsupported(e: unknown, what: string): unknown {
  const status = (e as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
  const name = errorName(e);
  return name === 'NotImplemented' || name === 'MethodNotAllowed' || status === 501
    ? new UnsupportedByStoreError(what, { cause: e })
    : e;
}
