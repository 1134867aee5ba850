// End-to-end tests of the web app, in the system's Chromium (Debian's /usr/bin/chromium,
// or RAMPART_CHROMIUM): Playwright's own browser downloads are never used. `cargo xtask
// test` builds frontend/dist and the server first and runs these; the playground's tests
// serve frontend/dist themselves (tests/fixtures.mjs), the dashboard's start `rampart
// serve` on a fresh SQLite database (tests/server-fixtures.mjs), so nothing else needs to
// be running.
import { defineConfig } from "@playwright/test";

export default defineConfig({
  testDir: "./tests",
  outputDir: "./test-results",
  // Two cores: one browser at a time keeps timings steady and the machine responsive.
  workers: 1,
  fullyParallel: false,
  timeout: 60_000,
  expect: { timeout: 10_000 },
  forbidOnly: !!process.env.CI,
  reporter: [["list"]],
  use: {
    headless: true,
    viewport: { width: 1440, height: 900 },
    launchOptions: {
      executablePath: process.env.RAMPART_CHROMIUM || "/usr/bin/chromium",
      args: [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
      ],
    },
    trace: "off",
    screenshot: "only-on-failure",
  },
});
