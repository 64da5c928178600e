import { useEffect, useRef } from 'preact/hooks';

export interface LiveEvent {
  id: string;
  type: string;
  asset_id: string | null;
  data: Record<string, unknown>;
}

/**
 * Server-Sent Events from /v1/events/stream while the component is mounted. EventSource
 * reconnects by itself and sends Last-Event-ID, so nothing is missed across a dropped link.
 */
export function useLiveEvents(types: string[], onEvent: (e: LiveEvent) => void, assetId?: string): void {
  const handler = useRef(onEvent);
  handler.current = onEvent;
  const key = `${types.join(',')}|${assetId ?? ''}`;
  useEffect(() => {
    const params = new URLSearchParams({ type: types.join(',') });
    if (assetId) params.set('asset_id', assetId);
    const source = new EventSource(`/v1/events/stream?${params}`);
    const listener = (m: MessageEvent<string>) => handler.current(JSON.parse(m.data) as LiveEvent);
    for (const t of types) source.addEventListener(t, listener as EventListener);
    return () => source.close();
  }, [key]);
}

export const ASSET_EVENTS = [
  'asset.created',
  'asset.processing',
  'asset.ready',
  'asset.renditions.ready',
  'asset.updated',
  'asset.errored',
  'asset.deleted',
  'asset.restored',
];

/** Live stream state changes (src/live/streams): `data.live_stream_id` names the stream. */
export const LIVE_STREAM_EVENTS = [
  'live_stream.created',
  'live_stream.updated',
  'live_stream.deleted',
  'live_stream.disabled',
  'live_stream.enabled',
  'live_stream.active',
  'live_stream.disconnected',
  'live_stream.idle',
  'live_stream.recording.ready',
];
