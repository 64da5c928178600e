/**
 * A room picture (the poster, a product's image) as this page loads it. The server names them
 * without a token (`/v1/rooms/{playback_id}/…`, the same URL for every viewer, so caches share
 * it); a signed room's page adds its own playback token, as it does for the playlists.
 */
export function roomPicture(url: string, token: string | null | undefined): string {
  if (!token) return url;
  return `${url}${url.includes('?') ? '&' : '?'}token=${encodeURIComponent(token)}`;
}
