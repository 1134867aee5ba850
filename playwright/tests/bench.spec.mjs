// The playground's speed, as BENCHMARKS.md reports it (run with `npm run bench` after
// `cargo xtask dist`; skipped in ordinary test runs, since timings are not assertions):
//
// - edit → results for a 1,000-line manifest: performance.now() in the page just before
//   an input event, and again when the results of that edit are in the DOM (a
//   MutationObserver sees the new `data-generation`), and once the next frame is rendered
//   (tests/edits.mjs);
// - all that the page transfers, gzipped (each requested file compressed with gzip -9);
// - time to interactive: from navigation start to the first results on screen.
import { gzipSync } from "node:zlib";
import { readFileSync } from "node:fs";
import path from "node:path";
import { test, expect, distDir } from "./fixtures.mjs";
import { thousandLines, tenPolicies, edit } from "./edits.mjs";

test.skip(!process.env.RAMPART_BENCH, "benchmarks run with RAMPART_BENCH=1 (npm run bench)");

const quantile = (values, q) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor((sorted.length - 1) * q)];
};
const median = (values) => quantile(values, 0.5);
const round = (value) => Math.round(value * 100) / 100;
// Edits of each kind (RAMPART_BENCH_ROUNDS, 51 by default).
const ROUNDS = Number(process.env.RAMPART_BENCH_ROUNDS || 51);

for (const [kind, policies] of [["in-place", false], ["new-line", false], ["typed", false], ["typed", true]]) test(`edit → results for a 1,000-line manifest (${kind} edit${policies ? ", 10 policies" : ""})`, async ({ playground, page }) => {
  await playground.open();
  if (policies) {
    const before = await playground.generation();
    await page.getByTestId("policy-input").evaluate((area, text) => {
      area.value = text;
      area.dispatchEvent(new InputEvent("input", { bubbles: true, inputType: "insertFromPaste" }));
    }, await tenPolicies());
    await expect.poll(() => playground.generation()).toBeGreaterThan(before);
    await expect(page.getByTestId("policy-summary")).toHaveCount(10);
  }
  const text = await thousandLines();
  await playground.enter(text);
  const objects = await page.locator(".object").count();
  const findings = await playground.findings.count();

  const samples = [];
  for (let round = 0; round < ROUNDS; round++) samples.push(await page.evaluate(edit, [round, kind]));
  // New-line edits alternate: a line added (even rounds), the same line removed (odd).
  const dom = (parity) => samples.filter((_, round) => round % 2 === parity).map((sample) => sample.dom);
  const result = {
    edit: kind,
    policies: policies ? 10 : 0,
    policyFindings: await page.locator('[data-testid="finding"][data-rule^="vap/"]').count(),
    lines: text.split("\n").length - 1,
    bytes: text.length,
    objects,
    findings,
    samples: samples.length,
    medianEditToDomMs: round(median(samples.map((sample) => sample.dom))),
    medianEditToFrameRenderedMs: round(median(samples.map((sample) => sample.frame))),
    medianCheckOnlyMs: round(median(samples.map((sample) => sample.check))),
    p25EditToDomMs: round(quantile(samples.map((sample) => sample.dom), 0.25)),
    minEditToDomMs: round(Math.min(...samples.map((sample) => sample.dom))),
    maxEditToDomMs: round(Math.max(...samples.map((sample) => sample.dom))),
    medianEvenRoundsToDomMs: round(median(dom(0))),
    medianOddRoundsToDomMs: round(median(dom(1))),
  };
  console.log("edit-to-results", JSON.stringify(result));
  expect(result.samples).toBe(ROUNDS);
});

test("transfer size and time to interactive", async ({ browser, server }) => {
  const runs = [];
  let transfer;
  for (let run = 0; run < 7; run++) {
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.addInitScript(() => {
      new MutationObserver((_, observer) => {
        if (document.querySelector(".results[data-generation]") && document.querySelector('[data-testid="manifest-input"]')) {
          window.__interactiveAt = performance.now();
          observer.disconnect();
        }
      }).observe(document, { childList: true, subtree: true });
    });
    const requested = [];
    page.on("requestfinished", (request) => requested.push(new URL(request.url()).pathname));
    await page.goto(server.url);
    await page.waitForFunction(() => window.__interactiveAt !== undefined);
    runs.push(await page.evaluate(() => window.__interactiveAt));
    if (!transfer) {
      transfer = requested.map((pathname) => {
        const file = path.join(distDir, pathname === "/" ? "index.html" : pathname);
        const body = readFileSync(file);
        return { file: path.basename(file), bytes: body.length, gzipped: gzipSync(body, { level: 9 }).length };
      });
    }
    await context.close();
  }
  const total = transfer.reduce((sum, file) => sum + file.gzipped, 0);
  console.log(
    "transfer",
    JSON.stringify({ files: transfer, totalGzippedKB: round(total / 1024), totalKB: round(transfer.reduce((s, f) => s + f.bytes, 0) / 1024) }),
  );
  console.log("interactive", JSON.stringify({ runs: runs.map(round), medianMs: round(median(runs)) }));
  expect(total).toBeGreaterThan(0);
});
