/** Writing a live broadcast's master playlist: one EXT-X-STREAM-INF per rendition, in the given order. */
export interface PackagerRendition {
  name: string;
  width: number | null;
  height: number | null;
  /** Bits per second: the peak the rendition may reach (EXT-X-STREAM-INF BANDWIDTH). */
  bandwidth: number;
  /** RFC 6381 codecs, e.g. 'avc1.64001f,mp4a.40.2'. */
  codecs: string;
  frameRate: number | null;
}

const NAME = /^[A-Za-z0-9_-]{1,64}$/;

/** Rendition names appear in URIs: only plain names are allowed. */
export function isRenditionName(name: string): boolean {
  return NAME.test(name);
}

export function renderMasterPlaylist(renditions: readonly PackagerRendition[]): string {
  const lines = ['#EXTM3U', '#EXT-X-VERSION:6', '#EXT-X-INDEPENDENT-SEGMENTS'];
  for (const r of renditions) {
    const attributes = [`BANDWIDTH=${Math.round(r.bandwidth)}`];
    if (r.width && r.height) attributes.push(`RESOLUTION=${r.width}x${r.height}`);
    if (r.codecs) attributes.push(`CODECS="${r.codecs.replace(/"/g, '')}"`);
    if (r.frameRate) attributes.push(`FRAME-RATE=${r.frameRate.toFixed(3)}`);
    lines.push(`#EXT-X-STREAM-INF:${attributes.join(',')}`, `${r.name}/index.m3u8`);
  }
  return `${lines.join('\n')}\n`;
}
