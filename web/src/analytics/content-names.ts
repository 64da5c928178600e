import { useEffect, useState } from 'preact/hooks';
import { type Asset, api, type Page } from '../api.ts';
import * as m from '../i18n/generated/messages.js';
import { type LiveStream, streamTitle } from '../streams/live-stream.ts';

/** Titles by id, as stored ('' for none): named at render time, in the language of the moment. */
export interface ContentNames {
  assets: Map<string, string>;
  streams: Map<string, string>;
}

/** A video's name: its title, else its file's name, else "Untitled"; undefined if not known. */
export const assetName = (names: ContentNames, id: string) => {
  const title = names.assets.get(id);
  return title === undefined ? undefined : title || m.app_untitled();
};
/** A live stream's name (the live pages' own fallback when it has no title); undefined if not known. */
export const streamName = (names: ContentNames, id: string) => {
  const title = names.streams.get(id);
  return title === undefined ? undefined : streamTitle({ title });
};

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
            .map((a) => [a.id, a.title || a.source.filename || '']),
        ),
        streams: new Map((streams?.data ?? []).map((s) => [s.id, s.title ?? ''])),
      });
    });
    return () => {
      alive = false;
    };
  }, []);
  return names;
}
