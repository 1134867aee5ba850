// The playground as a person uses it: paste, read findings on their lines, share, drop
// files; and its privacy promise: checking sends nothing anywhere.
import { test, expect, example, expectOnlyOwnRequests, Playground } from "./fixtures.mjs";

test("the guide's insecure Deployment shows its findings on their lines, scoring below the hardened one", async ({
  playground,
}) => {
  await playground.open();
  await playground.enter(await example("insecure-deployment.yaml"));

  // The lines README.md shows for `rampart check examples/insecure-deployment.yaml`.
  await expect(playground.finding("pss-privileged")).toHaveAttribute("data-line", "21");
  await expect(playground.finding("pss-privileged")).toHaveAttribute("data-severity", "critical");
  await expect(playground.finding("container-runtime-socket")).toHaveAttribute("data-line", "49");
  await expect(playground.finding("pss-host-namespaces").first()).toHaveAttribute("data-line", "12");
  await expect(playground.grade).toHaveText("F");
  const insecure = await playground.scoreValue();
  expect(insecure).toBeLessThan(50);

  // The finding's line is marked in the gutter, with its message on hover.
  // Line 21 starts at (21 - 1) × 20 px + 8 px of padding.
  const mark = playground.page.locator('.mark.level-critical[style*="top: 408px"]');
  await expect(mark).toHaveCount(1);
  await expect(mark).toHaveAttribute("title", /runs privileged/);

  // Clicking a finding moves the editor to its line.
  await playground.finding("pss-privileged").locator("button.finding-main").click();
  await expect(playground.input).toBeFocused();
  const selected = await playground.input.evaluate((area) => area.value.slice(area.selectionStart, area.selectionEnd));
  expect(selected).toContain("privileged: true");
  await expect(playground.page.locator("#caret-line")).toContainText("Line 21");

  // Rule docs are one click away.
  await playground.finding("pss-privileged").getByRole("button", { name: "Documentation of rule pss-privileged" }).click();
  const docs = playground.page.getByRole("dialog", { name: "Privileged container" });
  await expect(docs).toBeVisible();
  await expect(docs).toContainText("Why it matters");
  await expect(docs.locator("pre.code-block")).toHaveCount(2);
  await playground.page.keyboard.press("Escape");
  await expect(docs).toBeHidden();

  await playground.enter(await example("hardened-deployment.yaml"));
  await expect(playground.finding("pss-privileged")).toHaveCount(0);
  expect(await playground.scoreValue()).toBeGreaterThan(insecure);
});

test("the fixed manifest passes when re-checked", async ({ playground, page }) => {
  await playground.open();
  const insecure = await example("insecure-deployment.yaml");
  await playground.enter(insecure);
  const before = await playground.scoreValue();
  await expect(page.locator('[data-testid="finding"][data-fix="safe"]').first()).toBeVisible();

  await page.getByRole("button", { name: /^Fixed manifest/ }).click();
  const dialog = page.getByRole("dialog", { name: "Fixed manifest" });
  await expect(dialog.locator(".diff .added").first()).toBeVisible();
  const fixed = await dialog.getByTestId("fixed-manifest").textContent();
  expect(fixed).not.toBe(insecure);
  await dialog.getByRole("button", { name: "Check the fixed manifest" }).click();
  await expect(dialog).toBeHidden();

  await expect(playground.input).toHaveValue(fixed);
  await expect(playground.parseErrors).toHaveCount(0);
  await expect(page.locator('[data-testid="finding"][data-fix="safe"]')).toHaveCount(0);
  expect(await playground.scoreValue()).toBeGreaterThanOrEqual(before);
});

test("results export as JSON and SARIF, the CLI's formats, from memory", async ({ playground, page }) => {
  await playground.open();
  await playground.enter(await example("insecure-deployment.yaml"));
  const saved = async (name) => {
    const [download] = await Promise.all([page.waitForEvent("download"), page.getByRole("button", { name }).click()]);
    const stream = await download.createReadStream();
    const chunks = [];
    for await (const chunk of stream) chunks.push(chunk);
    return { file: download.suggestedFilename(), url: download.url(), body: JSON.parse(Buffer.concat(chunks).toString("utf8")) };
  };
  const json = await saved("Export JSON");
  expect(json.file).toBe("rampart-report.json");
  expect(json.url).toMatch(/^blob:/);
  expect(json.body.version).toBe(1);
  expect(json.body.findings.find((finding) => finding.rule === "pss-privileged").line).toBe(21);
  expect(json.body.score).toBe(await playground.scoreValue());

  const sarif = await saved("Export SARIF");
  expect(sarif.file).toBe("rampart.sarif");
  expect(sarif.body.version).toBe("2.1.0");
  const result = sarif.body.runs[0].results.find((result) => result.ruleId === "pss-privileged");
  expect(result.locations[0].physicalLocation.region.startLine).toBe(21);
});

test("filters narrow the findings by severity and family", async ({ playground, page }) => {
  await playground.open();
  await playground.enter(await example("insecure-deployment.yaml"));
  const all = await playground.findings.count();
  const critical = page.getByRole("group", { name: "Severities shown" }).getByRole("button", { name: /^critical/ });
  await critical.click();
  await expect(critical).toHaveAttribute("aria-pressed", "false");
  await expect(page.locator('[data-testid="finding"][data-severity="critical"]')).toHaveCount(0);
  await critical.click();
  await expect(playground.findings).toHaveCount(all);
  await page.getByLabel("Family").selectOption("images");
  await expect(playground.findings.first()).toHaveAttribute("data-rule", /^image-/);
  for (const rule of await playground.findings.evaluateAll((rows) => rows.map((row) => row.dataset.rule))) {
    expect(rule).toMatch(/^image-/);
  }
});

test("an invalid document shows a parse error with its line while the others are still checked", async ({
  playground,
}) => {
  await playground.open();
  const valid = await example("insecure-deployment.yaml");
  const validLines = valid.trimEnd().split("\n").length;
  const broken = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: broken\ndata: [unclosed\n";
  await playground.enter(`${valid.trimEnd()}\n---\n${broken}`);

  await expect(playground.parseErrors).toHaveCount(1);
  const line = Number(await playground.parseErrors.getAttribute("data-line"));
  expect(line).toBeGreaterThan(validLines + 1);
  await expect(playground.parseErrors).toContainText(`Line ${line}`);
  // The Deployment before it still has its findings.
  await expect(playground.finding("pss-privileged")).toHaveAttribute("data-line", "21");
});

test("a new line moves the findings, marks and links below it, and only those", async ({ playground, page }) => {
  await playground.open();
  const first = (await example("insecure-deployment.yaml")).trimEnd();
  const second = first.replace("name: insecure-app", "name: insecure-copy");
  await playground.enter(`${first}\n---\n${second}\n`);
  const offset = first.split("\n").length + 1; // the second document's line 1 is this + 1
  const rows = () => playground.findings.evaluateAll((rows) => rows.map((row) => `${row.dataset.rule}@${row.dataset.line}`));
  const marks = page.locator('.mark[title*="runs privileged"]');
  const markTops = () => marks.evaluateAll((marks) => marks.map((mark) => mark.style.top));
  const top = (line) => `${(line - 1) * 20 + 8}px`;
  const privileged = playground.finding("pss-privileged");
  await expect(privileged).toHaveCount(2);
  await expect.poll(markTops).toEqual([top(21), top(offset + 21)]);
  const before = await rows();
  const copy = page.getByRole("button", { name: "Deployment insecure-copy" });
  await copy.click();
  const copyLine = Number((await page.locator("#caret-line").textContent()).match(/^Line (\d+)/)[1]);
  expect(copyLine).toBeGreaterThan(offset);

  // Enter typed at the end of line 15 (`runAsUser: 0`), by keyboard.
  await playground.input.focus();
  await playground.input.evaluate((area) => {
    const end = area.value.split("\n").slice(0, 15).join("\n").length;
    area.setSelectionRange(end, end);
  });
  await page.keyboard.press("Enter");
  await expect(privileged.first()).toHaveAttribute("data-line", "22");
  await expect(privileged.last()).toHaveAttribute("data-line", String(offset + 22));
  await expect(privileged.first().locator(".line-ref")).toHaveText("line 22");
  await expect.poll(markTops).toEqual([top(22), top(offset + 22)]);
  // Findings above the new line stay; those below move by one, in both objects.
  const moved = before.map((row) => {
    const [rule, line] = row.split("@");
    return `${rule}@${Number(line) > 15 ? Number(line) + 1 : line}`;
  });
  expect(await rows()).toEqual(moved);
  expect(moved).toContain("pss-host-namespaces@12");
  // The second object's link goes to its moved line.
  await copy.click();
  await expect(page.locator("#caret-line")).toContainText(`Line ${copyLine + 1}:`);

  // Taken back, everything returns.
  await playground.input.evaluate((area) => {
    const end = area.value.split("\n").slice(0, 16).join("\n").length;
    area.setSelectionRange(end, end);
  });
  await page.keyboard.press("Backspace");
  await expect.poll(rows).toEqual(before);
  await expect.poll(markTops).toEqual([top(21), top(offset + 21)]);
});

test("an edit's results are in the DOM before the page does anything else", async ({ playground, page }) => {
  await playground.open();
  await playground.enter(await example("insecure-deployment.yaml"));
  const before = await playground.generation();
  const seen = await page.evaluate(() => {
    const area = document.querySelector('[data-testid="manifest-input"]');
    // A task queued before the edit runs after the edit's own work is done, and before
    // anything the edit queued (a timer, a paint): what it sees is what the next frame
    // shows.
    const next = new Promise((resolve) =>
      setTimeout(() => {
        const results = document.querySelector(".results");
        const row = document.querySelector('[data-testid="finding"][data-rule="pss-privileged"]');
        resolve({ generation: Number(results.dataset.generation), line: row.dataset.line });
      }, 0),
    );
    area.value = `# a new first line\n${area.value}`;
    area.dispatchEvent(new Event("input", { bubbles: true }));
    return next;
  });
  expect(seen).toEqual({ generation: before + 1, line: "22" });
});

test("a share link carries the manifests and restores them", async ({ playground, page, context }) => {
  await playground.open();
  const text = (await example("guide/layer2-rbac-least-privilege.yaml")) + "\n# ünïcode survives ✓\n";
  await playground.enter(text);
  await page.getByRole("button", { name: "Share link" }).click();
  const link = await page.getByTestId("share-link").inputValue();
  expect(new URL(link).hash).toMatch(/^#m=[A-Za-z0-9_-]+$/);
  const findings = await playground.findings.evaluateAll((rows) => rows.map((row) => `${row.dataset.rule}@${row.dataset.line}`));

  const other = new Playground(await context.newPage(), playground.baseUrl);
  await other.open(link);
  await expect(other.input).toHaveValue(text);
  await expect
    .poll(() => other.findings.evaluateAll((rows) => rows.map((row) => `${row.dataset.rule}@${row.dataset.line}`)))
    .toEqual(findings);
});

test("a dropped file is checked", async ({ playground, page }) => {
  await playground.open();
  await playground.enter("");
  const text = await example("insecure-deployment.yaml");
  const before = await playground.generation();
  const transfer = await page.evaluateHandle((content) => {
    const data = new DataTransfer();
    data.items.add(new File([content], "dropped.yaml", { type: "text/yaml" }));
    return data;
  }, text);
  await page.locator(".editor").dispatchEvent("dragover", { dataTransfer: transfer });
  await page.locator(".editor").dispatchEvent("drop", { dataTransfer: transfer });
  await expect.poll(() => playground.generation()).toBeGreaterThan(before);
  await expect(playground.input).toHaveValue(text);
  await expect(playground.finding("pss-privileged")).toHaveAttribute("data-line", "21");
  await expect(page.getByRole("status").filter({ hasText: "Opened dropped.yaml" })).toBeVisible();
});

test("several picked files are checked together", async ({ playground, page }) => {
  await playground.open();
  const files = [
    { name: "a.yaml", mimeType: "text/yaml", buffer: Buffer.from(await example("insecure-deployment.yaml")) },
    { name: "b.yaml", mimeType: "text/yaml", buffer: Buffer.from(await example("hardened-deployment.yaml")) },
  ];
  const before = await playground.generation();
  await page.getByTestId("file-input").setInputFiles(files);
  await expect.poll(() => playground.generation()).toBeGreaterThan(before);
  await expect(playground.input).toHaveValue(/# file: a\.yaml[\s\S]*# file: b\.yaml/);
  // The insecure Deployment of the first file and the hardened one of the second.
  await expect(page.locator(".object", { hasText: "insecure-app" })).toHaveCount(1);
  await expect(page.locator(".object", { hasText: "Deployment storefront" })).toHaveCount(1);
  await expect(playground.finding("pss-privileged")).toHaveCount(1);
});

test("settings change the check and are kept in local storage", async ({ playground, page }) => {
  await playground.open();
  await playground.enter(await example("insecure-deployment.yaml"));
  await expect(playground.finding("pss-privileged")).toHaveCount(1);
  await page.getByRole("button", { name: "Settings" }).click();
  const dialog = page.getByRole("dialog", { name: "Settings" });
  await dialog.getByRole("checkbox", { name: /pss-privileged/ }).uncheck();
  await expect(playground.finding("pss-privileged")).toHaveCount(0);
  await dialog.getByLabel("Allowed image registries").fill("registry.example.com");
  await dialog.getByLabel("Allowed image registries").press("Enter");
  await expect(playground.finding("image-registry-not-allowed")).toHaveCount(1);
  await page.keyboard.press("Escape");

  await page.reload();
  await expect(playground.score).toBeVisible();
  await expect(playground.finding("pss-privileged")).toHaveCount(0);
  await expect(playground.finding("image-registry-not-allowed")).toHaveCount(1);
});

test("checking manifests sends nothing: the only requests are the page's own static files", async ({
  page,
  server,
  playground,
}) => {
  const requests = [];
  page.on("request", (request) => requests.push(request));
  await playground.open();
  const canary = "privacy-canary-7f3a9c";
  const text = (await example("insecure-deployment.yaml")).replace("insecure-app", canary);
  await playground.enter(text);
  await expect(playground.finding("pss-privileged")).toHaveCount(1);
  await playground.input.press("End");
  await playground.input.pressSequentially("\n# typed by hand " + canary);
  await page.getByRole("button", { name: "Share link" }).click();
  await page.waitForTimeout(500);

  expectOnlyOwnRequests(requests, server, canary);
});

test("the page is usable by keyboard", async ({ playground, page }) => {
  await playground.open();
  await playground.enter(await example("insecure-deployment.yaml"));
  const row = playground.finding("pss-privileged").locator("button.finding-main");
  await row.focus();
  await page.keyboard.press("Enter");
  await expect(playground.input).toBeFocused();
  await expect(page.locator("#caret-line")).toContainText("Line 21");
  // Tab leaves the editor (it does not trap focus).
  await page.keyboard.press("Tab");
  await expect(playground.input).not.toBeFocused();
});

for (const colorScheme of ["light", "dark"]) {
  test(`screenshots in ${colorScheme} mode`, async ({ browser, server }, testInfo) => {
    for (const [device, viewport] of [
      ["laptop", { width: 1440, height: 900 }],
      ["phone", { width: 390, height: 844 }],
    ]) {
      const context = await browser.newContext({ colorScheme, viewport, deviceScaleFactor: 1 });
      const page = await context.newPage();
      const playground = new Playground(page, server.url);
      await playground.open();
      await expect(playground.finding("pss-privileged")).toHaveCount(1);
      const file = testInfo.outputPath(`playground-${colorScheme}-${device}.png`);
      await page.screenshot({ path: file });
      await testInfo.attach(`${colorScheme} ${device}`, { path: file, contentType: "image/png" });
      if (device === "laptop") {
        // The two dialogs: a rule's documentation, and the fixed manifest.
        await playground.finding("pss-privileged").getByRole("button", { name: /^Documentation/ }).click();
        await page.screenshot({ path: testInfo.outputPath(`rule-docs-${colorScheme}.png`) });
        await page.keyboard.press("Escape");
        await page.getByRole("button", { name: /^Fixed manifest/ }).click();
        await expect(page.getByTestId("fixed-manifest")).toBeAttached();
        await page.screenshot({ path: testInfo.outputPath(`fixed-manifest-${colorScheme}.png`) });
        await page.keyboard.press("Escape");
      }
      await context.close();
    }
  });
}
