import { useEffect, useState } from 'preact/hooks';
import { type Asset, api, type Page } from '../api.ts';
import { type LiveStream, streamTitle } from '../streams/live-stream.ts';

export interface ContentNames {
  assets: Map<string, string>;
  streams: Map<string, string>;
}

const EMPTY: ContentNames = { assets: new Map(), streams: new Map() };

/**
 * Titles of the newest videos and live streams (a page of each), for the filter and for naming
 * views: the analytics API answers with ids. What is not among them keeps a generic name.
 */
export function useContentNames(): ContentNames {
  const [names, setNames] = useState<ContentNames>(EMPTY);
  useEffect(() => {
    let alive = true;
    void Promise.all([
      api<Page<Asset>>('/v1/assets?limit=100').catch(() => null),
      api<Page<LiveStream>>('/v1/live-streams?limit=100').catch(() => null),
    ]).then(([assets, streams]) => {
      if (!alive) return;
      setNames({
        assets: new Map(
          (assets?.data ?? [])
            .filter((a) => a.kind !== 'image')
            .map((a) => [a.id, a.title || a.source.filename || 'Untitled']),
        ),
        streams: new Map((streams?.data ?? []).map((s) => [s.id, streamTitle(s)])),
      });
    });
    return () => {
      alive = false;
    };
  }, []);
  return names;
}
