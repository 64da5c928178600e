/** One storyboard tile: from `start` to `end` seconds, at x,y,w,h in the sprite image. */
export interface Tile {
  start: number;
  end: number;
  image: string;
  x: number;
  y: number;
  w: number;
  h: number;
}

const seconds = (t: string) => t.split(':').reduce((acc, part) => acc * 60 + Number.parseFloat(part), 0);

/**
 * The WebVTT storyboard the server writes: cues whose text is `sprite.jpg#xywh=x,y,w,h`.
 * Image URLs are resolved against the VTT's own URL (and so keep its token, if any).
 */
export function parseStoryboard(vtt: string, base: string): Tile[] {
  const tiles: Tile[] = [];
  const cue = /(\d[\d:.]*)\s+-->\s+(\d[\d:.]*)[^\n]*\n([^\n#]+)#xywh=(\d+),(\d+),(\d+),(\d+)/g;
  for (const m of vtt.matchAll(cue)) {
    tiles.push({
      start: seconds(m[1] ?? '0'),
      end: seconds(m[2] ?? '0'),
      image: new URL((m[3] ?? '').trim(), new URL(base, location.href)).href,
      x: Number(m[4]),
      y: Number(m[5]),
      w: Number(m[6]),
      h: Number(m[7]),
    });
  }
  return tiles;
}

export const tileAt = (tiles: Tile[], t: number) =>
  tiles.find((tile) => t >= tile.start && t < tile.end) ?? tiles.at(-1);
