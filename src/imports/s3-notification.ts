import { AppError } from '../shared/errors.ts';

/** An object a notification says was created: its bucket and its full key in that bucket. */
export interface NotifiedObject {
  bucket: string;
  key: string;
}

interface S3Record {
  eventName?: unknown;
  s3?: { bucket?: { name?: unknown }; object?: { key?: unknown } };
}

/**
 * The created objects of an S3 event notification: the `Records` JSON that AWS S3 sends (to
 * Lambda, SQS, SNS) and that MinIO's webhook target POSTs (with `EventName` and `Key` on top,
 * which are the first record's again). `ObjectCreated` events only (`s3:ObjectCreated:Put`,
 * `…:CompleteMultipartUpload`, `…:Copy`; AWS writes them without `s3:`); removals and the rest
 * are skipped. S3's test event (sent when a notification is configured) names nothing.
 * Keys arrive URL-encoded as a form (`+` for a space), and are decoded here.
 */
export function createdObjects(body: unknown): NotifiedObject[] {
  if (typeof body !== 'object' || body === null) throw notANotification();
  const b = body as { Records?: unknown; Event?: unknown };
  if (b.Event === 's3:TestEvent') return [];
  if (!Array.isArray(b.Records)) throw notANotification();
  const out: NotifiedObject[] = [];
  for (const r of b.Records as S3Record[]) {
    if (typeof r?.eventName !== 'string' || !/^(s3:)?ObjectCreated:/.test(r.eventName)) continue;
    const bucket = r.s3?.bucket?.name;
    const key = r.s3?.object?.key;
    if (typeof bucket !== 'string' || typeof key !== 'string') throw notANotification();
    out.push({ bucket, key: decodeKey(key) });
  }
  return out;
}

function decodeKey(key: string): string {
  try {
    return decodeURIComponent(key.replace(/\+/g, ' '));
  } catch {
    throw new AppError(
      'FH_ERR_VALIDATION',
      `The object key ${JSON.stringify(key.slice(0, 200))} is not URL-encoded.`,
    );
  }
}

function notANotification(): AppError {
  return new AppError(
    'FH_ERR_VALIDATION',
    'This is not an S3 event notification: expected { "Records": [{ "eventName", "s3": { "bucket": { "name" }, "object": { "key" } } }] }.',
  );
}
