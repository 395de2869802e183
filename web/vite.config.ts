// The web app's build (README "Web app"): `npm run build` writes it to dist/web, which the gateway
// serves at / (src/web-app.ts). Hashed file names under assets/ let the gateway cache them for a
// year; nothing is inlined (the gateway's Content-Security-Policy allows this origin only).
import { defineConfig } from "vitest/config";

export default defineConfig({
  root: __dirname,
  base: "/",
  publicDir: "public",
  esbuild: { jsx: "automatic", jsxImportSource: "preact" },
  build: {
    outDir: "../dist/web",
    emptyOutDir: true,
    assetsInlineLimit: 0,
    modulePreload: { polyfill: false },
    sourcemap: true,
    target: "es2022",
  },
  // `npm run dev:web`: the app with hot reload on :5173, the API (and health) of a server on :3000.
  server: { proxy: { "/api": { target: "http://localhost:3000", ws: true }, "/health": "http://localhost:3000" } },
  test: { include: ["src/**/*.test.ts"], environment: "node" },
});
