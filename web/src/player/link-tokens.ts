import { api } from '../api.ts';
import { TokenSource, tokenExpiry } from './token-source.ts';

/**
 * The token a shared link carries (`?token=`), renewed through `POST /play/{id}/token` for as long
 * as it is renewable: the embed and the live viewer page have no session to mint one with.
 */
export function linkTokenSource(playbackId: string, token: string): TokenSource {
  return new TokenSource(token, tokenExpiry(token), async (current) => {
    const r = await api<{ data: { token: string; expires_at: string } }>(`/play/${playbackId}/token`, {
      method: 'POST',
      json: { token: current },
    });
    return r.data;
  });
}
