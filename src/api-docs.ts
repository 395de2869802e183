/**
 * The API description on the gateway's port, outside /api/v1 and without a token:
 * GET /api/openapi.json (the document of src/openapi.ts, serialised once), GET /api/docs (a page
 * running Swagger UI on it) and the Swagger UI files it loads, GET /api/docs/<file>, served from
 * the local swagger-ui-dist package: nothing comes from another origin. The gateway's security
 * headers stay; the page gets a Content-Security-Policy that lets it load its own scripts and
 * styles, its images (Swagger UI's CSS inlines its icons as data: URIs) and make requests to
 * this origin only. Swagger UI's files may be cached a day and are revalidated by ETag.
 */
import fs from "node:fs";
import path from "node:path";
import type { IncomingMessage, ServerResponse } from "node:http";
import { asset, mediaType, send, type Asset } from "./static-files";

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

/** The files of swagger-ui-dist the page loads (nothing else of the package is served). */
const DIST_FILES = new Set(["swagger-ui.css", "index.css", "swagger-ui-bundle.js", "favicon-32x32.png", "favicon-16x16.png"]);

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
  const files = new Map<string, Asset>([["swagger-initializer.js", asset(INITIALIZER, mediaType("swagger-initializer.js"))]]);
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
      if (!found && DIST_FILES.has(name)) {
        found = asset(fs.readFileSync(path.join(dist, name)), mediaType(name));
        files.set(name, found);
      }
      if (!found) return false;
      send(req, res, found, cacheable);
      return true;
    },
  };
}
