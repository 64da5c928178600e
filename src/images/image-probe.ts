import { createReadStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { assetRecords } from '../assets/asset-records.ts';
import type { Db } from '../db/database.ts';
import type { AssetRow } from '../db/schema.ts';
import { recordEvent } from '../events/outbox.ts';
import { AppError } from '../shared/errors.ts';
import { mediaKeys } from '../storage/media-keys.ts';
import type { ObjectStore } from '../storage/object-store.ts';
import { type ImageLimits, inspectImage } from './limits.ts';
import { decodeRaw } from './raw-decoder.ts';
import type { ImageKind } from './sniff.ts';

export interface ImageInfo {
  format: string;
  frames: number;
  /** Where renderings read from: the source itself, or the developed TIFF of a RAW file. */
  render_key: string;
}

/** An image asset's media_info, as the probe left it. */
export function imageInfoOf(asset: AssetRow): ImageInfo | null {
  if (asset.kind !== 'image' || !asset.media_info) return null;
  return (JSON.parse(asset.media_info) as { image?: ImageInfo }).image ?? null;
}

/**
 * The probe's image branch: reads the header within the limits (RAW developed first), and the
 * asset is ready at once — its sizes and formats are made on request (presets, batches, /img).
 */
export async function probeImage(
  deps: { db: Db; store: ObjectStore; limits: ImageLimits },
  asset: AssetRow,
  kind: ImageKind,
  sha256: string,
  size: number,
  signal: AbortSignal,
): Promise<void> {
  if (kind === 'heic') {
    throw new AppError(
      'FH_ERR_UNSUPPORTED_MEDIA',
      'HEIC photos need a libvips built with an HEVC decoder, which this server does not have. Export the photo as JPEG or AVIF.',
    );
  }
  let renderKey = asset.source_key;
  if (kind === 'raw') {
    renderKey = mediaKeys.developedRaw(asset.id);
    const dir = await mkdtemp(join(tmpdir(), 'fh-raw-'));
    try {
      const tiff = join(dir, 'developed.tif');
      await deps.store.withLocalFile(asset.source_key, (path) => decodeRaw(path, tiff, signal));
      await deps.store.put(renderKey, createReadStream(tiff));
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }
  // A developed RAW is large by nature (16-bit TIFF): the byte limit was the RAW file's.
  const header = await deps.store.withLocalFile(renderKey, (path) =>
    inspectImage(path, kind === 'raw' ? 0 : size, deps.limits),
  );
  // Orientations 5–8 turn the picture a quarter: the asset's sizes are as it will be seen.
  const turned = header.orientation !== null && header.orientation >= 5;
  const info: ImageInfo = {
    format: kind === 'raw' ? 'raw' : header.format,
    frames: header.frames,
    render_key: renderKey,
  };
  await deps.db.transaction().execute(async (trx) => {
    await assetRecords.update(trx, asset.id, {
      status: 'ready',
      errors: '[]',
      kind: 'image',
      duration: null,
      width: turned ? header.height : header.width,
      height: turned ? header.width : header.height,
      is_360: 0,
      progress: 1,
      source_sha256: sha256,
      source_size: size,
      media_info: JSON.stringify({ image: info }),
    });
    await recordEvent(trx, 'asset.ready', asset.id, { kind: 'image' });
  });
}
