/**
 * `Cache-Status` (RFC 9211) values, one per way an answer is made, written once. The cache's
 * name comes first; `hit` means no origin was asked for this answer, `fwd` says why one was.
 */
const NAME = 'framehouse-edge';

export const CACHE_STATUS = {
  hit: `${NAME}; hit`,
  /** Stale, answered at once while one background request refreshes it. */
  staleWhileRevalidate: `${NAME}; hit; detail=stale-while-revalidate`,
  /** Stale, answered because no origin answered. */
  staleIfError: `${NAME}; fwd=stale; detail=stale-if-error`,
  missStored: `${NAME}; fwd=miss; stored`,
  miss: `${NAME}; fwd=miss`,
  /** Waited for another request's origin fetch of the same key (coalesced). */
  collapsedStored: `${NAME}; fwd=miss; stored; collapsed`,
  collapsed: `${NAME}; fwd=miss; collapsed`,
  staleStored: `${NAME}; fwd=stale; stored`,
  stale: `${NAME}; fwd=stale`,
  /** Not for the cache (not playback, or a signed playback the edge cannot check): passed through. */
  bypass: `${NAME}; fwd=bypass`,
  /** A method the cache does not answer (POST, …): passed through. */
  method: `${NAME}; fwd=method`,
  /** Refused at the edge (a token that fails the check): no origin asked. */
  refused: `${NAME}; detail=token-refused`,
  /** No origin answered and nothing stale to give. */
  failed: `${NAME}; fwd=miss; detail=origin-unavailable`,
} as const;
