/**
 * Files the gateway answers from memory (the API description and Swagger UI, src/api-docs.ts; the
 * web app, src/web-app.ts): each kept with its media type and an ETag made from its bytes, sent
 * with the caller's headers, and answered 304 when the client already has that version.
 */
import { createHash } from "node:crypto";
import path from "node:path";
import type { IncomingMessage, ServerResponse } from "node:http";

export interface Asset {
  body: Buffer;
  type: string;
  etag: string;
}

export const asset = (body: Buffer | string, type: string): Asset => {
  const bytes = Buffer.isBuffer(body) ? body : Buffer.from(body);
  return { body: bytes, type, etag: `"${createHash("sha256").update(bytes).digest("base64url").slice(0, 27)}"` };
};

/** By file extension; anything else is `application/octet-stream` (never sniffed: nosniff). */
const MEDIA_TYPES: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".mjs": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".map": "application/json; charset=utf-8",
  ".json": "application/json; charset=utf-8",
  ".webmanifest": "application/manifest+json; charset=utf-8",
  ".txt": "text/plain; charset=utf-8",
  ".svg": "image/svg+xml",
  ".png": "image/png",
  ".ico": "image/x-icon",
  ".jpg": "image/jpeg",
  ".jpeg": "image/jpeg",
  ".webp": "image/webp",
  ".avif": "image/avif",
  ".woff2": "font/woff2",
  ".woff": "font/woff",
};

export function mediaType(name: string): string {
  return MEDIA_TYPES[path.extname(name).toLowerCase()] ?? "application/octet-stream";
}

/** If-None-Match names this version: one of its (weak or strong) tags, or `*`. */
function alreadyHas(req: IncomingMessage, etag: string): boolean {
  const header = req.headers["if-none-match"];
  if (!header) return false;
  return header.split(",").some((tag) => {
    const trimmed = tag.trim();
    return trimmed === "*" || trimmed.replace(/^W\//, "") === etag;
  });
}

/** `file` with `headers` (which replace the gateway's defaults of the same name) and its ETag; 304 when unchanged. */
export function send(req: IncomingMessage, res: ServerResponse, file: Asset, headers: Record<string, string>): void {
  for (const [name, value] of Object.entries(headers)) res.setHeader(name, value);
  res.setHeader("ETag", file.etag);
  if (alreadyHas(req, file.etag)) {
    res.writeHead(304).end();
    return;
  }
  // A HEAD request gets the same headers; Node sends no body for it.
  res.writeHead(200, { "Content-Type": file.type, "Content-Length": String(file.body.length) }).end(file.body);
}
