import { defineConfig } from 'vite';
import react from '@vitejs/plugin-react';

// Static files only: the coordinator serves `dist/` under `/` with its content security
// policy, which allows scripts and styles from its own origin and nothing inline.
export default defineConfig({
  plugins: [react()],
  base: '/',
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    sourcemap: false,
    // No inlined data: URLs, so `img-src 'self'` and `font-src 'self'` hold for everything.
    assetsInlineLimit: 0,
  },
});
