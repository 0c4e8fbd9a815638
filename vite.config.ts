import { defineConfig } from 'vite';
import { svelte } from '@sveltejs/vite-plugin-svelte';
import { fileURLToPath } from 'node:url';

const shim = (m: string) => fileURLToPath(new URL(`./web/lib/node-shims/${m}.ts`, import.meta.url));

// The dashboard: `npm start` serves web/ (with the emulator core, the kernel
// image and the seed bundle pulled in from ../emulator, ../kernel-image and
// ../models), `npm run build` writes the static site to dist/web. base './'
// makes every URL relative, so the site works from any folder of any host.
export default defineConfig({
  root: 'web',
  base: './',
  plugins: [svelte()],
  // models/src/keys.ts (shared with the CLI) imports node:fs/url/path for its
  // key-file paths; in the browser those are these small stand-ins.
  resolve: { alias: { 'node:fs': shim('fs'), 'node:url': shim('url'), 'node:path': shim('path') } },
  server: {
    host: '127.0.0.1',
    port: 5173,
    fs: { allow: ['..'] },
  },
  preview: { host: '127.0.0.1', port: 4173 },
  worker: { format: 'es' },
  build: {
    outDir: '../dist/web',
    emptyOutDir: true,
    target: 'es2022',
    assetsInlineLimit: 0, // core.wasm, the kernel and the bundle stay separate files
    // index.html is the dashboard; console.html the plain UART console (any kernel: ?kernel=, ?cpu=)
    rollupOptions: { input: { index: 'web/index.html', console: 'web/console.html' } },
  },
});
