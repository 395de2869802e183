/**
 * The web app on the gateway's port, at /: the single-page app that `npm run build` writes to
 * dist/web (web/vite.config.ts), served by the gateway itself so that one address serves both the
 * app and the API it calls (same origin: no CORS, and a Content-Security-Policy of 'self' only).
 *
 * The build is small: it is read whole when the node starts and answered from memory, so serving
 * costs no disk I/O, and a URL is only ever a key of that map, never joined to a path, so no
 * request can reach a file outside the build. Hashed files (/assets/<name>-<hash>.js) are cached
 * for a year; the other files of the build (/favicon.svg) for an hour; index.html is revalidated
 * on every load (ETag), so a new build shows at once.
 *
 * index.html is also the answer to an app path (/today, /habits/<id>: the app routes them in the
 * browser): a GET or HEAD outside /api, /health and /metrics, whose last segment has no file
 * extension and which asks for HTML (its Accept names text/html, as every browser navigation does,
 * or it has no Accept at all). An API client (`Accept: application/json`, or fetch()'s default of
 * any type) that gets a URL wrong gets the gateway's JSON 404 instead of a page; so do unknown files,
 * under /assets or elsewhere.
 *
 * Without a build (only `tsc` was run) the gateway starts anyway and answers none of this.
 */
import fs from "node:fs";
import path from "node:path";
import type { IncomingMessage, ServerResponse } from "node:http";
import { asset, mediaType, send, type Asset } from "./static-files";

/** The app's files: this origin only (its WebSocket, /api/v1/ws, too: 'self' covers same-origin ws:), nothing inline, no frames. */
export const WEB_APP_CSP =
  "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'self'; connect-src 'self'; " +
  "object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'";

/** The project's dist/web, whether this runs compiled (dist/src/web-app.js) or from the sources (src/web-app.ts). */
function defaultBuildDir(): string {
  const up = path.resolve(__dirname, "..");
  return path.join(path.basename(up) === "dist" ? up : path.join(up, "dist"), "web");
}

export const WEB_BUILD_DIR = defaultBuildDir();

/** The first segments that are never the app's, whatever moleculer-web answers for them (it matches aliases case-insensitively). */
const NOT_THE_APP = new Set(["api", "health", "metrics"]);

const INDEX = "/index.html";
const HASHED = "/assets/";

export interface WebApp {
  /** false when the build (its index.html) is missing: then nothing is served. */
  readonly built: boolean;
  /** Answers `req` when it is the app's and returns true; false otherwise (the caller routes it on, untouched). */
  serve(req: IncomingMessage, res: ServerResponse): boolean;
}

/** Every regular file under `dir`, by URL path (`/assets/index-abc.js`); hidden files and links are left out. */
function readBuild(dir: string, prefix = ""): Map<string, Buffer> {
  const files = new Map<string, Buffer>();
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    if (entry.name.startsWith(".")) continue;
    const urlPath = `${prefix}/${entry.name}`;
    if (entry.isDirectory()) for (const [name, body] of readBuild(path.join(dir, entry.name), urlPath)) files.set(name, body);
    else if (entry.isFile()) files.set(urlPath, fs.readFileSync(path.join(dir, entry.name)));
  }
  return files;
}

function wantsHtml(req: IncomingMessage): boolean {
  const accept = req.headers.accept;
  return accept === undefined || /\btext\/html\b/i.test(accept);
}

/** The app reads its routes off the URL: any path without an extension, outside the API's prefixes and /assets. */
function isAppPath(pathname: string): boolean {
  if (pathname.startsWith(HASHED)) return false;
  const last = pathname.slice(pathname.lastIndexOf("/") + 1);
  return !last.includes(".");
}

/** Reads the build in `dir` (the project's dist/web unless told) once, now. */
export function webApp(dir: string = WEB_BUILD_DIR): WebApp {
  const read = fs.existsSync(dir) ? readBuild(dir) : new Map<string, Buffer>();
  const files = new Map<string, Asset>([...read].map(([name, body]) => [name, asset(body, mediaType(name))]));
  const index = files.get(INDEX);
  if (!index) return { built: false, serve: () => false };
  const headers = (cacheControl: string) => ({ "Cache-Control": cacheControl, "Content-Security-Policy": WEB_APP_CSP });
  const immutable = headers("public, max-age=31536000, immutable");
  const hourly = headers("public, max-age=3600");
  const revalidated = headers("no-cache");
  return {
    built: true,
    serve(req, res) {
      if (req.method !== "GET" && req.method !== "HEAD") return false;
      const url = req.url ?? "";
      if (!url.startsWith("/")) return false;
      const pathname = url.split("?")[0];
      const first = pathname.split("/").find(Boolean) ?? "";
      if (NOT_THE_APP.has(first.toLowerCase())) return false;
      if (pathname === "/" || pathname === INDEX) {
        send(req, res, index, revalidated);
        return true;
      }
      const file = files.get(pathname);
      if (file) {
        send(req, res, file, pathname.startsWith(HASHED) ? immutable : hourly);
        return true;
      }
      if (!isAppPath(pathname) || !wantsHtml(req)) return false;
      // The same URL is a page for a browser and the JSON 404 for an API client.
      send(req, res, index, { ...revalidated, Vary: "Accept" });
      return true;
    },
  };
}
