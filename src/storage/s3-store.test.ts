import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { startS3 } from '../../test/helpers/s3.ts';
import { objectStoreContract } from './object-store.contract.ts';
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
