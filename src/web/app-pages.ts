/**
 * The browser app's pages: each answers index.html and the app routes in the browser. Its own
 * module (not the routes file) because the access policy names them too.
 */
export const APP_PAGES = [
  '/',
  '/trash',
  '/upload',
  '/assets/:id',
  '/embed/:playbackId',
  '/streams',
  '/streams/:id',
  '/live/:playbackId',
  '/analytics',
  '/analytics/views/:id',
  '/admin',
  '/admin/:tab',
  '/settings',
  '/sign-in',
];
