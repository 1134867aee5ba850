// The playground's speed, as BENCHMARKS.md reports it (run with `npm run bench` after
// `cargo xtask dist`; skipped in ordinary test runs, since timings are not assertions):
//
// - edit → results for a 1,000-line manifest: performance.now() in the page just before
//   an input event, and again when the results of that edit are in the DOM (a
//   MutationObserver sees the new `data-generation`), and at the next animation frame;
// - all that the page transfers, gzipped (each requested file compressed with gzip -9);
// - time to interactive: from navigation start to the first results on screen.
import { gzipSync } from "node:zlib";
import { readFileSync } from "node:fs";
import path from "node:path";
import { test, expect, example, distDir } from "./fixtures.mjs";

test.skip(!process.env.RAMPART_BENCH, "benchmarks run with RAMPART_BENCH=1 (npm run bench)");

const quantile = (values, q) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor((sorted.length - 1) * q)];
};
const median = (values) => quantile(values, 0.5);
const round = (value) => Math.round(value * 100) / 100;

async function thousandLines() {
  const documents = [
    await example("insecure-deployment.yaml"),
    await example("hardened-deployment.yaml"),
    await example("guide/layer2-rbac-least-privilege.yaml"),
    await example("guide/layer1-network-policies.yaml"),
  ];
  let text = "";
  let copy = 0;
  while (text.split("\n").length < 1000) {
    const document = documents[copy % documents.length].replace(/name: ([a-z0-9-]+)/g, `name: $1-${copy}`);
    text += `---\n${document.trimEnd()}\n`;
    copy += 1;
  }
  return text.split("\n").slice(0, 1000).join("\n") + "\n";
}

for (const edit of ["in-place", "new-line"]) test(`edit → results for a 1,000-line manifest (${edit} edit)`, async ({ playground, page }) => {
  await playground.open();
  const text = await thousandLines();
  await playground.enter(text);
  const objects = await page.locator(".object").count();
  const findings = await playground.findings.count();

  const samples = [];
  for (let round = 0; round < 51; round++) {
    samples.push(
      await page.evaluate(async ([round, edit]) => {
        const area = document.querySelector('[data-testid="manifest-input"]');
        const before = Number(document.querySelector(".results").dataset.generation);
        const done = new Promise((resolve) => {
          const observer = new MutationObserver(() => {
            const results = document.querySelector(".results");
            if (results && Number(results.dataset.generation) > before) {
              observer.disconnect();
              const dom = performance.now();
              requestAnimationFrame(() => resolve({ dom, frame: performance.now(), check: Number(results.dataset.checkMs) }));
            }
          });
          observer.observe(document.querySelector(".results-pane"), { childList: true, subtree: true, attributes: true });
        });
        if (edit === "in-place") {
          // One character changed in place (a digit of the first Deployment's replicas):
          // no line moves, so only that object's results may change.
          const at = area.value.indexOf("replicas:") + "replicas: ".length;
          area.value = area.value.slice(0, at) + String(round % 9 + 1) + area.value.slice(at + 1);
        } else {
          // A new line typed (then taken back) in the middle of the text: every finding
          // below it moves, so half the results are rendered anew.
          const at = area.value.indexOf("\n", area.value.length / 2);
          area.value = round % 2 === 0 ? area.value.slice(0, at) + "\n" + area.value.slice(at) : area.value.slice(0, at) + area.value.slice(at + 1);
        }
        const started = performance.now();
        area.dispatchEvent(new Event("input", { bubbles: true }));
        const { dom, frame, check } = await done;
        return { dom: dom - started, frame: frame - started, check };
      }, [round, edit]),
    );
  }
  const result = {
    edit,
    lines: text.split("\n").length - 1,
    bytes: text.length,
    objects,
    findings,
    samples: samples.length,
    medianEditToDomMs: round(median(samples.map((sample) => sample.dom))),
    medianEditToNextFrameMs: round(median(samples.map((sample) => sample.frame))),
    medianCheckOnlyMs: round(median(samples.map((sample) => sample.check))),
    p25EditToDomMs: round(quantile(samples.map((sample) => sample.dom), 0.25)),
    minEditToDomMs: round(Math.min(...samples.map((sample) => sample.dom))),
    maxEditToDomMs: round(Math.max(...samples.map((sample) => sample.dom))),
  };
  console.log("edit-to-results", JSON.stringify(result));
  expect(result.samples).toBe(51);
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
