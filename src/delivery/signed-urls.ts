/**
 * A signed playback's token travels in the query string of every URL the player follows: the
 * playlists it is given are rewritten so that each URI they name carries the same token.
 */
export function addToken(uri: string, token: string): string {
  const hash = uri.indexOf('#');
  const [path, fragment] = hash === -1 ? [uri, ''] : [uri.slice(0, hash), uri.slice(hash)];
  return `${path}${path.includes('?') ? '&' : '?'}token=${encodeURIComponent(token)}${fragment}`;
}

/** Every URI line and every `URI="…"` attribute of an HLS playlist. */
export function tokenizePlaylist(playlist: string, token: string): string {
  return playlist
    .split('\n')
    .map((line) => {
      const trimmed = line.trim();
      if (trimmed === '') return line;
      if (trimmed.startsWith('#'))
        return line.replace(/URI="([^"]*)"/g, (_m, uri: string) => `URI="${addToken(uri, token)}"`);
      return line.replace(trimmed, addToken(trimmed, token));
    })
    .join('\n');
}

/** The image references of a WebVTT storyboard (`storyboard.jpg#xywh=…` cue payloads). */
export function tokenizeStoryboard(vtt: string, token: string): string {
  return vtt
    .split('\n')
    .map((line) => {
      const trimmed = line.trim();
      return /^[^\s#]+\.(jpg|jpeg|png|webp)(#\S*)?$/i.test(trimmed)
        ? line.replace(trimmed, addToken(trimmed, token))
        : line;
    })
    .join('\n');
}
