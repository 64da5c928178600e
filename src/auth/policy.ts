import { APP_PAGES } from '../web/app-pages.ts';

/**
 * What each route needs, in one table. Every route the app registers must appear here (start-up
 * fails otherwise, and with it every test), so a new route cannot be open by accident.
 *
 * - `public`: anyone (health, docs, CORS preflights).
 * - `playback`: public playback ids for anyone; signed ones need a playback token (checked by
 *   the playback routes themselves).
 * - `signed-url`: the URL carries its own HMAC signature (imgproxy's scheme), checked by the
 *   route; no other credential opens it.
 * - a scope: an API key (or session) holding it, or `admin`, which holds every scope.
 */
export const SCOPES = ['assets:read', 'assets:write', 'playback:sign', 'admin'] as const;
export type Scope = (typeof SCOPES)[number];
export type Permission = 'public' | 'playback' | 'signed-url' | Scope;

const TUS_METHODS = ['POST', 'HEAD', 'PATCH', 'DELETE'] as const;
const DOCS = ['/docs', '/docs/', '/docs/static/index.html', '/docs/static/swagger-initializer.js'];
const PLAYBACK = [
  '/play/:playbackId/master.m3u8',
  '/play/:playbackId/thumbnail.jpg',
  '/play/:playbackId/storyboard.vtt',
  '/play/:playbackId/storyboard.jpg',
  '/play/:playbackId/info.json',
  '/play/:playbackId/download.mp4',
  '/play/:playbackId/download.m4a',
  '/play/:playbackId/:rendition/:file',
  '/play/:playbackId/live/:broadcastId/:rendition/:file',
  '/play/:playbackId/subs/:trackId/:file',
];

export const ROUTE_POLICY: Readonly<Record<string, Permission>> = {
  'GET /healthz': 'public',
  // Guarded by its own token or address list (FRAMEHOUSE_METRICS_*), for scrapers without keys.
  'GET /metrics': 'public',
  'GET /readyz': 'public',
  'GET /v1/instance': 'public',
  'GET /img/*': 'signed-url',
  // S3 event notifications: the route checks the operator's storage hook secret.
  'POST /v1/hooks/storage': 'public',
  // Viewer analytics: players report without credentials (docs/qoe.md), limited per address.
  'POST /v1/qoe/cmcd': 'public',
  'POST /v1/qoe/beacon': 'public',

  'GET /v1/presets': 'assets:read',
  'PUT /v1/presets/:name': 'assets:write',
  'DELETE /v1/presets/:name': 'assets:write',
  'POST /v1/batches': 'assets:write',
  'GET /v1/batches': 'assets:read',
  'GET /v1/batches/:id': 'assets:read',
  'GET /v1/assets/:id/variants/:name': 'assets:read',
  ...Object.fromEntries(
    [...DOCS, '/docs/static/*', '/docs/json', '/docs/yaml'].map((u) => [`GET ${u}`, 'public']),
  ),
  'OPTIONS *': 'public',
  // The browser app's pages and files: what they show comes from the API, which checks.
  ...Object.fromEntries([...APP_PAGES, '/app/*'].map((u) => [`GET ${u}`, 'public'])),

  'POST /v1/assets': 'assets:write',
  'GET /v1/assets': 'assets:read',
  'GET /v1/assets/:id': 'assets:read',
  'PATCH /v1/assets/:id': 'assets:write',
  'DELETE /v1/assets/:id': 'assets:write',
  // Out of the trash: who may delete the asset may restore it (the route checks ownership).
  'POST /v1/assets/:id/restore': 'assets:write',
  // Tracks: who may edit the asset may add or remove them (the routes check ownership too).
  'POST /v1/assets/:id/tracks': 'assets:write',
  'GET /v1/assets/:id/tracks': 'assets:read',
  'GET /v1/assets/:id/tracks/:trackId': 'assets:read',
  'DELETE /v1/assets/:id/tracks/:trackId': 'assets:write',

  // Live streams: reading needs assets:read (the key shows only to its creator and admins),
  // every change assets:write (editors manage the streams they made, checked by the routes).
  'POST /v1/live-streams': 'assets:write',
  'GET /v1/live-streams': 'assets:read',
  'GET /v1/live-streams/:id': 'assets:read',
  'PATCH /v1/live-streams/:id': 'assets:write',
  'DELETE /v1/live-streams/:id': 'assets:write',
  'POST /v1/live-streams/:id/reset-stream-key': 'assets:write',
  'POST /v1/live-streams/:id/complete': 'assets:write',
  'POST /v1/live-streams/:id/disable': 'assets:write',
  'POST /v1/live-streams/:id/enable': 'assets:write',

  // The live room (docs/live-room.md). Viewers: `playback` (a signed id needs its token,
  // checked by the routes); hosts and moderators: assets:write and the stream's manager.
  'GET /v1/rooms/:playback_id': 'playback',
  'GET /v1/rooms/:playback_id/events': 'playback',
  'POST /v1/rooms/:playback_id/viewers': 'playback',
  'POST /v1/rooms/:playback_id/messages': 'playback',
  'POST /v1/rooms/:playback_id/reactions': 'playback',
  'POST /v1/rooms/:playback_id/products/:product_id/clicks': 'playback',
  'GET /v1/rooms/:playback_id/poster.jpg': 'playback',
  'GET /v1/rooms/:playback_id/products/:product_id/image.jpg': 'playback',
  'GET /v1/live-streams/:id/room': 'assets:write',
  'PATCH /v1/live-streams/:id/room': 'assets:write',
  'GET /v1/live-streams/:id/chat': 'assets:write',
  'POST /v1/live-streams/:id/chat': 'assets:write',
  'DELETE /v1/live-streams/:id/chat/:message_id': 'assets:write',
  'GET /v1/live-streams/:id/bans': 'assets:write',
  'POST /v1/live-streams/:id/bans': 'assets:write',
  'DELETE /v1/live-streams/:id/bans/:ban_id': 'assets:write',
  'GET /v1/live-streams/:id/products': 'assets:write',
  'POST /v1/live-streams/:id/products': 'assets:write',
  'PUT /v1/live-streams/:id/products/order': 'assets:write',
  'PATCH /v1/live-streams/:id/products/:product_id': 'assets:write',
  'DELETE /v1/live-streams/:id/products/:product_id': 'assets:write',
  'POST /v1/live-streams/:id/products/:product_id/pin': 'assets:write',
  'DELETE /v1/live-streams/:id/pin': 'assets:write',
  'GET /v1/live-streams/:id/summary': 'assets:write',
  'GET /v1/assets/:id/chat': 'assets:read',

  // Viewer analytics, reading (docs/qoe.md).
  'GET /v1/qoe/overview': 'assets:read',
  'GET /v1/qoe/views': 'assets:read',
  'GET /v1/qoe/views/:id': 'assets:read',

  // tus: creation, offset, data and termination are writes; OPTIONS is its capability discovery.
  ...Object.fromEntries(
    ['/v1/uploads', '/v1/uploads/*'].flatMap((u) => [
      ...TUS_METHODS.map((m) => [`${m} ${u}`, 'assets:write']),
      [`OPTIONS ${u}`, 'public'],
    ]),
  ),
  'GET /v1/uploads/:id': 'assets:read',

  ...Object.fromEntries(PLAYBACK.map((u) => [`GET ${u}`, 'playback'])),
  'POST /v1/playback-tokens': 'playback:sign',
  // Needs a renewable token for that id, checked by the route.
  'POST /play/:playbackId/token': 'playback',
  // WebRTC playback (WHEP): the route checks a signed id's token, as for the playlists.
  'POST /play/:playbackId/whep': 'playback',
  'DELETE /play/:playbackId/whep/:sessionId': 'playback',
  'GET /v1/playback-keys': 'admin',
  'GET /v1/playback-keys/verification': 'admin',
  'POST /v1/playback-keys': 'admin',
  'DELETE /v1/playback-keys/:kid': 'admin',

  'POST /v1/api-keys': 'admin',
  'GET /v1/api-keys': 'admin',
  'GET /v1/api-keys/:id': 'admin',
  'DELETE /v1/api-keys/:id': 'admin',

  'GET /v1/audit': 'admin',

  // better-auth checks its own endpoints (sessions, passwords, two-factor codes, origins).
  'GET /v1/auth/*': 'public',
  'POST /v1/auth/*': 'public',
  'GET /v1/events': 'assets:read',
  'GET /v1/events/stream': 'assets:read',
  'POST /v1/webhooks': 'admin',
  'GET /v1/webhooks': 'admin',
  'GET /v1/webhooks/:id': 'admin',
  'PATCH /v1/webhooks/:id': 'admin',
  'DELETE /v1/webhooks/:id': 'admin',
  'GET /v1/webhooks/:id/deliveries': 'admin',
  'POST /v1/webhooks/:id/events/:eventId/redeliver': 'admin',
  'GET /v1/admin/queues': 'admin',
  'GET /v1/admin/jobs': 'admin',
  'POST /v1/admin/jobs/:id/redrive': 'admin',
  'DELETE /v1/admin/jobs/:id': 'admin',
  'GET /v1/admin/workers': 'admin',
  'GET /v1/admin/backups': 'admin',
  'GET /v1/admin/backups/:id': 'admin',
  'GET /v1/admin/storage': 'admin',
  // Quotas (docs/usage.md): admins set them; anyone signed in reads their own (API keys: none).
  'GET /v1/admin/quotas': 'admin',
  'PUT /v1/admin/quotas/:subject': 'admin',
  'DELETE /v1/admin/quotas/:subject': 'admin',
  'GET /v1/usage/quota': 'assets:read',
  // Usage (docs/usage.md): anyone with a credential sees their own; admins everyone's.
  'GET /v1/usage': 'assets:read',
  // What a `framehouse edge` served viewers: its key is an admin key.
  'POST /v1/usage/edge-reports': 'admin',
  'GET /v1/users': 'admin',
  'PATCH /v1/users/:id': 'admin',
  'DELETE /v1/users/:id/sessions': 'admin',
};

/** The permission a route needs; HEAD falls back to its GET. Undefined: not declared. */
export function permissionFor(method: string, url: string): Permission | undefined {
  return ROUTE_POLICY[`${method} ${url}`] ?? (method === 'HEAD' ? ROUTE_POLICY[`GET ${url}`] : undefined);
}

export class UndeclaredRouteError extends Error {
  constructor(method: string, url: string) {
    super(`Route ${method} ${url} has no entry in the access policy (src/auth/policy.ts)`);
    this.name = 'UndeclaredRouteError';
  }
}
