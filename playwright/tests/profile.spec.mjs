// Where an edit's time goes, for the benchmark's edits to its 1,000-line manifest: a CPU
// profile (Chrome DevTools Protocol) summed by function, self and total time; and a
// timeline of the main thread's events (script, style, layout, paint), with the order of
// the tasks of a few edits. Run with `npm run profile` after `cargo xtask dist` (skipped in
// ordinary test runs); RAMPART_PROFILE_EDIT picks the edit (`new-line`, the default,
// `in-place` or `typed`: tests/edits.mjs). Rust function names need the module's name
// section, which wasm-opt drops: after `cargo xtask dist`, run wasm-bindgen again without
// wasm-opt,
//   wasm-bindgen --target web --no-typescript --out-dir frontend/dist \
//     target/wasm32-unknown-unknown/wasm-release/rampart_web.wasm
import { test, expect } from "./fixtures.mjs";
import { thousandLines, edit } from "./edits.mjs";

test.skip(!process.env.RAMPART_PROFILE, "profiles run with RAMPART_PROFILE=1 (npm run profile)");

const kind = process.env.RAMPART_PROFILE_EDIT || "new-line";

test(`CPU profile of ${kind} edits to a 1,000-line manifest`, async ({ playground, page }) => {
  await playground.open();
  await playground.enter(await thousandLines());
  const cdp = await page.context().newCDPSession(page);
  await cdp.send("Profiler.enable");
  await cdp.send("Profiler.setSamplingInterval", { interval: 50 });
  // A few edits first, so the profile shows the steady state.
  for (let round = 0; round < 6; round++) await page.evaluate(edit, [round, kind]);
  await cdp.send("Profiler.start");
  const rounds = 40;
  for (let round = 0; round < rounds; round++) await page.evaluate(edit, [round, kind]);
  const { profile } = await cdp.send("Profiler.stop");

  // Self time per node from the samples, then totals up the tree.
  const nodes = new Map(profile.nodes.map((node) => [node.id, { ...node, self: 0 }]));
  for (let index = 0; index < profile.samples.length; index++) {
    nodes.get(profile.samples[index]).self += (profile.timeDeltas[index + 1] ?? 0) / 1000;
  }
  const parent = new Map();
  for (const node of nodes.values()) for (const child of node.children ?? []) parent.set(child, node.id);
  const name = (node) => `${node.callFrame.functionName || "(anonymous)"} ${node.callFrame.url.split("/").pop()}`;
  const self = new Map();
  const total = new Map();
  for (const node of nodes.values()) {
    self.set(name(node), (self.get(name(node)) ?? 0) + node.self);
    // Each function counted once per stack, however deep it recurses.
    const seen = new Set();
    for (let id = node.id; id !== undefined; id = parent.get(id)) {
      const key = name(nodes.get(id));
      if (seen.has(key)) continue;
      seen.add(key);
      total.set(key, (total.get(key) ?? 0) + node.self);
    }
  }
  const top = (map, count) =>
    [...map.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, count)
      .map(([key, ms]) => `${(ms / rounds).toFixed(3).padStart(8)} ms/edit  ${key.slice(0, 160)}`)
      .join("\n");
  console.log(`self time per edit (${rounds} ${kind} edits):\n${top(self, 45)}`);
  console.log(`total time per edit:\n${top(total, 70)}`);
  expect(profile.samples.length).toBeGreaterThan(0);
});

test(`timeline of ${kind} edits to a 1,000-line manifest`, async ({ playground, page, browser }) => {
  await playground.open();
  await playground.enter(await thousandLines());
  for (let round = 0; round < 6; round++) await page.evaluate(edit, [round, kind]);
  await browser.startTracing(page, { categories: ["devtools.timeline", "blink.user_timing"] });
  const rounds = 40;
  const samples = [];
  for (let round = 0; round < rounds; round++) samples.push(await page.evaluate(edit, [round, kind]));
  const trace = JSON.parse((await browser.stopTracing()).toString());
  // Main-thread events of the page's renderer, by name: how many per edit, and their time.
  const events = trace.traceEvents.filter((event) => event.ph === "X" && event.dur !== undefined);
  const main = events.find((event) => event.name === "EventDispatch");
  const byName = new Map();
  for (const event of events.filter((event) => event.pid === main?.pid && event.tid === main?.tid)) {
    const entry = byName.get(event.name) ?? { count: 0, ms: 0 };
    entry.count += 1;
    entry.ms += event.dur / 1000;
    byName.set(event.name, entry);
  }
  const lines = [...byName.entries()]
    .sort((a, b) => b[1].ms - a[1].ms)
    .slice(0, 30)
    .map(([name, { count, ms }]) => `${(ms / rounds).toFixed(3).padStart(8)} ms/edit ${(count / rounds).toFixed(1).padStart(6)} ×/edit  ${name}`);
  console.log(`main-thread events (${rounds} ${kind} edits):\n${lines.join("\n")}`);
  // The order of the tasks of a few edits: what runs between the input event and the check.
  const shown = ["EventDispatch", "TimerFire", "FunctionCall", "UpdateLayoutTree", "Layout", "PrePaint", "Paint", "FireAnimationFrame"];
  const tasks = events
    .filter((event) => event.pid === main?.pid && event.tid === main?.tid && event.dur > 300 && shown.includes(event.name))
    .sort((a, b) => a.ts - b.ts);
  const first = tasks[0]?.ts ?? 0;
  console.log(
    tasks
      .slice(0, 120)
      .map((event) => `${((event.ts - first) / 1000).toFixed(2).padStart(9)} +${(event.dur / 1000).toFixed(2).padStart(6)}  ${event.name} ${event.args?.data?.type ?? ""}`)
      .join("\n"),
  );
  console.log("edit → DOM (ms):", samples.map((sample) => sample.dom.toFixed(1)).join(" "));
  expect(samples.length).toBe(rounds);
});
