import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';

/** The player page's size budget, compressed as sent (gzip): app, player and hls.js. */
export const PLAYER_BUDGET_GZIP_BYTES = 260 * 1024;
/** What a 360° video adds on top (three.js and the view). */
export const VR_BUDGET_GZIP_BYTES = 160 * 1024;

interface ManifestChunk {
  file: string;
  src?: string;
  isEntry?: boolean;
  css?: string[];
  imports?: string[];
  dynamicImports?: string[];
}

export interface PageWeight {
  files: Array<{ file: string; bytes: number; gzipBytes: number }>;
  bytes: number;
  gzipBytes: number;
}

/**
 * What a browser downloads for the player page (`/embed/{id}`), from Vite's build manifest:
 * the entry with its CSS and static imports, plus the chunk loaded on demand for hls.js — and
 * for a 360° video the WebGL view with three.js.
 */
export function playerPageWeight(dist: string, with360 = false): PageWeight {
  const manifest = JSON.parse(readFileSync(join(dist, '.vite', 'manifest.json'), 'utf8')) as Record<
    string,
    ManifestChunk
  >;
  const files = new Set<string>();
  const add = (key: string) => {
    const chunk = manifest[key];
    if (!chunk || files.has(chunk.file)) return;
    files.add(chunk.file);
    for (const css of chunk.css ?? []) files.add(css);
    for (const dep of chunk.imports ?? []) add(dep);
  };
  const entry = Object.keys(manifest).find((k) => manifest[k]?.isEntry);
  if (!entry) throw new Error('no entry in the web build manifest');
  add(entry);
  for (const key of manifest[entry]?.dynamicImports ?? []) {
    if (key.includes('hls.js') || (with360 && key.includes('vr-view'))) add(key);
  }
  const sized = [...files].map((file) => {
    const body = readFileSync(join(dist, file));
    return { file, bytes: body.length, gzipBytes: gzipSync(body, { level: 9 }).length };
  });
  return {
    files: sized,
    bytes: sized.reduce((a, f) => a + f.bytes, 0),
    gzipBytes: sized.reduce((a, f) => a + f.gzipBytes, 0),
  };
}
