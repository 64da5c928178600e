import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import {
  CreateMultipartUploadCommand,
  GetBucketLifecycleConfigurationCommand,
  HeadObjectCommand,
  PutBucketLifecycleConfigurationCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import { motoMissing, startMoto } from '../../test/helpers/moto.ts';
import { startS3 } from '../../test/helpers/s3.ts';
import { objectStoreContract } from './object-store.contract.ts';
import { ObjectNotFoundError, UnsupportedByStoreError } from './object-store.ts';
import { parseS3Url, S3ObjectStore } from './s3-store.ts';

let s3: Awaited<ReturnType<typeof startS3>>;
before(async () => {
  s3 = await startS3();
});
after(() => s3.stop());

// Each test gets its own prefix in the bucket, so the contract runs on an empty store.
let n = 0;
objectStoreContract('S3 (s3rver, AWS SDK)', async () => {
  const location = parseS3Url(s3.url);
  return new S3ObjectStore({ ...location, prefix: `${location.prefix}/t${++n}` });
});

// Objects over CopyObject's limit are copied by streaming: the same contract with a tiny limit.
objectStoreContract('S3, copies streamed', async () => {
  const location = parseS3Url(s3.url);
  return new S3ObjectStore({ ...location, prefix: `${location.prefix}/t${++n}` }, { copyObjectLimit: 4 });
});

test('STORAGE_URL parsing: bucket, prefix, endpoint, path style; never credentials', () => {
  assert.deepEqual(
    parseS3Url(
      's3://media/prod/v1?endpoint=http%3A%2F%2Fminio%3A9000&region=eu-west-1&force_path_style=true',
    ),
    {
      bucket: 'media',
      prefix: 'prod/v1',
      endpoint: 'http://minio:9000',
      region: 'eu-west-1',
      forcePathStyle: true,
      checksums: 'when_required',
    },
  );
  assert.deepEqual(parseS3Url('s3://media'), {
    bucket: 'media',
    prefix: '',
    forcePathStyle: false,
    checksums: 'when_supported',
  });
  assert.equal(
    parseS3Url('s3://media?endpoint=http%3A%2F%2Fx&checksums=when_supported').checksums,
    'when_supported',
  );
  assert.throws(() => parseS3Url('s3://media?checksums=sometimes'), /checksums/);
  assert.throws(() => parseS3Url('s3://key:secret@media/x'), /credentials/);
});

// What s3rver (3.7) does with the lifecycle requests, checked here so the code and the docs say
// the same: a storage class set by a self-copy is kept and reported by HeadObject, but its
// listings say STANDARD for every object; multipart uploads cannot be listed (NotImplemented) or
// aborted (MethodNotAllowed); bucket lifecycle rules are NotImplemented.
test('setStorageClass: a self-copy with the class, metadata kept; again: no change (s3rver)', async () => {
  const location = parseS3Url(s3.url);
  for (const [limit, name] of [
    [undefined, 'copied'],
    [4, 'streamed'],
  ] as const) {
    const store = new S3ObjectStore(
      { ...location, prefix: `${location.prefix}/class-${name}` },
      { copyObjectLimit: limit },
    );
    const client = new S3Client(store.clientConfig);
    await store.put('hls/a/seg_00001.m4s', 'segment bytes');
    const before = await store.stat('hls/a/seg_00001.m4s');
    assert.deepEqual(await store.setStorageClass('hls/a/seg_00001.m4s', 'STANDARD_IA'), {
      changed: true,
      size: 13,
    });
    const head = await client.send(
      new HeadObjectCommand({ Bucket: location.bucket, Key: store.bucketKey('hls/a/seg_00001.m4s') }),
    );
    assert.equal(head.StorageClass, 'STANDARD_IA', name);
    assert.equal(head.ContentType, 'video/iso.segment', `${name}: the content type is kept`);
    assert.equal((await store.getBuffer('hls/a/seg_00001.m4s')).toString(), 'segment bytes');
    if (name === 'copied') assert.equal((await store.stat('hls/a/seg_00001.m4s'))?.etag, before?.etag);
    assert.deepEqual(await store.setStorageClass('hls/a/seg_00001.m4s', 'STANDARD_IA'), {
      changed: false,
      size: 13,
    });
    const listed = [];
    for await (const o of store.listDetailed('hls/')) listed.push(o.storageClass);
    assert.deepEqual(listed, ['STANDARD'], 's3rver lists every object as STANDARD (S3 lists the real class)');
    await assert.rejects(store.setStorageClass('hls/a/missing', 'STANDARD_IA'), ObjectNotFoundError);
  }
});

test('multipart uploads and bucket lifecycle rules: s3rver implements neither (UnsupportedByStoreError)', async () => {
  const location = parseS3Url(s3.url);
  const store = new S3ObjectStore({ ...location, prefix: `${location.prefix}/mpu` });
  const client = new S3Client(store.clientConfig);
  const begun = await client.send(
    new CreateMultipartUploadCommand({ Bucket: location.bucket, Key: store.bucketKey('abandoned.bin') }),
  );
  assert.ok(begun.UploadId, 's3rver begins multipart uploads');
  const listing = async () => {
    for await (const _ of store.listMultipartUploads()) {
      // nothing: the first page fails
    }
  };
  await assert.rejects(listing(), UnsupportedByStoreError);
  await assert.rejects(store.abortMultipartUpload('abandoned.bin', begun.UploadId), UnsupportedByStoreError);
  await assert.rejects(
    store.applyLifecycleRules({ abortIncompleteMultipartUploadDays: 7 }),
    UnsupportedByStoreError,
  );
  assert.equal(store.lifecycleRuleId(), `framehouse-abort-incomplete-uploads:${location.prefix}/mpu`);
});

// moto implements what s3rver does not: the same adapter against it.
describe('S3 lifecycle requests against moto', { skip: motoMissing }, () => {
  let moto: Awaited<ReturnType<typeof startMoto>>;
  before(async () => {
    moto = await startMoto();
  });
  after(() => moto.stop());

  test('storage classes show in listings', async () => {
    const store = new S3ObjectStore(parseS3Url(moto.url));
    await store.put('hls/m/seg_00001.m4s', 'moto segment');
    assert.deepEqual(await store.setStorageClass('hls/m/seg_00001.m4s', 'STANDARD_IA'), {
      changed: true,
      size: 12,
    });
    const listed = [];
    for await (const o of store.listDetailed('hls/m/')) listed.push([o.key, o.storageClass]);
    assert.deepEqual(listed, [['hls/m/seg_00001.m4s', 'STANDARD_IA']]);
    assert.equal((await store.getBuffer('hls/m/seg_00001.m4s')).toString(), 'moto segment');
  });

  test('multipart uploads under the prefix are listed (not those of other prefixes) and aborted', async () => {
    const location = parseS3Url(moto.url);
    const store = new S3ObjectStore({ ...location, prefix: `${location.prefix}/mine` });
    const begin = (Key: string) =>
      moto.client.send(new CreateMultipartUploadCommand({ Bucket: location.bucket, Key }));
    const ours = await begin(store.bucketKey('tus/abc'));
    await begin('someone-else/file.bin');
    const listed = [];
    for await (const u of store.listMultipartUploads()) listed.push(u);
    assert.deepEqual(
      listed.map((u) => [u.key, u.uploadId]),
      [['tus/abc', ours.UploadId]],
    );
    // moto reports 2010-11-10T20:48:33Z as every upload's start (fixed in its response template).
    assert.ok(listed[0]?.initiated instanceof Date);
    await store.abortMultipartUpload('tus/abc', ours.UploadId ?? '');
    await store.abortMultipartUpload('tus/abc', ours.UploadId ?? ''); // gone already: no error
    const after = [];
    for await (const u of store.listMultipartUploads()) after.push(u);
    assert.deepEqual(after, []);
  });

  test('applyLifecycleRules keeps the bucket’s other rules and replaces only its own', async () => {
    const location = parseS3Url(moto.url);
    const store = new S3ObjectStore(location);
    await moto.client.send(
      new PutBucketLifecycleConfigurationCommand({
        Bucket: location.bucket,
        LifecycleConfiguration: {
          Rules: [
            { ID: 'operator-logs', Status: 'Enabled', Filter: { Prefix: 'logs/' }, Expiration: { Days: 30 } },
          ],
        },
      }),
    );
    await store.applyLifecycleRules({ abortIncompleteMultipartUploadDays: 7 });
    await store.applyLifecycleRules({ abortIncompleteMultipartUploadDays: 3 });
    const rules =
      (await moto.client.send(new GetBucketLifecycleConfigurationCommand({ Bucket: location.bucket })))
        .Rules ?? [];
    assert.deepEqual(rules.map((r) => r.ID).sort(), [store.lifecycleRuleId(), 'operator-logs'].sort());
    const ours = rules.find((r) => r.ID === store.lifecycleRuleId());
    assert.equal(ours?.AbortIncompleteMultipartUpload?.DaysAfterInitiation, 3);
    assert.equal(ours?.Filter?.Prefix, `${location.prefix}/`);
  });
});
