import { render } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { Link, Route, Switch, useLocation } from 'wouter-preact';
import { api, type User } from './api.ts';
import * as m from './i18n/generated/messages.js';
import {
  applyLocale,
  followBrowser,
  getLocale,
  isLocale,
  type Locale,
  LocaleContext,
  rememberLocale,
  restoreDeviceLocale,
} from './i18n/locale.ts';
import {
  AdminPage,
  AnalyticsPage,
  AssetPage,
  LibraryPage,
  SettingsPage,
  SignInPage,
  StreamPage,
  StreamsPage,
  TrashPage,
  UploadPage,
  ViewPage,
} from './lazy-pages.ts';
import { EmbedPage } from './pages/embed.tsx';
import { LiveViewerPage } from './pages/live-viewer.tsx';
import { isAdmin, loadSession, type Session, SessionContext } from './session.ts';
import { LanguageSwitch } from './shell/language-switch.tsx';
import './styles.css';

function Shell() {
  const [session, setSession] = useState<Session | null>(null);
  const [failure, setFailure] = useState<string | null>(null);
  // A language the account could not save: said above the page, which goes on working.
  const [notice, setNotice] = useState<string | null>(null);
  const [locale, setLocale] = useState<Locale>(getLocale);
  const [location, navigate] = useLocation();
  const reload = async () => {
    try {
      const loaded = await loadSession();
      // The account's language wins over this device's choice and the browser's languages.
      const chosen = loaded.kind === 'user' ? loaded.user.locale : null;
      if (isLocale(chosen)) show(chosen);
      setSession(loaded);
      setFailure(null);
    } catch (err) {
      setFailure((err as Error).message);
    }
  };
  const show = (next: Locale) => {
    applyLocale(next);
    setLocale(next);
  };
  /**
   * The header's switch and the settings page: this device now, and the account (when signed in)
   * for every device and its mail. null: no choice, the browser's language.
   */
  const choose = async (next: Locale | null) => {
    if (next) rememberLocale(next);
    show(next ?? followBrowser());
    if (session?.kind !== 'user' || session.user.locale === next) return true;
    return api('/v1/auth/update-user', { method: 'POST', json: { locale: next } }).then(
      () => {
        setSession({ kind: 'user', user: { ...session.user, locale: next } });
        setNotice(null);
        return true;
      },
      (err: Error) => {
        setNotice(m.app_language_not_saved({ reason: err.message }));
        return false;
      },
    );
  };
  const bare = location.startsWith('/embed/') || location.startsWith('/live/');
  const live = location.startsWith('/live/');
  useEffect(() => {
    applyLocale(locale);
    // The embed and live viewer pages play for anyone: they have no session to load. The live
    // page has a chat a signed-in viewer joins by name: for them, the account's language.
    if (live) void accountLocale();
    else if (!bare) void reload();
  }, [bare, live]);
  const accountLocale = () =>
    api<{ user?: User } | null>('/v1/auth/get-session').then(
      (s) => {
        const chosen = s?.user?.locale;
        if (isLocale(chosen)) show(chosen);
      },
      () => {}, // no session to read: the page stays in this device's or the browser's language
    );
  useEffect(() => {
    if (session?.kind === 'anonymous' && !bare && location !== '/sign-in') navigate('/sign-in');
  }, [session, location]);

  return <LocaleContext.Provider value={{ locale, choose }}>{page()}</LocaleContext.Provider>;

  function page() {
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
          <h1>{m.app_unreachable_title()}</h1>
          <p>{failure}</p>
          <button type="button" onClick={reload}>
            {m.app_try_again()}
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
        <header class="topbar">
          {session.kind !== 'anonymous' && (
            <>
              <Link href="/" class="brand">
                {m.app_brand()}
              </Link>
              <nav aria-label={m.app_nav_label()}>
                <Link href="/">{m.app_nav_library()}</Link>
                <Link href="/upload">{m.app_nav_upload()}</Link>
                <Link href="/streams">{m.app_nav_live()}</Link>
                <Link href="/analytics">{m.app_nav_analytics()}</Link>
                {isAdmin(session) && <Link href="/admin">{m.app_nav_admin()}</Link>}
                <Link href="/settings">{m.app_nav_settings()}</Link>
              </nav>
            </>
          )}
          <LanguageSwitch />
          {session.kind === 'user' ? (
            <button type="button" class="link" onClick={signOut}>
              {m.app_sign_out()}
            </button>
          ) : session.kind === 'open' ? (
            <Link href="/sign-in">{m.app_create_first_account()}</Link>
          ) : null}
        </header>
        {notice && (
          <p class="banner" role="alert">
            {notice}
          </p>
        )}
        {session.kind === 'open' && (
          <p class="banner" role="status">
            {m.app_open_mode_banner()}
          </p>
        )}
        <main id="main">
          <Switch>
            <Route path="/">{() => <LibraryPage />}</Route>
            <Route path="/trash">{() => <TrashPage />}</Route>
            <Route path="/upload">{() => <UploadPage />}</Route>
            <Route path="/assets/:id">{(p) => <AssetPage id={p.id} />}</Route>
            <Route path="/streams">{() => <StreamsPage />}</Route>
            <Route path="/streams/:id">{(p) => <StreamPage id={p.id} />}</Route>
            <Route path="/analytics">{() => <AnalyticsPage />}</Route>
            <Route path="/analytics/views/:id">{(p) => <ViewPage id={p.id} />}</Route>
            <Route path="/sign-in">{() => <SignInPage />}</Route>
            <Route path="/settings">{() => <SettingsPage />}</Route>
            <Route path="/admin/:tab?">{(p) => <AdminPage tab={p.tab ?? 'queues'} />}</Route>
            <Route>
              <h1>{m.app_not_found_title()}</h1>
              <p>
                {m.app_not_found_text()} <Link href="/">{m.app_not_found_back()}</Link>
              </p>
            </Route>
          </Switch>
        </main>
      </SessionContext.Provider>
    );
  }
}

// This device's choice of language, if its person made one, before anything renders; and the
// page's lang (index.html says en) before its first text, not after the first effect.
restoreDeviceLocale();
document.documentElement.lang = getLocale();
const root = document.getElementById('app');
if (root) render(<Shell />, root);
