/**
 * The pages (and one panel) that load on demand. Only the shell, the embed and the live viewer
 * page are in the entry chunk: someone watching an embedded video downloads neither the library
 * nor the admin pages, nor their messages.
 */
import { lazy } from './lazy.tsx';

type NoProps = Record<string, never>;

export const LibraryPage = lazy<NoProps>(() => import('./pages/library.tsx').then((p) => p.LibraryPage));
export const TrashPage = lazy<NoProps>(() => import('./pages/trash.tsx').then((p) => p.TrashPage));
export const UploadPage = lazy<NoProps>(() => import('./pages/upload.tsx').then((p) => p.UploadPage));
export const AssetPage = lazy<{ id: string }>(() => import('./pages/asset.tsx').then((p) => p.AssetPage));
export const StreamsPage = lazy<NoProps>(() => import('./pages/streams.tsx').then((p) => p.StreamsPage));
export const StreamPage = lazy<{ id: string }>(() => import('./pages/stream.tsx').then((p) => p.StreamPage));
export const SettingsPage = lazy<NoProps>(() => import('./pages/settings.tsx').then((p) => p.SettingsPage));
export const SignInPage = lazy<NoProps>(() => import('./pages/sign-in.tsx').then((p) => p.SignInPage));
export const AdminPage = lazy<{ tab: string }>(() =>
  import('./admin/admin-page.tsx').then((p) => p.AdminPage),
);
// uPlot and the analytics pages are one chunk (analytics-pages.ts).
export const AnalyticsPage = lazy<NoProps>(() =>
  import('./analytics/analytics-pages.ts').then((p) => p.AnalyticsPage),
);
export const ViewPage = lazy<{ id: string }>(() =>
  import('./analytics/analytics-pages.ts').then((p) => p.ViewPage),
);
export const ConcurrencyPanel = lazy<{ liveStreamId: string }>(() =>
  import('./analytics/concurrency-panel.tsx').then((p) => p.ConcurrencyPanel),
);
