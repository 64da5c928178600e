import type { Room } from '../types.ts';

/** The room as its host reads it: the viewer's room plus the room's own word filter. */
export type HostRoomData = Room & { word_filter: string[] };

export interface Ban {
  id: string;
  viewer_id: string | null;
  name: string;
  user_id: string | null;
  until: string | null;
  reason: string | null;
  created_at: string;
}

export interface BroadcastSummary {
  broadcast_id: string;
  started_at: string;
  ended_at: string | null;
  viewers: { peak: number; average: number };
  messages: number;
  reactions: Record<string, number>;
  products: Array<{ id: string; title: string; clicks: number }>;
}

export const streamPath = (id: string, rest = '') => `/v1/live-streams/${encodeURIComponent(id)}${rest}`;
