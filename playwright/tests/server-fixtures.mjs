// Fixtures for the dashboard's end-to-end tests: the real server, `rampart serve`, with a
// fresh SQLite database in a temporary directory, serving frontend/dist; a first admin
// made with `rampart admin create-user` (and an API token, for the tests' own checks
// through the API); and a page object for what a person does on the dashboard.
//
// The server binary is target/debug/rampart (under CARGO_TARGET_DIR when set), or
// RAMPART_BIN; `cargo build -p rampart` makes it. One server per worker (one worker in all:
// playwright.config.mjs), closed with it.
import { test as base, expect } from "@playwright/test";
import { spawn, spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync } from "node:fs";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { distDir, repoRoot } from "./fixtures.mjs";

export const EMAIL = "lead@example.com";
export const PASSWORD = "a long enough password";

export function binary() {
  if (process.env.RAMPART_BIN) return process.env.RAMPART_BIN;
  const target = process.env.CARGO_TARGET_DIR || path.join(repoRoot, "target");
  return path.join(target, "debug", "rampart");
}

function admin(bin, args, env, input) {
  const result = spawnSync(bin, ["admin", ...args], { env, input, encoding: "utf8" });
  if (result.status !== 0) {
    throw new Error(`rampart admin ${args[0]} failed (${result.status}): ${result.stderr}`);
  }
  return result.stdout.trim();
}

/** Starts `rampart serve` on a port the system picks (or `listen`), with `extraArgs`;
 * resolves once it listens. */
export async function startRampart(extraArgs = [], listen = "127.0.0.1:0") {
  const bin = binary();
  if (!existsSync(bin)) {
    throw new Error(`${bin} is missing: build the server with \`cargo build -p rampart\` (or set RAMPART_BIN)`);
  }
  if (!existsSync(path.join(distDir, "index.html"))) {
    throw new Error("frontend/dist/index.html is missing: run `cargo xtask dist` first");
  }
  const dir = await mkdtemp(path.join(os.tmpdir(), "rampart-e2e-"));
  const databaseUrl = `sqlite://${dir}/rampart.db`;
  // Every spec logs in from 127.0.0.1: the per-address login limit is raised for them.
  const env = {
    ...process.env,
    RAMPART_SECRET_KEY: randomBytes(32).toString("hex"),
    RAMPART_LOGINS_PER_ADDRESS: "100000",
    NO_COLOR: "1",
  };
  delete env.RAMPART_SETTINGS;
  delete env.RAMPART_DATABASE_URL;
  admin(bin, ["create-user", EMAIL, "--admin", "--password-stdin", "--database-url", databaseUrl], env, `${PASSWORD}\n`);
  const token = admin(bin, ["create-token", EMAIL, "--name", "e2e", "--database-url", databaseUrl], env);

  const child = spawn(
    bin,
    ["serve", "--listen", listen, "--web-root", distDir, "--database-url", databaseUrl, ...extraArgs],
    { env, stdio: ["ignore", "pipe", "pipe"] },
  );
  let log = "";
  const url = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`rampart serve did not start within 60 s:\n${log}`)), 60_000);
    const read = (chunk) => {
      log += chunk.toString();
      const match = log.match(/listening on (http:\/\/127\.0\.0\.1:\d+)/);
      if (match) {
        clearTimeout(timer);
        resolve(match[1]);
      }
    };
    child.stdout.on("data", read);
    child.stderr.on("data", read);
    child.on("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`rampart serve exited (${code}):\n${log}`));
    });
  });
  child.removeAllListeners("exit");

  /** The API as a script sees it (Bearer token): the tests' independent view of the data. */
  const api = tokenApi(url, token);

  async function stop() {
    if (child.exitCode === null) {
      const exited = new Promise((resolve) => child.once("exit", resolve));
      child.kill("SIGTERM");
      await exited;
    }
    await rm(dir, { recursive: true, force: true });
  }

  // `database`: the SQLite file, for a test that writes what an older server could have.
  return { url, api, stop, log: () => log, database: path.join(dir, "rampart.db") };
}

/** `api(pathname, fetchOptions)`: calls to the server's API with a token, answering the
 * parsed JSON (null for no body), throwing on a status other than 2xx. */
export function tokenApi(url, token) {
  return async function api(pathname, options = {}) {
    const response = await fetch(`${url}/api/v1${pathname}`, {
      ...options,
      headers: { authorization: `Bearer ${token}`, ...(options.headers || {}) },
    });
    const text = await response.text();
    if (!response.ok) throw new Error(`${options.method || "GET"} ${pathname}: ${response.status} ${text}`);
    return text ? JSON.parse(text) : null;
  };
}

/** An export of a cluster for an upload: examples/ files joined into one YAML stream. */
export async function exportOf(files, edit = (text) => text) {
  const texts = await Promise.all(files.map((file) => readFile(path.join(repoRoot, "examples", file), "utf8")));
  return Buffer.from(edit(texts.join("\n---\n")));
}

/** Registers a snapshot cluster through the API and uploads `body`; waits for its scan to
 * end and answers the cluster's id. */
export async function snapshotCluster(rampart, name, body) {
  const cluster = await rampart.api("/clusters", {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ name, snapshot: true }),
  });
  const scan = await rampart.api(`/clusters/${cluster.id}/snapshots`, { method: "POST", body });
  await expect
    .poll(async () => (await rampart.api(`/scans/${scan.id}`)).status, { timeout: 30_000 })
    .not.toMatch(/queued|running/);
  return cluster.id;
}

/** What a person does on the dashboard, by test ids, roles and labels. */
export class Dashboard {
  constructor(page, rampart) {
    this.page = page;
    this.rampart = rampart;
  }

  /** Logs in through the login page, which must load without an error in the browser's
   * console (no failed request either: asking whether someone is logged in is no error). */
  async login() {
    const errors = [];
    const onConsole = (message) => message.type() === "error" && errors.push(message.text());
    const onError = (error) => errors.push(String(error));
    this.page.on("console", onConsole);
    this.page.on("pageerror", onError);
    await this.page.goto(`${this.rampart.url}/login`);
    await expect(this.page.getByRole("button", { name: "Log in" })).toBeVisible();
    this.page.off("console", onConsole);
    this.page.off("pageerror", onError);
    expect(errors, "console errors on the login page").toEqual([]);
    await this.page.getByLabel("Email").fill(EMAIL);
    await this.page.getByLabel("Password").fill(PASSWORD);
    await this.page.getByRole("button", { name: "Log in" }).click();
    await expect(this.page).toHaveURL(/\/clusters$/);
    await expect(this.page.getByRole("heading", { name: "Clusters", level: 1 })).toBeVisible();
  }

  row(name) {
    return this.page.locator(`[data-testid="cluster-row"][data-cluster="${name}"]`);
  }

  /** Registers a snapshot cluster with its first export; lands on its page. */
  async registerSnapshot(name, exportBuffer) {
    const form = this.page.locator("form.register");
    if (!(await form.isVisible())) {
      await this.page.getByRole("button", { name: "Register a cluster" }).click();
    }
    await form.getByRole("radio", { name: "Snapshot uploads" }).check();
    await form.getByRole("textbox", { name: "Name", exact: true }).fill(name);
    await form
      .getByLabel(/^Export to scan/)
      .setInputFiles({ name: "export.yaml", mimeType: "text/yaml", buffer: exportBuffer });
    await form.getByRole("button", { name: "Register" }).click();
    await expect(this.page).toHaveURL(/\/clusters\/\d+$/);
    await expect(this.page.getByRole("heading", { name, level: 1 })).toBeVisible();
    return Number(new URL(this.page.url()).pathname.split("/").pop());
  }

  /** Uploads an export on a snapshot cluster's page and waits for its scan to end. */
  async upload(exportBuffer) {
    const before = await this.page.getByTestId("scan-row").count();
    await this.page
      .getByTestId("snapshot-input")
      .setInputFiles({ name: "export.yaml", mimeType: "text/yaml", buffer: exportBuffer });
    await this.page.getByRole("button", { name: "Upload and scan" }).click();
    await this.waitForScans(before + 1);
  }

  /** Waits until the scan history lists `count` scans, none of them pending. */
  async waitForScans(count) {
    await expect(this.page.getByTestId("scan-row")).toHaveCount(count, { timeout: 30_000 });
    await expect(this.page.locator('[data-testid="scan-row"][data-status="queued"]')).toHaveCount(0);
    await expect(this.page.locator('[data-testid="scan-row"][data-status="running"]')).toHaveCount(0);
    await expect(this.page.getByTestId("scan-progress")).toHaveCount(0);
  }
}

export const test = base.extend({
  rampart: [
    async ({}, use) => {
      const rampart = await startRampart();
      await use(rampart);
      await rampart.stop();
    },
    { scope: "worker" },
  ],
  dashboard: async ({ page, rampart }, use, testInfo) => {
    const from = rampart.log().length;
    await use(new Dashboard(page, rampart));
    // A failed test keeps what the server logged while it ran (a 500's cause is there).
    if (testInfo.status !== testInfo.expectedStatus) {
      await testInfo.attach("rampart serve log", { body: rampart.log().slice(from), contentType: "text/plain" });
    }
  },
});

export { expect };
