/**
 * The API description on the gateway's port, outside /api/v1 and without a token:
 * GET /api/openapi.json (the document of src/openapi.ts, serialised once), GET /api/docs (a page
 * running Swagger UI on it) and the Swagger UI files it loads, GET /api/docs/<file>, served from
 * the local swagger-ui-dist package: nothing comes from another origin. The gateway's security
 * headers stay; the page gets a Content-Security-Policy that lets it load its own scripts and
 * styles, its images (Swagger UI's CSS inlines its icons as data: URIs) and make requests to
 * this origin only. Swagger UI's files may be cached a day and are revalidated by ETag.
 */
import { createHash } from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import type { IncomingMessage, ServerResponse } from "node:http";

/** The docs page and Swagger UI's files: this origin only, nothing inline, no frames. */
export const DOCS_CSP =
  "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; " +
  "base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

const OPENAPI_URL = "/api/openapi.json";
const ASSETS_URL = "/api/docs";

const PAGE = `<!DOCTYPE html>
<html lang="en">
  <head>
    <meta charset="utf-8">
    <title>habit-tracker API</title>
    <link rel="stylesheet" href="${ASSETS_URL}/swagger-ui.css">
    <link rel="stylesheet" href="${ASSETS_URL}/index.css">
    <link rel="icon" type="image/png" href="${ASSETS_URL}/favicon-32x32.png" sizes="32x32">
  </head>
  <body>
    <div id="swagger-ui"></div>
    <script src="${ASSETS_URL}/swagger-ui-bundle.js"></script>
    <script src="${ASSETS_URL}/swagger-initializer.js"></script>
  </body>
</html>
`;

/** Points Swagger UI at the document; no validator badge (it would ask a remote service). */
const INITIALIZER = `window.addEventListener("load", function () {
  window.ui = SwaggerUIBundle({
    url: ${JSON.stringify(OPENAPI_URL)},
    dom_id: "#swagger-ui",
    deepLinking: true,
    displayOperationId: true,
    validatorUrl: null,
    presets: [SwaggerUIBundle.presets.apis],
    layout: "BaseLayout",
  });
});
`;

/** The files of swagger-ui-dist the page loads (nothing else of the package is served), by type. */
const DIST_FILES: Record<string, string> = {
  "swagger-ui.css": "text/css; charset=utf-8",
  "index.css": "text/css; charset=utf-8",
  "swagger-ui-bundle.js": "text/javascript; charset=utf-8",
  "favicon-32x32.png": "image/png",
  "favicon-16x16.png": "image/png",
};

interface Asset {
  body: Buffer;
  type: string;
  etag: string;
}

const asset = (body: Buffer | string, type: string): Asset => {
  const bytes = Buffer.isBuffer(body) ? body : Buffer.from(body);
  return { body: bytes, type, etag: `"${createHash("sha256").update(bytes).digest("base64url").slice(0, 27)}"` };
};

function send(req: IncomingMessage, res: ServerResponse, file: Asset, headers: Record<string, string>): void {
  for (const [name, value] of Object.entries(headers)) res.setHeader(name, value);
  res.setHeader("ETag", file.etag);
  if (req.headers["if-none-match"] === file.etag) {
    res.writeHead(304).end();
    return;
  }
  res.writeHead(200, { "Content-Type": file.type, "Content-Length": String(file.body.length) }).end(file.body);
}

export interface ApiDocs {
  /** GET /api/openapi.json */
  document(req: IncomingMessage, res: ServerResponse): void;
  /** GET /api/docs */
  page(req: IncomingMessage, res: ServerResponse): void;
  /** GET /api/docs/:file; false when there is no such file (the caller answers 404). */
  file(req: IncomingMessage, res: ServerResponse, name: string): boolean;
}

/** Serves `document`; Swagger UI's files are read from swagger-ui-dist when first asked for, then kept. */
export function apiDocs(document: object): ApiDocs {
  const json = asset(JSON.stringify(document), "application/json; charset=utf-8");
  const page = asset(PAGE, "text/html; charset=utf-8");
  const dist = path.dirname(require.resolve("swagger-ui-dist/package.json"));
  const files = new Map<string, Asset>([["swagger-initializer.js", asset(INITIALIZER, "text/javascript; charset=utf-8")]]);
  const cacheable = { "Cache-Control": "public, max-age=86400", "Content-Security-Policy": DOCS_CSP };
  return {
    document(req, res) {
      // The same for the life of the node; revalidated each time, so a new version shows at once.
      send(req, res, json, { "Cache-Control": "no-cache" });
    },
    page(req, res) {
      send(req, res, page, { "Cache-Control": "no-cache", "Content-Security-Policy": DOCS_CSP });
    },
    file(req, res, name) {
      let found = files.get(name);
      if (!found && Object.hasOwn(DIST_FILES, name)) {
        found = asset(fs.readFileSync(path.join(dist, name)), DIST_FILES[name]);
        files.set(name, found);
      }
      if (!found) return false;
      send(req, res, found, cacheable);
      return true;
    },
  };
}
