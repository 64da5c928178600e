import { render } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { Link, Route, Switch, useLocation } from 'wouter-preact';
import { AdminPage } from './admin/admin-page.tsx';
import { AnalyticsPage, lazy, ViewPage } from './analytics/lazy.tsx';
import { api } from './api.ts';
import { AssetPage } from './pages/asset.tsx';
import { EmbedPage } from './pages/embed.tsx';
import { LibraryPage } from './pages/library.tsx';
import { LiveViewerPage } from './pages/live-viewer.tsx';
import { SettingsPage } from './pages/settings.tsx';
import { SignInPage } from './pages/sign-in.tsx';
import { StreamPage } from './pages/stream.tsx';
import { StreamsPage } from './pages/streams.tsx';
import { UploadPage } from './pages/upload.tsx';
import { isAdmin, loadSession, type Session, SessionContext } from './session.ts';
import './styles.css';

// A chunk of its own: the library's other view, which the player and embed pages never need.
const TrashPage = lazy<Record<string, never>>(
  () => import('./pages/trash.tsx').then((m) => m.TrashPage),
  'trash',
);

function Shell() {
  const [session, setSession] = useState<Session | null>(null);
  const [failure, setFailure] = useState<string | null>(null);
  const [location, navigate] = useLocation();
  const reload = async () => {
    try {
      setSession(await loadSession());
      setFailure(null);
    } catch (err) {
      setFailure((err as Error).message);
    }
  };
  const bare = location.startsWith('/embed/') || location.startsWith('/live/');
  useEffect(() => {
    // The embed and live viewer pages play for anyone: they have no session to load.
    if (!bare) void reload();
  }, [bare]);
  useEffect(() => {
    if (session?.kind === 'anonymous' && !bare && location !== '/sign-in') navigate('/sign-in');
  }, [session, location]);

  // The embed and live viewer pages are bare players: no session, no chrome.
  if (bare)
    return (
      <Switch>
        <Route path="/embed/:playbackId">{(p) => <EmbedPage playbackId={p.playbackId} />}</Route>
        <Route path="/live/:playbackId">{(p) => <LiveViewerPage playbackId={p.playbackId} />}</Route>
      </Switch>
    );
  if (failure)
    return (
      <main class="centered">
        <h1>Framehouse cannot be reached</h1>
        <p>{failure}</p>
        <button type="button" onClick={reload}>
          Try again
        </button>
      </main>
    );
  if (!session) return <main class="centered" aria-busy="true" />;

  const signOut = async () => {
    await api('/v1/auth/sign-out', { method: 'POST', json: {} });
    await reload();
    navigate('/sign-in');
  };
  return (
    <SessionContext.Provider value={{ session, reload }}>
      {session.kind !== 'anonymous' && (
        <header class="topbar">
          <Link href="/" class="brand">
            Framehouse
          </Link>
          <nav aria-label="Main">
            <Link href="/">Library</Link>
            <Link href="/upload">Upload</Link>
            <Link href="/streams">Live</Link>
            <Link href="/analytics">Analytics</Link>
            {isAdmin(session) && <Link href="/admin">Admin</Link>}
            <Link href="/settings">Settings</Link>
          </nav>
          {session.kind === 'user' ? (
            <button type="button" class="link" onClick={signOut}>
              Sign out
            </button>
          ) : (
            <Link href="/sign-in">Create the first account</Link>
          )}
        </header>
      )}
      {session.kind === 'open' && (
        <p class="banner" role="status">
          This server is open to anyone who can reach it: no account exists yet. Create the first account (it
          becomes the admin) to close it.
        </p>
      )}
      <main id="main">
        <Switch>
          <Route path="/" component={LibraryPage} />
          <Route path="/trash">{() => <TrashPage />}</Route>
          <Route path="/upload" component={UploadPage} />
          <Route path="/assets/:id">{(p) => <AssetPage id={p.id} />}</Route>
          <Route path="/streams" component={StreamsPage} />
          <Route path="/streams/:id">{(p) => <StreamPage id={p.id} />}</Route>
          <Route path="/analytics">{() => <AnalyticsPage />}</Route>
          <Route path="/analytics/views/:id">{(p) => <ViewPage id={p.id} />}</Route>
          <Route path="/sign-in" component={SignInPage} />
          <Route path="/settings" component={SettingsPage} />
          <Route path="/admin/:tab?">{(p) => <AdminPage tab={p.tab ?? 'queues'} />}</Route>
          <Route>
            <h1>Not found</h1>
            <p>
              There is no page here. <Link href="/">Back to the library</Link>
            </p>
          </Route>
        </Switch>
      </main>
    </SessionContext.Provider>
  );
}

const root = document.getElementById('app');
if (root) render(<Shell />, root);
