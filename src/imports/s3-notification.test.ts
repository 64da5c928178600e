import assert from 'node:assert/strict';
import { test } from 'node:test';
import { AppError } from '../shared/errors.ts';
import { createdObjects } from './s3-notification.ts';

// As AWS documents its event message structure (version 2.1), trimmed of nothing that matters.
const aws = {
  Records: [
    {
      eventVersion: '2.1',
      eventSource: 'aws:s3',
      awsRegion: 'eu-west-1',
      eventTime: '2026-11-23T10:00:00.000Z',
      eventName: 'ObjectCreated:CompleteMultipartUpload',
      userIdentity: { principalId: 'AWS:AIDAEXAMPLE' },
      requestParameters: { sourceIPAddress: '203.0.113.7' },
      responseElements: {
        'x-amz-request-id': 'C3D13FE58DE4C810',
        'x-amz-id-2': 'FMyUVURIY8/IgAtTv8xRjskZQpcIZ9KG4V5Wp6S7S/JRWeUWerMUE5JgHvANOjpD',
      },
      s3: {
        s3SchemaVersion: '1.0',
        configurationId: 'framehouse-imports',
        bucket: {
          name: 'travel-media',
          ownerIdentity: { principalId: 'A3NL1KOZZKExample' },
          arn: 'arn:aws:s3:::travel-media',
        },
        object: {
          key: 'imports/jeju+2026/%EC%A0%9C%EC%A3%BC+%EC%97%AC%ED%96%89.mp4',
          size: 1024,
          eTag: 'd41d8cd98f00b204e9800998ecf8427e-2',
          sequencer: '0055AED6DCD90281E5',
        },
      },
    },
    {
      eventVersion: '2.1',
      eventSource: 'aws:s3',
      eventName: 'ObjectRemoved:Delete',
      s3: {
        bucket: { name: 'travel-media' },
        object: { key: 'imports/old.mp4', sequencer: '0055AED6DCD90281E6' },
      },
    },
  ],
};

// What MinIO's webhook target POSTs: the record (with `s3:` in the event name), and
// EventName/Key (bucket/object, not encoded) on top.
const minio = {
  EventName: 's3:ObjectCreated:Put',
  Key: 'media/framehouse/imports/IMG 0001 (2).JPG',
  Records: [
    {
      eventVersion: '2.0',
      eventSource: 'minio:s3',
      awsRegion: '',
      eventTime: '2026-11-23T10:00:00.000Z',
      eventName: 's3:ObjectCreated:Put',
      userIdentity: { principalId: 'minioadmin' },
      requestParameters: { principalId: 'minioadmin', region: '', sourceIPAddress: '10.0.0.9' },
      responseElements: {
        'x-amz-request-id': '17A9C5B4AEB1D31F',
        'x-minio-origin-endpoint': 'http://10.0.0.2:9000',
      },
      s3: {
        s3SchemaVersion: '1.0',
        configurationId: 'Config',
        bucket: { name: 'media', ownerIdentity: { principalId: 'minioadmin' }, arn: 'arn:aws:s3:::media' },
        object: {
          key: 'framehouse%2Fimports%2FIMG+0001+%282%29.JPG',
          size: 2048,
          eTag: '9a0364b9e99bb480dd25e1f0284c8555',
          contentType: 'image/jpeg',
          userMetadata: { 'content-type': 'image/jpeg' },
          sequencer: '17A9C5B4AEDE4F3A',
        },
      },
      source: { host: '10.0.0.9', port: '', userAgent: 'rclone/v1.68.2' },
    },
  ],
};

test('AWS S3: created objects only, keys decoded (a + is a space, UTF-8 escapes)', () => {
  assert.deepEqual(createdObjects(aws), [{ bucket: 'travel-media', key: 'imports/jeju 2026/제주 여행.mp4' }]);
});

test('MinIO: the same records, with s3: in the event name', () => {
  assert.deepEqual(createdObjects(minio), [{ bucket: 'media', key: 'framehouse/imports/IMG 0001 (2).JPG' }]);
});

test("S3's test event names nothing; anything else is refused with a code", () => {
  assert.deepEqual(
    createdObjects({ Service: 'Amazon S3', Event: 's3:TestEvent', Bucket: 'travel-media' }),
    [],
  );
  for (const body of [
    null,
    'x',
    {},
    { Records: 'x' },
    { Records: [{ eventName: 'ObjectCreated:Put', s3: {} }] },
  ]) {
    assert.throws(
      () => createdObjects(body),
      (e: unknown) => e instanceof AppError && e.code === 'FH_ERR_VALIDATION',
    );
  }
  assert.throws(
    () =>
      createdObjects({
        Records: [
          { eventName: 'ObjectCreated:Put', s3: { bucket: { name: 'b' }, object: { key: '%E0%A4%A' } } },
        ],
      }),
    /not URL-encoded/,
  );
});
