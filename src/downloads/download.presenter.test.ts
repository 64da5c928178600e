import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { DownloadRow } from '../db/schema.ts';
import { presentDownloads } from './download.presenter.ts';
import type { RenditionSummary } from './download-target.ts';

const ladder = (status: RenditionSummary['status']): RenditionSummary[] => [
  { name: '720p', type: 'video', width: 1280, height: 720, status },
  { name: '360p', type: 'video', width: 640, height: 360, status: 'ready' },
  { name: 'audio', type: 'audio', width: null, height: null, status: 'ready' },
];
const row = (over: Partial<DownloadRow>): DownloadRow => ({
  asset_id: 'a',
  name: '720p.mp4',
  rendition: '720p',
  width: 1280,
  height: 720,
  status: 'preparing',
  size: null,
  object_key: null,
  created_at: '',
  updated_at: '',
  ...over,
});

test('downloads: waiting for the rung, then the row as it is; a url on the first playback id', () => {
  assert.deepEqual(presentDownloads({ mp4_support: 'none' }, ladder('ready'), [], 'p1'), []);
  assert.deepEqual(presentDownloads({ mp4_support: 'standard' }, ladder('processing'), [], 'p1'), [
    {
      name: '720p.mp4',
      width: 1280,
      height: 720,
      size: null,
      status: 'waiting',
      url: '/play/p1/download.mp4',
    },
  ]);
  const ready = row({ status: 'ready', size: 1234, object_key: 'downloads/a/720p-x.mp4' });
  assert.deepEqual(presentDownloads({ mp4_support: 'standard' }, ladder('ready'), [ready], undefined), [
    { name: '720p.mp4', width: 1280, height: 720, size: 1234, status: 'ready', url: null },
  ]);
  const audio = presentDownloads(
    { mp4_support: 'capped-1080p' },
    [{ name: 'audio', type: 'audio', width: null, height: null, status: 'processing' }],
    [],
    'p2',
  );
  assert.deepEqual(audio, [
    {
      name: 'audio.m4a',
      width: null,
      height: null,
      size: null,
      status: 'waiting',
      url: '/play/p2/download.m4a',
    },
  ]);
});
