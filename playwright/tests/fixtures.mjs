// Test fixtures: a static file server for frontend/dist (Node's http, 127.0.0.1, a port
// the system picks, closed when the worker ends), and a page object for the playground.
import { test as base, expect } from "@playwright/test";
import { createServer } from "node:http";
import { readFile } from "node:fs/promises";
import { existsSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const here = path.dirname(fileURLToPath(import.meta.url));
export const repoRoot = path.resolve(here, "../..");
export const distDir = path.join(repoRoot, "frontend/dist");

const MIME = {
  ".html": "text/html; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".wasm": "application/wasm",
};

export function example(relative) {
  return readFile(path.join(repoRoot, "examples", relative), "utf8");
}

/** Serves frontend/dist; remembers every request it answered. */
async function startServer() {
  if (!existsSync(path.join(distDir, "index.html"))) {
    throw new Error("frontend/dist/index.html is missing: run `cargo xtask dist` first");
  }
  const requests = [];
  const server = createServer(async (request, response) => {
    requests.push({ method: request.method, url: request.url });
    const pathname = decodeURIComponent(new URL(request.url, "http://localhost").pathname);
    const file = path.join(distDir, pathname === "/" ? "index.html" : pathname);
    if (!file.startsWith(distDir) || request.method !== "GET") {
      response.writeHead(404).end();
      return;
    }
    try {
      const body = await readFile(file);
      response.writeHead(200, {
        "content-type": MIME[path.extname(file)] || "application/octet-stream",
        "cache-control": "no-store",
      });
      response.end(body);
    } catch {
      response.writeHead(404).end();
    }
  });
  await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address();
  return { url: `http://127.0.0.1:${port}/`, requests, close: () => new Promise((resolve) => server.close(resolve)) };
}

/** What a person does on the playground, by test ids and roles. */
export class Playground {
  constructor(page, baseUrl) {
    this.page = page;
    this.baseUrl = baseUrl;
    this.input = page.getByTestId("manifest-input");
    this.findings = page.getByTestId("finding");
    this.score = page.getByTestId("score");
    this.grade = page.getByTestId("grade");
    this.parseErrors = page.getByTestId("parse-error");
  }

  async open(url = this.baseUrl) {
    await this.page.goto(url);
    await expect(this.score).toBeVisible();
  }

  /** The check generation the results show. */
  async generation() {
    return Number(await this.page.locator(".results").getAttribute("data-generation"));
  }

  /** Replaces the editor's text as a paste does (one input event) and waits for the
   * results of it. (`fill` sends one input event per line of a textarea, each of which
   * may be checked: waiting for a newer check would not mean the check of all the text.) */
  async enter(text) {
    const before = await this.generation();
    await this.input.evaluate((area, text) => {
      area.value = text;
      area.dispatchEvent(new InputEvent("input", { bubbles: true, inputType: "insertFromPaste" }));
    }, text);
    await expect.poll(() => this.generation()).toBe(before + 1);
  }

  finding(rule) {
    return this.page.locator(`[data-testid="finding"][data-rule="${rule}"]`);
  }

  async scoreValue() {
    return Number(await this.score.textContent());
  }
}

/** The privacy promise: every request the page made (and the server saw) is a GET of the
 * page's own static files, and none carries the canary typed into the page. */
export function expectOnlyOwnRequests(requests, server, canary) {
  const own = new Set([
    "/",
    "/style.css",
    "/boot.js",
    "/rampart_web.js",
    "/rampart_web_bg.wasm",
    // The policy module, fetched once the page holds a custom policy.
    "/rampart_web_policy.js",
    "/rampart_web_policy_bg.wasm",
  ]);
  const origin = new URL(server.url).origin;
  // data: URLs (the empty favicon) are not network requests.
  for (const request of requests.filter((request) => !request.url().startsWith("data:"))) {
    const url = new URL(request.url());
    expect(url.origin, request.url()).toBe(origin);
    expect(own.has(url.pathname), request.url()).toBe(true);
    expect(request.method(), request.url()).toBe("GET");
    expect(request.url()).not.toContain(canary);
    expect(request.postData() ?? "").not.toContain(canary);
  }
  for (const request of server.requests) {
    expect(request.method).toBe("GET");
    expect(request.url).not.toContain(canary);
  }
}

export const test = base.extend({
  server: [
    async ({}, use) => {
      const server = await startServer();
      await use(server);
      await server.close();
    },
    { scope: "worker" },
  ],
  playground: async ({ page, server }, use) => {
    await use(new Playground(page, server.url));
  },
});

export { expect };
