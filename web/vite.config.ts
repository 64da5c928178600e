import { defineConfig } from 'vite';

// The browser app: built into web/dist and served by the api role (src/web/web.routes.ts).
// Preact through Oxc's automatic JSX runtime: no framework plugin needed.
export default defineConfig({
  root: import.meta.dirname,
  base: '/',
  oxc: { jsx: { runtime: 'automatic', importSource: 'preact' } },
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    assetsDir: 'app',
    // Read by src/web/page-weight.ts: which files the player page downloads.
    manifest: true,
    target: 'es2022',
    // three.js is only fetched by the 360° view; hls.js by the player.
    chunkSizeWarningLimit: 700,
  },
  server: {
    proxy: {
      '/v1': 'http://localhost:8080',
      '/play': 'http://localhost:8080',
    },
  },
});
