import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { LiveStreamRow } from '../../db/schema.ts';
import { ERROR_MESSAGES_KO } from '../../i18n/error-messages.ko.ts';
import { IngestAddresses, urlHost } from './ingest-addresses.ts';
import { presentLiveStream, srtUrl } from './live-stream.presenter.ts';

const row = (over: Partial<LiveStreamRow> = {}): LiveStreamRow => ({
  id: 'stream00000000000001',
  title: 'Sale',
  status: 'idle',
  stream_key: 'KEYkey0123456789KEYkey0123456789',
  stream_key_hash: 'h',
  srt_passphrase: 'Pass0123456789Pass012345',
  srt_port: 10081,
  latency_mode: 'low',
  reconnect_window: 60,
  record: 1,
  created_by: 'user:u1',
  created_at: '2025-01-01T00:00:00.000Z',
  updated_at: '2025-01-01T00:00:00.000Z',
  node_id: null,
  current: null,
  last_error_code: null,
  last_error_message: null,
  disconnected_at: null,
  broadcast_id: null,
  ...over,
});
const playbackIds = [
  {
    id: 'pb000000000000000001',
    live_stream_id: 'stream00000000000001',
    policy: 'public' as const,
    created_at: '',
  },
];
const endpoints = { host: 'ingest.example.com', rtmpPort: 1935, rtmpsPort: 1936, srtEnabled: true };

test('owners see the key, the passphrase and the full SRT URL', () => {
  const json = presentLiveStream(
    { stream: row(), playbackIds, recordings: ['asset1'] },
    { endpoints, reveal: true },
  );
  assert.equal(json.stream_key, 'KEYkey0123456789KEYkey0123456789');
  assert.equal(json.srt_passphrase, 'Pass0123456789Pass012345');
  assert.deepEqual(json.ingest, {
    rtmp: 'rtmp://ingest.example.com:1935/live',
    rtmps: 'rtmps://ingest.example.com:1936/live',
    srt: 'srt://ingest.example.com:10081?streamid=KEYkey0123456789KEYkey0123456789&passphrase=Pass0123456789Pass012345',
  });
  assert.deepEqual(json.playback_ids, [{ id: 'pb000000000000000001', policy: 'public' }]);
  assert.deepEqual(json.playback, { hls: '/play/pb000000000000000001/master.m3u8' });
  assert.equal(json.record, true);
  assert.deepEqual(json.recordings, ['asset1']);
  assert.equal(json.last_error, null);
});

test('others get no secret anywhere in the answer', () => {
  const json = presentLiveStream(
    { stream: row(), playbackIds, recordings: [] },
    { endpoints, reveal: false },
  );
  assert.ok(!('stream_key' in json));
  assert.ok(!('srt_passphrase' in json));
  assert.equal(json.ingest.srt, 'srt://ingest.example.com:10081');
  const text = JSON.stringify(json);
  assert.ok(!text.includes('KEYkey0123456789'));
  assert.ok(!text.includes('Pass0123456789'));
});

test('current only while active; a damaged value shows as none; last_error when there is one', () => {
  const current = JSON.stringify({ started_at: 'x', renditions: [], ingest_bitrate: 5, fps: 30 });
  const active = presentLiveStream(
    { stream: row({ status: 'active', current }), playbackIds, recordings: [] },
    { endpoints, reveal: false },
  );
  assert.equal(active.current?.ingest_bitrate, 5);
  for (const status of ['idle', 'disconnected', 'disabled'] as const) {
    const j = presentLiveStream(
      { stream: row({ status, current }), playbackIds, recordings: [] },
      { endpoints, reveal: false },
    );
    assert.equal(j.current, null, status);
  }
  const damaged = presentLiveStream(
    { stream: row({ status: 'active', current: '{not json' }), playbackIds, recordings: [] },
    { endpoints, reveal: false },
  );
  assert.equal(damaged.current, null);
  const refused = presentLiveStream(
    {
      stream: row({
        last_error_code: 'FH_ERR_LIVE_UNSUPPORTED_MEDIA',
        last_error_message: 'HEVC is not accepted',
      }),
      playbackIds,
      recordings: [],
    },
    { endpoints, reveal: false },
  );
  assert.deepEqual(refused.last_error, {
    code: 'FH_ERR_LIVE_UNSUPPORTED_MEDIA',
    message: 'HEVC is not accepted',
  });
});

test("last_error in the reader's language: a registered code in Korean, English as stored, an unknown code as stored", () => {
  const refused = (last_error_code: string, last_error_message: string | null, locale?: 'en' | 'ko') =>
    presentLiveStream(
      { stream: row({ last_error_code, last_error_message }), playbackIds, recordings: [] },
      { endpoints, reveal: false, ...(locale ? { locale } : {}) },
    ).last_error;
  assert.deepEqual(refused('FH_ERR_LIVE_UNSUPPORTED_MEDIA', 'HEVC is not accepted', 'ko'), {
    code: 'FH_ERR_LIVE_UNSUPPORTED_MEDIA',
    message: ERROR_MESSAGES_KO.FH_ERR_LIVE_UNSUPPORTED_MEDIA,
  });
  assert.equal(
    refused('FH_ERR_LIVE_UNSUPPORTED_MEDIA', 'HEVC is not accepted', 'en')?.message,
    'HEVC is not accepted',
  );
  assert.equal(
    refused('FH_ERR_LIVE_UNSUPPORTED_MEDIA', 'HEVC is not accepted')?.message,
    'HEVC is not accepted',
    'English by default',
  );
  assert.deepEqual(refused('FH_ERR_FROM_A_NEWER_NODE', 'Something new', 'ko'), {
    code: 'FH_ERR_FROM_A_NEWER_NODE',
    message: 'Something new',
  });
});

test('SRT and RTMPS are null when off; a stream without an SRT port has no SRT URL', () => {
  const off = { ...endpoints, rtmpsPort: null, srtEnabled: false };
  const j = presentLiveStream(
    { stream: row(), playbackIds: [], recordings: [] },
    { endpoints: off, reveal: true },
  );
  assert.equal(j.ingest.rtmps, null);
  assert.equal(j.ingest.srt, null);
  assert.equal(j.playback, null);
  assert.equal(srtUrl(row({ srt_port: null }), endpoints, true), null);
});

test('the ingest host: configured, else the public URL host, else the request host', () => {
  const base = { rtmpPort: 1935, rtmpsPort: null, srtEnabled: false };
  assert.equal(
    new IngestAddresses({
      ...base,
      ingestHost: 'rtmp.example.com',
      publicUrl: 'https://media.example.com',
    }).endpointsFor('req').host,
    'rtmp.example.com',
  );
  assert.equal(
    new IngestAddresses({ ...base, publicUrl: 'https://media.example.com:8443' }).endpointsFor('req').host,
    'media.example.com',
  );
  const fromRequest = new IngestAddresses(base);
  assert.equal(fromRequest.endpointsFor('10.0.0.5').host, '10.0.0.5');
  assert.equal(fromRequest.endpointsFor('::1').host, '[::1]');
  fromRequest.setRtmpPort(40123);
  assert.equal(
    fromRequest.endpointsFor('h').rtmpPort,
    40123,
    'the port a live node got (FRAMEHOUSE_RTMP_PORT=0)',
  );
  assert.equal(urlHost('[::1]'), '[::1]');
});
