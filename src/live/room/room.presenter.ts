import type { BanRow, MessageRow, ProductRow, RoomState } from './room.repo.ts';

/** The shapes of docs/live-room.md: snake_case, ISO times, plain text. */

export interface RoomSettings {
  guests_allowed: boolean;
  links_allowed: boolean;
  slow_mode_seconds: number;
  paused: boolean;
  max_length: number;
}

export const DEFAULT_SETTINGS: RoomSettings = {
  guests_allowed: true,
  links_allowed: false,
  slow_mode_seconds: 0,
  paused: false,
  max_length: 200,
};

/** Stored settings over the defaults (a setting added later gets its default on old rows). */
export function settingsOf(stored: string | null | undefined): RoomSettings {
  if (!stored) return { ...DEFAULT_SETTINGS };
  try {
    const parsed = JSON.parse(stored) as Partial<RoomSettings>;
    return {
      guests_allowed:
        typeof parsed.guests_allowed === 'boolean' ? parsed.guests_allowed : DEFAULT_SETTINGS.guests_allowed,
      links_allowed:
        typeof parsed.links_allowed === 'boolean' ? parsed.links_allowed : DEFAULT_SETTINGS.links_allowed,
      slow_mode_seconds: Number.isInteger(parsed.slow_mode_seconds)
        ? (parsed.slow_mode_seconds as number)
        : DEFAULT_SETTINGS.slow_mode_seconds,
      paused: typeof parsed.paused === 'boolean' ? parsed.paused : DEFAULT_SETTINGS.paused,
      max_length: Number.isInteger(parsed.max_length)
        ? (parsed.max_length as number)
        : DEFAULT_SETTINGS.max_length,
    };
  } catch {
    return { ...DEFAULT_SETTINGS };
  }
}

export function wordListOf(stored: string | null | undefined): string[] {
  if (!stored) return [];
  try {
    const parsed = JSON.parse(stored) as unknown;
    return Array.isArray(parsed) ? parsed.filter((w): w is string => typeof w === 'string') : [];
  } catch {
    return [];
  }
}

export interface ChatMessage {
  id: string;
  viewer_id: string | null;
  name: string;
  role: 'viewer' | 'host';
  text: string;
  created_at: string;
  offset_seconds: number | null;
}

export function presentMessage(m: MessageRow): ChatMessage {
  return {
    id: m.id,
    viewer_id: m.viewer_id,
    name: m.name,
    role: m.role,
    text: m.text,
    created_at: m.created_at,
    offset_seconds: m.offset_seconds === null ? null : Number(m.offset_seconds),
  };
}

export interface Product {
  id: string;
  title: string;
  price: { amount: string; currency: string } | null;
  image_asset_id: string | null;
  image_url: string | null;
  url: string | null;
  position: number;
  pinned: boolean;
  clicks: number;
}

export function presentProduct(
  p: ProductRow,
  opts: { pinnedId: string | null; imageUrl: string | null },
): Product {
  return {
    id: p.id,
    title: p.title,
    price:
      p.price_amount !== null && p.price_currency !== null
        ? { amount: p.price_amount, currency: p.price_currency }
        : null,
    image_asset_id: p.image_asset_id,
    image_url: opts.imageUrl,
    url: p.url,
    position: Number(p.position),
    pinned: opts.pinnedId === p.id,
    clicks: Number(p.clicks),
  };
}

export interface Ban {
  id: string;
  viewer_id: string;
  name: string;
  user_id: string | null;
  until: string | null;
  reason: string | null;
  created_at: string;
}

export function presentBan(b: BanRow): Ban {
  return {
    id: b.id,
    viewer_id: b.viewer_id,
    name: b.name,
    user_id: b.user_id,
    until: b.until === null ? null : new Date(Number(b.until)).toISOString(),
    reason: b.reason,
    created_at: b.created_at,
  };
}

export interface Room {
  live_stream_id: string;
  title: string | null;
  status: RoomState['status'];
  started_at: string | null;
  scheduled_at: string | null;
  poster_url: string | null;
  settings: RoomSettings;
  pinned: Product | null;
  viewers: number;
}

export function presentRoom(
  state: RoomState,
  extra: { posterUrl: string | null; pinned: Product | null; viewers: number },
): Room {
  return {
    live_stream_id: state.stream_id,
    title: state.title,
    status: state.status,
    // Only a broadcast on air has a start worth counting from.
    started_at: state.broadcast_id ? state.started_at : null,
    scheduled_at: state.room?.scheduled_at ?? null,
    poster_url: extra.posterUrl,
    settings: settingsOf(state.room?.settings),
    pinned: extra.pinned,
    viewers: extra.viewers,
  };
}

/** Seconds since the broadcast started, for chat replay; null off air. */
export function offsetSeconds(startedAt: string | null, at: number): number | null {
  if (!startedAt) return null;
  return Math.max(0, Math.round((at - Date.parse(startedAt)) / 100) / 10);
}
