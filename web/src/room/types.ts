/** The live room's shapes, as docs/live-room.md defines them (snake_case, ISO times). */
import { formatPrice as formatCurrency } from '../i18n/format.ts';
import * as m from '../i18n/generated/messages.js';

export type RoomStatus = 'idle' | 'active' | 'disconnected' | 'disabled';

export interface RoomSettings {
  guests_allowed: boolean;
  links_allowed: boolean;
  slow_mode_seconds: number;
  paused: boolean;
  max_length: number;
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

export interface Room {
  live_stream_id: string;
  title: string | null;
  status: RoomStatus;
  started_at: string | null;
  scheduled_at: string | null;
  poster_url: string | null;
  settings: RoomSettings;
  pinned: Product | null;
  viewers: number;
}

export interface Viewer {
  viewer_id: string;
  name: string;
  kind: 'user' | 'guest';
  viewer_token: string;
  expires_at: string;
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

export const REACTIONS = ['heart', 'fire', 'clap', 'laugh', 'wow'] as const;
export type ReactionKind = (typeof REACTIONS)[number];

/** What each reaction's button is called for a screen reader (a function: read when rendered). */
export const REACTION_LABEL: Record<ReactionKind, () => string> = {
  heart: m.room_reaction_heart,
  fire: m.room_reaction_fire,
  clap: m.room_reaction_clap,
  laugh: m.room_reaction_laugh,
  wow: m.room_reaction_wow,
};

/** A price in the page's language (web/src/i18n/format.ts), with the product's currency. */
export function formatPrice(price: Product['price']): string | null {
  if (!price) return null;
  const amount = Number(price.amount);
  if (!Number.isFinite(amount)) return null;
  try {
    return formatCurrency(amount, price.currency);
  } catch {
    // An unknown currency code: the number and the code as they are.
    return `${price.amount} ${price.currency}`;
  }
}
