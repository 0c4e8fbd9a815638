import { defineConfig } from 'vite';

// The web front end: `npm run dev` serves web/ (with the emulator core and the
// kernel image pulled in from ../emulator and ../kernel-image), `npm run build`
// writes the static site to dist/web.
export default defineConfig({
  root: 'web',
  base: './',
  server: {
    host: '127.0.0.1',
    port: 5173,
    fs: { allow: ['..'] },
  },
  worker: { format: 'es' },
  build: {
    outDir: '../dist/web',
    emptyOutDir: true,
    target: 'es2022',
    assetsInlineLimit: 0, // core.wasm and the kernel stay separate files
  },
});
