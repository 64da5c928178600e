import assert from 'node:assert/strict';
import { test } from 'node:test';
import { AssetsService } from '../assets/assets.service.ts';
import type { RenditionRow } from '../db/schema.ts';
import { openTestDatabase } from '../db/test-databases.ts';
import { LiveStreamsService } from '../live/streams/live-streams.service.ts';
import { JobQueue } from '../queue/queue.ts';
import type { AppError } from '../shared/errors.ts';
import { ContentLookup, liveLadder, vodLadder } from './content-lookup.ts';

const rendition = (r: Partial<RenditionRow>): RenditionRow =>
  ({
    asset_id: 'a',
    name: '720p',
    type: 'video',
    position: 0,
    width: 1280,
    height: 720,
    bandwidth: 2_800_000,
    average_bandwidth: null,
    codecs: 'avc1',
    frame_rate: 30,
    status: 'ready',
    created_at: '',
    updated_at: '',
    ...r,
  }) as RenditionRow;

test('a VOD ladder is the master playlist’s: video plus the audio played with it; audio only alone', () => {
  assert.deepEqual(
    vodLadder([
      rendition({ name: '720p', height: 720, bandwidth: 2_800_000 }),
      rendition({ name: '360p', height: 360, bandwidth: 800_000 }),
      rendition({ name: 'audio', type: 'audio', height: null, width: null, bandwidth: 128_000 }),
    ]),
    [
      { name: '720p', bandwidth: 2_928_000, height: 720 },
      { name: '360p', bandwidth: 928_000, height: 360 },
    ],
  );
  assert.deepEqual(
    vodLadder([rendition({ name: 'audio', type: 'audio', height: null, bandwidth: 128_000 })]),
    [{ name: 'audio', bandwidth: 128_000, height: null }],
  );
  assert.deepEqual(vodLadder([]), []);
});

test('a live ladder: the broadcast’s renditions, else what the live node reports, junk skipped', () => {
  const list = [
    { name: '720p', width: 1280, height: 720, bandwidth: 3_000_000 },
    { name: 'bad', bandwidth: 'x' },
  ];
  assert.deepEqual(liveLadder(JSON.stringify(list), null), [
    { name: '720p', bandwidth: 3_000_000, height: 720 },
  ]);
  assert.deepEqual(liveLadder('[]', JSON.stringify({ renditions: list })), [
    { name: '720p', bandwidth: 3_000_000, height: 720 },
  ]);
  assert.deepEqual(liveLadder('{not json', null), []);
});

test('through the real services: a live stream’s playback id, kept a while; an unknown id is 422', async () => {
  const tdb = await openTestDatabase('sqlite');
  try {
    const streams = new LiveStreamsService({ db: tdb.db, srtPorts: null });
    const assets = new AssetsService({ db: tdb.db, queue: new JobQueue({ db: tdb.db }) });
    const lookup = new ContentLookup({ assets, streams });
    const who = { actor: 'test', credential: null, ip: null };
    const { stream, playbackIds } = await streams.create({}, who);
    const playbackId = playbackIds[0]?.id as string;
    const expected = { playback_id: playbackId, asset_id: null, live_stream_id: stream.id, ladder: [] };
    assert.deepEqual(await lookup.lookup(playbackId), expected);
    // Gone from the database, still known here for the cache's time: no query per report.
    await streams.delete(stream.id, who);
    assert.deepEqual(await lookup.lookup(playbackId), expected);
    assert.deepEqual(
      await new ContentLookup({ assets, streams }).lookup(playbackId).catch((e) => e.code),
      'FH_ERR_QOE_UNKNOWN_CONTENT',
    );
    await assert.rejects(
      lookup.lookup('nosuchplaybackid'),
      (e: AppError) => e.code === 'FH_ERR_QOE_UNKNOWN_CONTENT' && e.status === 422,
    );
  } finally {
    await tdb.close();
  }
});

test('an asset in the trash is no content of this server (its players stop counting)', async () => {
  const tdb = await openTestDatabase('sqlite');
  try {
    const streams = new LiveStreamsService({ db: tdb.db, srtPorts: null });
    const assets = new AssetsService({ db: tdb.db, queue: new JobQueue({ db: tdb.db }), trashDays: 30 });
    const who = { actor: 'test', credential: null, ip: null };
    const asset = await assets.createFromSource(
      {
        assetId: 'trashedasset01',
        sourceKey: 'sources/trashedasset01/original',
        filename: 'a.mp4',
        title: null,
        size: 1,
        sha256: null,
      },
      who,
    );
    const playbackId = asset.playback_ids[0]?.id as string;
    assert.equal((await new ContentLookup({ assets, streams }).lookup(playbackId)).asset_id, asset.id);
    await assets.delete(asset.id, who);
    assert.equal(
      await new ContentLookup({ assets, streams }).lookup(playbackId).catch((e) => e.code),
      'FH_ERR_QOE_UNKNOWN_CONTENT',
    );
    await assets.restore(asset.id, who);
    assert.equal((await new ContentLookup({ assets, streams }).lookup(playbackId)).asset_id, asset.id);
  } finally {
    await tdb.close();
  }
});
