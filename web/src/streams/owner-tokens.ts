import { useEffect, useState } from 'preact/hooks';
import { api } from '../api.ts';
import * as m from '../i18n/generated/messages.js';
import { TokenSource } from '../player/token-source.ts';

type Minted = { data: { token: string; expires_at: string } };
const mint = (playbackId: string) =>
  api<Minted>('/v1/playback-tokens', { method: 'POST', json: { playback_id: playbackId, expires_in: 600 } });

/**
 * The owner's own playback token for a signed playback id (the stream page's player and room):
 * a short token, renewed through the API while the page is open. Public ids need none.
 */
export function useOwnerTokens(
  playbackId: string,
  signed: boolean,
): { tokens: TokenSource | undefined; failure: string | null; ready: boolean } {
  const [tokens, setTokens] = useState<TokenSource | undefined>(undefined);
  const [failure, setFailure] = useState<string | null>(null);
  useEffect(() => {
    if (!signed) return;
    let source: TokenSource | undefined;
    void mint(playbackId)
      .then(({ data }) => {
        source = new TokenSource(data.token, data.expires_at, async () => (await mint(playbackId)).data);
        setTokens(source);
      })
      .catch((err: Error) => setFailure(m.live_token_failed({ reason: err.message })));
    return () => source?.stop();
  }, [playbackId, signed]);
  return { tokens, failure, ready: !signed || tokens !== undefined };
}
