import type { TrackRow } from '../db/schema.ts';

/** The public shape of a track (in an asset's `tracks` and from the tracks routes). */
export function presentTrack(t: TrackRow) {
  return {
    id: t.id,
    kind: t.kind,
    language: t.language,
    name: t.name,
    default: t.is_default === 1,
    status: t.status,
  };
}

export type TrackJson = ReturnType<typeof presentTrack>;

export const trackSchema = {
  type: 'object',
  properties: {
    id: { type: 'string' },
    kind: { type: 'string', enum: ['subtitles', 'captions'] },
    language: { type: 'string' },
    name: { type: 'string' },
    default: { type: 'boolean' },
    status: { type: 'string' },
  },
} as const;
