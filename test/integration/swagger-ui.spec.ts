/**
 * The API description as a person opens it (in the current mode): GET /api/openapi.json and GET
 * /api/docs are public, outside /api/v1, keep the security headers and get the docs CSP; Swagger
 * UI's files come from this server (swagger-ui-dist) with cache headers and ETags. Then the page
 * in headless Chromium (Debian's /usr/bin/chromium, driven by playwright-core): it shows one
 * operation per route, `POST /auth/register` among them, breaks none of its CSP, and no request
 * leaves this server's origin.
 */
import fs from "node:fs";
import type { Browser } from "playwright-core";
import { DOCS_CSP } from "../../src/api-docs";
import { openApiPath } from "../../src/openapi";
import { launchChromium, watchProblems } from "../helpers/browser";
import { MODE } from "../helpers/env";
import { nodeSuite } from "../helpers/node-suite";
import { ROUTES } from "../helpers/route-samples";

jest.setTimeout(120_000);

const suite = nodeSuite();
const origin = () => `http://127.0.0.1:${suite.node.port}`;

describe(`the API description and Swagger UI are served (${MODE} mode)`, () => {
  it("GET /api/openapi.json: the document, public, with the security headers and an ETag", async () => {
    const reply = await fetch(`${origin()}/api/openapi.json`);
    expect(reply.status).toBe(200);
    expect(reply.headers.get("content-type")).toMatch(/^application\/json/);
    expect(reply.headers.get("x-content-type-options")).toBe("nosniff");
    expect(reply.headers.get("x-frame-options")).toBe("DENY");
    expect(reply.headers.get("content-security-policy")).toBe("default-src 'none'; frame-ancestors 'none'");
    expect(reply.headers.get("x-request-id")).toBeTruthy();
    const document = (await reply.json()) as { openapi: string; servers: unknown };
    expect(document.openapi).toBe("3.1.0");
    expect(document.servers).toEqual([{ url: "/api/v1" }]);
    const etag = reply.headers.get("etag") as string;
    expect((await fetch(`${origin()}/api/openapi.json`, { headers: { "if-none-match": etag } })).status).toBe(304);
  });

  it("GET /api/docs: the page, with the docs CSP and nothing from another origin", async () => {
    const reply = await fetch(`${origin()}/api/docs`);
    expect(reply.status).toBe(200);
    expect(reply.headers.get("content-type")).toMatch(/^text\/html/);
    expect(reply.headers.get("content-security-policy")).toBe(DOCS_CSP);
    expect(reply.headers.get("x-frame-options")).toBe("DENY");
    const html = await reply.text();
    const urls = [...html.matchAll(/(?:src|href)="([^"]+)"/g)].map((match) => match[1]);
    expect(urls.length).toBeGreaterThan(2);
    for (const url of urls) expect(url).toMatch(/^\/api\/docs\//);
  });

  it("Swagger UI's files: from swagger-ui-dist, typed, cacheable, revalidated by ETag", async () => {
    const bundle = await fetch(`${origin()}/api/docs/swagger-ui-bundle.js`);
    expect(bundle.status).toBe(200);
    expect(bundle.headers.get("content-type")).toMatch(/^text\/javascript/);
    expect(bundle.headers.get("cache-control")).toBe("public, max-age=86400");
    expect(Buffer.from(await bundle.arrayBuffer()).equals(fs.readFileSync(require.resolve("swagger-ui-dist/swagger-ui-bundle.js")))).toBe(
      true,
    );
    const css = await fetch(`${origin()}/api/docs/swagger-ui.css`);
    expect(css.headers.get("content-type")).toMatch(/^text\/css/);
    const again = await fetch(`${origin()}/api/docs/swagger-ui.css`, { headers: { "if-none-match": css.headers.get("etag") as string } });
    expect(again.status).toBe(304);
    const initializer = await (await fetch(`${origin()}/api/docs/swagger-initializer.js`)).text();
    expect(initializer).toContain('"/api/openapi.json"');
  });

  it("only those files: other names of the package, and paths out of it, are 404", async () => {
    for (const path of [
      "/api/docs/package.json",
      "/api/docs/swagger-ui-bundle.js.map",
      "/api/docs/..%2Fpackage.json",
      "/api/docs/%2e%2e%2f%2e%2e%2fpackage.json",
    ]) {
      const reply = await fetch(`${origin()}${path}`);
      expect({ path, status: reply.status }).toEqual({ path, status: 404 });
      expect(await reply.json()).toMatchObject({ code: 404, type: "NOT_FOUND" });
    }
  });
});

describe(`Swagger UI in headless Chromium (${MODE} mode)`, () => {
  let browser: Browser;

  beforeAll(async () => {
    browser = await launchChromium();
  });

  afterAll(async () => {
    await browser?.close();
  });

  it("shows an operation per route, POST /auth/register among them, with nothing blocked and nothing remote", async () => {
    const page = await browser.newPage();
    const requests: string[] = [];
    page.on("request", (request) => requests.push(request.url()));
    const problems = await watchProblems(page);
    await page.goto(`${origin()}/api/docs`);
    await page.waitForFunction(`document.querySelectorAll(".opblock").length >= ${ROUTES.length}`, undefined, { timeout: 30_000 });

    const shown = await page.$$eval(".opblock", (blocks) =>
      blocks.map((block) => {
        const method = block.querySelector(".opblock-summary-method")?.textContent?.trim() ?? "";
        const path = block.querySelector(".opblock-summary-path")?.getAttribute("data-path") ?? "";
        return `${method} ${path}`;
      }),
    );
    expect(shown).toHaveLength(ROUTES.length);
    expect(shown.sort()).toEqual(ROUTES.map((route) => `${route.method} ${openApiPath(route.path)}`).sort());
    expect(shown).toContain("POST /auth/register");
    const register = page.locator(".opblock-post", { has: page.locator('[data-path="/auth/register"]') });
    expect(await register.isVisible()).toBe(true);
    expect(await register.innerText()).toMatch(/POST\s+\/auth\/register/);

    expect(problems.list).toEqual([]);
    expect(requests.length).toBeGreaterThan(3);
    expect(requests.filter((url) => !url.startsWith(`${origin()}/`) && !url.startsWith("data:"))).toEqual([]);
    expect(requests).toContain(`${origin()}/api/openapi.json`);
    await page.close();
  });
});
