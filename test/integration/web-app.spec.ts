/**
 * The web app on the gateway's port (in the current mode): the build in dist/web (`npm run
 * build`) is served at /, with a Content-Security-Policy of this origin only; its hashed files
 * are cached for a year, index.html is revalidated by ETag, and app paths (/today) asked for as
 * HTML answer index.html. Everything the API answered it still answers (JSON 404s and 401s under
 * /api, /health), unknown files are the JSON 404, and no URL reaches a file outside the build.
 * Then the module alone: without a build it serves nothing, and links out of a build are not served.
 */
import fs from "node:fs";
import http from "node:http";
import os from "node:os";
import path from "node:path";
import type { AddressInfo } from "node:net";
import { webApp, WEB_BUILD_DIR } from "../../src/web-app";
import { MODE } from "../helpers/env";
import { nodeSuite } from "../helpers/node-suite";
import { freePort } from "../helpers/processes";

jest.setTimeout(60_000);

const APP_CSP =
  "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'self'; connect-src 'self'; " +
  "object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'";
const HTML = "text/html; charset=utf-8";
const PACKAGE_JSON = fs.readFileSync(path.join(__dirname, "../../package.json"), "utf8");

let metricsPort: number;
const suite = nodeSuite(async () => {
  metricsPort = await freePort();
  return { METRICS_PORT: String(metricsPort), METRICS_HOST: "127.0.0.1" };
});

interface RawReply {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

/** Over http.request, so the path leaves exactly as written (fetch would normalise `..` and `%2e`). */
function raw(port: number, urlPath: string, options: { method?: string; headers?: Record<string, string> } = {}): Promise<RawReply> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      { host: "127.0.0.1", port, path: urlPath, method: options.method ?? "GET", headers: options.headers },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (chunk: Buffer) => chunks.push(chunk));
        res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString("utf8") }));
        res.on("error", reject);
      },
    );
    req.on("error", reject);
    req.end();
  });
}

const get = (urlPath: string, headers: Record<string, string> = {}, method = "GET") =>
  raw(suite.node.port as number, urlPath, { method, headers });
const browser = { accept: "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8" };

const expectJsonError = (reply: RawReply, status: number) => {
  expect({ status: reply.status, type: reply.headers["content-type"] }).toEqual({ status, type: "application/json; charset=utf-8" });
  expect(JSON.parse(reply.body)).toMatchObject({ code: status });
  // The gateway's own headers, not the app's.
  expect(reply.headers["content-security-policy"]).toBe("default-src 'none'; frame-ancestors 'none'");
  expect(reply.headers["cache-control"]).toBe("no-store");
};

/** The index.html the server answers, and the files it names. */
async function servedIndex() {
  const reply = await get("/", browser);
  const script = /<script[^>]*\ssrc="(\/assets\/[^"]+\.js)"/.exec(reply.body)?.[1];
  const icon = /<link[^>]*\srel="icon"[^>]*\shref="(\/[^"]+)"/.exec(reply.body)?.[1];
  return { reply, script, icon };
}

describe(`the web app is served at / (${MODE} mode)`, () => {
  beforeAll(() => {
    if (!fs.existsSync(path.join(WEB_BUILD_DIR, "index.html"))) throw new Error(`${WEB_BUILD_DIR} is not built: npm run build --silent`);
  });

  it("GET /: index.html, with the app's CSP, no-cache, an ETag and the other security headers", async () => {
    const { reply, script } = await servedIndex();
    expect(reply.status).toBe(200);
    expect(reply.headers["content-type"]).toBe(HTML);
    expect(reply.body).toMatch(/^<!doctype html>/i);
    expect(script).toBeDefined();
    expect(reply.headers["content-security-policy"]).toBe(APP_CSP);
    expect(reply.headers["cache-control"]).toBe("no-cache");
    expect(reply.headers.etag).toMatch(/^"[\w-]+"$/);
    expect(Number(reply.headers["content-length"])).toBe(Buffer.byteLength(reply.body));
    expect(reply.headers["x-content-type-options"]).toBe("nosniff");
    expect(reply.headers["x-frame-options"]).toBe("DENY");
    expect(reply.headers["referrer-policy"]).toBe("no-referrer");
    expect(reply.headers["cross-origin-resource-policy"]).toBe("same-origin");
    expect(reply.headers["x-request-id"]).toBeTruthy();
    // The same page at /index.html, and without an Accept header.
    const again = await get("/index.html");
    expect([again.status, again.headers["cache-control"], again.body]).toEqual([200, "no-cache", reply.body]);
  });

  it("HEAD /: the same headers, no body", async () => {
    const page = await get("/");
    const head = await get("/", {}, "HEAD");
    expect(head.status).toBe(200);
    expect(head.headers["content-type"]).toBe(HTML);
    expect(head.headers["content-length"]).toBe(String(Buffer.byteLength(page.body)));
    expect(head.headers.etag).toBe(page.headers.etag);
    expect(head.body).toBe("");
  });

  it("ETag: 304 for the version the client has (strong or weak, in a list), 200 for another", async () => {
    const { reply } = await servedIndex();
    const etag = reply.headers.etag as string;
    for (const ifNoneMatch of [etag, `W/${etag}`, `"other", ${etag}`]) {
      const cached = await get("/", { ...browser, "if-none-match": ifNoneMatch });
      expect({ ifNoneMatch, status: cached.status, body: cached.body }).toEqual({ ifNoneMatch, status: 304, body: "" });
      expect(cached.headers.etag).toBe(etag);
    }
    expect((await get("/", { ...browser, "if-none-match": '"not-this-one"' })).status).toBe(200);
  });

  it("the script index.html names: hashed, JavaScript, cached for a year, revalidated by ETag", async () => {
    const { script } = await servedIndex();
    expect(script).toMatch(/^\/assets\/[\w-]+-[\w-]{8}\.js$/);
    const reply = await get(script as string);
    expect(reply.status).toBe(200);
    expect(reply.headers["content-type"]).toBe("text/javascript; charset=utf-8");
    expect(reply.headers["cache-control"]).toBe("public, max-age=31536000, immutable");
    expect(reply.headers["content-security-policy"]).toBe(APP_CSP);
    expect(reply.headers["x-content-type-options"]).toBe("nosniff");
    expect(reply.body.length).toBeGreaterThan(100);
    expect(reply.body).not.toMatch(/^\s*</);
    expect((await get(script as string, { "if-none-match": reply.headers.etag as string })).status).toBe(304);
    const map = await get(`${script}.map`);
    expect([map.status, map.headers["content-type"]]).toEqual([200, "application/json; charset=utf-8"]);
    expect(JSON.parse(map.body)).toMatchObject({ version: 3 });
  });

  it("the icon index.html names: its type, cached for an hour", async () => {
    const { icon } = await servedIndex();
    expect(icon).toBe("/favicon.svg");
    const reply = await get(icon as string);
    expect(reply.status).toBe(200);
    expect(reply.headers["content-type"]).toBe("image/svg+xml");
    expect(reply.headers["cache-control"]).toBe("public, max-age=3600");
    expect(reply.headers["content-security-policy"]).toBe(APP_CSP);
    expect(reply.body).toContain("<svg");
  });

  it("an app path asked for as HTML (or with no Accept) answers index.html; asked for as JSON, the JSON 404", async () => {
    const index = (await get("/")).body;
    for (const [urlPath, headers] of [
      ["/today", browser],
      ["/today", { accept: "text/html" }],
      ["/habits/00000000-0000-4000-8000-000000000000?tab=history", browser],
      ["/settings/", {}],
    ] as Array<[string, Record<string, string>]>) {
      const reply = await get(urlPath, headers);
      expect({ urlPath, status: reply.status, type: reply.headers["content-type"] }).toEqual({ urlPath, status: 200, type: HTML });
      expect(reply.body).toBe(index);
      expect(reply.headers["content-security-policy"]).toBe(APP_CSP);
      expect(reply.headers["cache-control"]).toBe("no-cache");
      expect(reply.headers.vary).toBe("Accept");
    }
    expectJsonError(await get("/today", { accept: "application/json" }), 404);
    expectJsonError(await get("/today", { accept: "*/*" }), 404);
  });

  it("the API answers as before, also to a browser: JSON 404 for unknown paths, 401 without a token", async () => {
    for (const headers of [browser, {}]) {
      expectJsonError(await get("/api/v1/nope", headers), 404);
      expectJsonError(await get("/api/v1/habits", headers), 401);
      expectJsonError(await get("/API/V1/habits", headers), 401);
      expectJsonError(await get("/api/nope", headers), 404);
      expectJsonError(await get("/api", headers), 404);
      expectJsonError(await get("/health/nope", headers), 404);
      expectJsonError(await get("/health", headers), 404);
    }
    const live = await get("/health/live", browser);
    expect([live.status, JSON.parse(live.body)]).toEqual([200, { status: "ok" }]);
    const docs = await get("/api/docs", browser);
    expect([docs.status, docs.headers["content-security-policy"]]).toEqual([200, expect.stringContaining("default-src 'none'")]);
    expect(docs.body).toContain("swagger-ui");
  });

  it("unknown files, under /assets or elsewhere, are the JSON 404", async () => {
    for (const urlPath of [
      "/assets/missing.js",
      "/assets/missing",
      "/assets/",
      "/missing.css",
      "/favicon.ico",
      "/robots.txt",
      "/favicon.svg/x.js",
    ]) {
      const reply = await get(urlPath, browser);
      expect({ urlPath, status: reply.status }).toEqual({ urlPath, status: 404 });
      expectJsonError(reply, 404);
    }
  });

  it("no path reaches a file outside the build, however it is written", async () => {
    for (const urlPath of [
      "/../package.json",
      "/../../package.json",
      "/assets/../../package.json",
      "/assets/../../../package.json",
      "/%2e%2e/package.json",
      "/%2E%2E/%2E%2E/package.json",
      "/..%2fpackage.json",
      "/assets/..%2f..%2fpackage.json",
      "/assets/%2e%2e%2f%2e%2e%2fpackage.json",
      "/assets/..\\..\\package.json",
      "/index.html/../../package.json",
      `/${path.resolve(__dirname, "../../package.json")}`,
      "/dist/web/../../package.json",
      "/web/index.html",
      "/src/web-app.ts",
    ]) {
      const reply = await get(urlPath, browser);
      expect({ urlPath, status: reply.status }).toEqual({ urlPath, status: 404 });
      // Neither the project's package.json nor dist's copy of it.
      expect(reply.body).not.toContain('"name": "habit-tracker"');
      expect(reply.body).not.toContain(PACKAGE_JSON.slice(0, 60));
      expect(reply.headers["content-type"]).toBe("application/json; charset=utf-8");
    }
    // Without an extension a path is the app's: index.html, still nothing else.
    const index = (await get("/")).body;
    for (const urlPath of ["/../../etc/passwd", "/%2e%2e/%2e%2e/etc/passwd", "/today/../../../etc/passwd"]) {
      const reply = await get(urlPath, browser);
      expect({ urlPath, status: reply.status, body: reply.body === index }).toEqual({ urlPath, status: 200, body: true });
    }
  });

  it("methods other than GET and HEAD are not the app's: the gateway's JSON 404", async () => {
    for (const [method, urlPath] of [
      ["POST", "/"],
      ["PUT", "/"],
      ["DELETE", "/today"],
      ["POST", "/index.html"],
    ]) {
      const reply = await get(urlPath, browser, method);
      expect({ method, urlPath, status: reply.status }).toEqual({ method, urlPath, status: 404 });
      expectJsonError(reply, 404);
      expect(reply.body).not.toMatch(/<html/i);
    }
  });

  it("its requests are counted under one route label, `web`, never the URL", async () => {
    await get("/", browser);
    await get("/today-counted", browser);
    const text = await (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text();
    expect(text).toMatch(/^habit_tracker_http_requests_total\{[^}]*method="GET",route="web",status="200"\} [1-9]/m);
    expect(text).toMatch(/^habit_tracker_http_request_duration_bucket\{[^}]*route="web"/m);
    expect(text).not.toContain("today-counted");
  });
});

describe("the web app module", () => {
  let dir: string;

  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "ht-web-"));
  });

  afterEach(() => {
    fs.rmSync(dir, { recursive: true, force: true });
  });

  /** The module behind a bare server: its answer, or 404 when it declines. */
  async function serveWith(app: ReturnType<typeof webApp>, urlPath: string): Promise<RawReply> {
    const server = http.createServer((req, res) => {
      if (!app.serve(req, res)) res.writeHead(404).end("declined");
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    try {
      return await raw((server.address() as AddressInfo).port, urlPath);
    } finally {
      server.close();
    }
  }

  it("without index.html (only tsc was run) it is not built and serves nothing, not even its other files", async () => {
    fs.writeFileSync(path.join(dir, "favicon.svg"), "<svg></svg>");
    const app = webApp(dir);
    expect(app.built).toBe(false);
    for (const urlPath of ["/", "/favicon.svg", "/today"]) expect((await serveWith(app, urlPath)).body).toBe("declined");
    expect(webApp(path.join(dir, "missing")).built).toBe(false);
  });

  it("reads the build once: files added later, and links out of the build, are not served", async () => {
    fs.writeFileSync(path.join(dir, "index.html"), "<!doctype html><title>t</title>");
    fs.mkdirSync(path.join(dir, "assets"));
    fs.writeFileSync(path.join(dir, "assets", "app-12345678.js"), "export {};");
    fs.symlinkSync(path.join(__dirname, "../../package.json"), path.join(dir, "package.json"));
    fs.symlinkSync(path.dirname(path.join(__dirname, "../../package.json")), path.join(dir, "assets", "root"));
    const app = webApp(dir);
    fs.writeFileSync(path.join(dir, "later.txt"), "later");
    expect(app.built).toBe(true);
    expect((await serveWith(app, "/")).body).toBe("<!doctype html><title>t</title>");
    expect((await serveWith(app, "/assets/app-12345678.js")).body).toBe("export {};");
    for (const urlPath of ["/package.json", "/assets/root/package.json", "/later.txt"]) {
      expect({ urlPath, body: (await serveWith(app, urlPath)).body }).toEqual({ urlPath, body: "declined" });
    }
  });
});
