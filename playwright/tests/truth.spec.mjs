// The dashboard tells the truth at a glance, against the real server
// (tests/server-fixtures.mjs): a large cluster opens on its worst findings with how many
// match, and "Load more" adds rows without rebuilding those shown; an upload with nothing
// to check is no score; a churning period's report and digest count as their definitions
// say (README, "Reports").
import { test, expect, snapshotCluster, Dashboard } from "./server-fixtures.mjs";

/** An export of `count` Deployments in `apps`; those `privileged(index)` holds for run a
 * privileged container (a critical finding each). */
function deployments(count, privileged = () => false) {
  const items = [];
  for (let index = 0; index < count; index++) {
    const security = privileged(index) ? "\n          securityContext:\n            privileged: true" : "";
    items.push(
      `- apiVersion: apps/v1\n  kind: Deployment\n  metadata:\n    name: app-${index}\n    namespace: apps\n` +
        `  spec:\n    template:\n      spec:\n        containers:\n        - name: app\n` +
        `          image: registry.example/app:${index}${security}\n`,
    );
  }
  return Buffer.from(`apiVersion: v1\nkind: List\nitems:\n${items.join("")}`);
}

const unique = (prefix) => `${prefix}-${Date.now().toString(36)}`;

// 25 privileged Deployments among 450, the privileged ones last (their findings have the
// highest ids): by id, no critical finding would be in the first pages.
const LARGE = () => deployments(450, (index) => index >= 425);

test("a large cluster opens on its critical findings, says how many match, and Load more keeps the rows shown", async ({
  page,
  rampart,
  dashboard,
}) => {
  test.setTimeout(180_000);
  const id = await snapshotCluster(rampart, unique("large"), LARGE());
  const first = await rampart.api(`/clusters/${id}/findings?status=open`);
  const critical = await rampart.api(`/clusters/${id}/findings?status=open&severity=critical&limit=1`);
  expect(first.total).toBeGreaterThan(3000);
  expect(critical.total).toBeGreaterThanOrEqual(25);
  expect(critical.total).toBeLessThan(first.items.length);

  await dashboard.login();
  await page.goto(`${rampart.url}/clusters/${id}`);
  const rows = page.getByTestId("cluster-finding");
  await expect(rows).toHaveCount(100);
  const severities = await rows.evaluateAll((elements) => elements.map((element) => element.dataset.severity));
  expect(severities.slice(0, critical.total)).toEqual(Array(critical.total).fill("critical"));
  expect(severities[critical.total]).not.toBe("critical");
  const total = first.total.toLocaleString("en-US");
  await expect(page.getByTestId("findings-count")).toHaveText(`100 of ${total} findings shown`);

  // Rows already shown are kept, not rebuilt: the very same elements stay.
  await rows.first().evaluate((element) => (element.dataset.kept = "first"));
  await rows.nth(99).evaluate((element) => (element.dataset.kept = "last"));
  for (let click = 1; click <= 3; click++) {
    await page.getByRole("button", { name: "Load more" }).click();
    await expect(rows).toHaveCount(100 * (click + 1));
  }
  await expect(rows.first()).toHaveAttribute("data-kept", "first");
  await expect(rows.nth(99)).toHaveAttribute("data-kept", "last");
  await expect(page.getByTestId("findings-count")).toHaveText(`400 of ${total} findings shown`);
  // Page after page in the server's order: the ids the API's cursor walks, no repeats.
  let expected = [...first.items];
  let cursor = first.next_cursor;
  for (let more = 0; more < 3; more++) {
    const next = await rampart.api(`/clusters/${id}/findings?status=open&cursor=${cursor}`);
    expected = expected.concat(next.items);
    cursor = next.next_cursor;
  }
  const shownRules = await rows.evaluateAll((elements) => elements.map((element) => element.dataset.rule));
  expect(shownRules).toEqual(expected.map((finding) => finding.rule));
});

/** In the page: presses "Load more" and waits for `target` rows. Answers the milliseconds
 * from the press to the rows being in the DOM (a MutationObserver on the table), to the
 * next frame being rendered (a task posted from its animation frame callback), and the
 * page's request as the browser timed it (Resource Timing). */
async function loadMore(page, target) {
  return page.evaluate(async (target) => {
    const rows = () => document.querySelectorAll('[data-testid="cluster-finding"]').length;
    const button = [...document.querySelectorAll("button")].find((element) => element.textContent === "Load more");
    performance.clearResourceTimings();
    const started = performance.now();
    button.click();
    const dom = await new Promise((resolve) => {
      const observer = new MutationObserver(() => {
        if (rows() >= target) {
          observer.disconnect();
          resolve(performance.now());
        }
      });
      observer.observe(document.querySelector("table.findings-table"), { childList: true, subtree: true });
    });
    const frame = await new Promise((resolve) =>
      requestAnimationFrame(() => {
        const channel = new MessageChannel();
        channel.port1.onmessage = () => resolve(performance.now());
        channel.port2.postMessage(null);
      }),
    );
    const request = performance.getEntriesByType("resource").find((entry) => entry.name.includes("/findings?"));
    return { dom: dom - started, frame: frame - started, request: request ? request.duration : null };
  }, target);
}

test("loading 5,000 findings a page at a time (timings; RAMPART_BENCH=1)", async ({ page, rampart, dashboard }) => {
  test.skip(!process.env.RAMPART_BENCH, "timings are benchmarks: run with RAMPART_BENCH=1");
  test.setTimeout(600_000);
  const id = await snapshotCluster(rampart, unique("bench"), LARGE());
  const { total } = await rampart.api(`/clusters/${id}/findings?status=open&limit=1`);
  await page.addInitScript(() => {
    window.__longTasks = [];
    new PerformanceObserver((list) => {
      for (const entry of list.getEntries()) window.__longTasks.push(entry.duration);
    }).observe({ type: "longtask", buffered: true });
  });
  await dashboard.login();
  await page.goto(`${rampart.url}/clusters/${id}`);
  const rows = page.getByTestId("cluster-finding");
  await expect(rows).toHaveCount(100);
  await page.evaluate(() => (window.__longTasks = []));
  const clicks = [];
  const wanted = Math.min(5000, total);
  for (let shown = 100; shown < wanted; shown += 100) {
    clicks.push(await loadMore(page, Math.min(shown + 100, total)));
    // As a person reads: the button comes back before the next press.
    await expect(page.getByTestId("load-more")).toBeEnabled();
  }
  await expect(rows).toHaveCount(wanted);
  const longTasks = await page.evaluate(() => window.__longTasks);
  const round = (value) => Math.round(value);
  const stats = (values) => {
    const sorted = [...values].sort((a, b) => a - b);
    return {
      first: round(values[0]),
      median: round(sorted[Math.floor(sorted.length / 2)]),
      p90: round(sorted[Math.floor(sorted.length * 0.9)]),
      max: round(sorted[sorted.length - 1]),
      last: round(values[values.length - 1]),
    };
  };
  console.log(
    "load-more",
    JSON.stringify({
      total,
      rows: await rows.count(),
      clicks: clicks.length,
      toRowsMs: stats(clicks.map((click) => click.dom)),
      toFrameMs: stats(clicks.map((click) => click.frame)),
      requestMs: stats(clicks.map((click) => click.request ?? 0)),
      longTasks: longTasks.length,
      longestTaskMs: round(Math.max(0, ...longTasks)),
    }),
  );
  // No press freezes the page: no long task over 200 ms while 5,000 rows load.
  expect(Math.max(0, ...longTasks)).toBeLessThanOrEqual(200);
});

test("an upload with nothing to check leaves the previous score on /clusters and shows the error", async ({
  page,
  rampart,
  dashboard,
}) => {
  const name = unique("readme");
  const id = await snapshotCluster(rampart, name, deployments(3, (index) => index === 0));
  const [scored] = await rampart.api(`/clusters/${id}/scans`);
  expect(scored.status).toBe("succeeded");

  await dashboard.login();
  await page.goto(`${rampart.url}/clusters/${id}`);
  await dashboard.upload(Buffer.from("# Rampart\n\nUpload `kubectl get all -A -o yaml` here.\n  - notes: [unclosed\n"));
  const [failed] = await rampart.api(`/clusters/${id}/scans`);
  expect(failed.status).toBe("failed");
  expect(failed.score).toBeNull();
  expect(failed.errors.length).toBeGreaterThan(0);

  // The cluster's page: the problem up front, with the parse error; the headline keeps
  // the score of the scan with results.
  const problem = page.getByTestId("scan-problem");
  await expect(problem).toContainText("Nothing to check");
  await expect(problem.getByTestId("scan-errors")).toContainText(failed.errors[0].message);
  await expect(page.getByTestId("cluster-score")).toHaveText(String(scored.score));

  // /clusters: the same score, and the error on the row.
  await page.goto(`${rampart.url}/clusters`);
  const row = dashboard.row(name);
  await expect(row.getByTestId("cluster-score")).toContainText(String(scored.score));
  await expect(row.getByTestId("cluster-status")).toHaveText("failed");
  await expect(row.getByTestId("cluster-scan-problem")).toContainText("Nothing to check");
  await expect(row.getByTestId("cluster-scan-problem")).toContainText(failed.errors[0].message);
  await page.screenshot({ path: test.info().outputPath("nothing-to-check.png"), fullPage: true });
});

test("a churning period: the report's New and the digest count what is still open, churn apart", async ({
  page,
  rampart,
  dashboard,
}) => {
  const name = unique("churn");
  // Two privileged Deployments appear and go again within the period; one stays.
  const id = await snapshotCluster(rampart, name, deployments(3, (index) => index === 0));
  const upload = async (body) => {
    const scan = await rampart.api(`/clusters/${id}/snapshots`, { method: "POST", body });
    await expect.poll(async () => (await rampart.api(`/scans/${scan.id}`)).status, { timeout: 30_000 }).not.toMatch(/queued|running/);
    return rampart.api(`/scans/${scan.id}`);
  };
  const churning = await upload(deployments(5, (index) => index === 0 || index >= 3));
  expect(churning.new).toBeGreaterThan(0);
  const back = await upload(deployments(3, (index) => index === 0));
  expect(back.resolved).toBe(churning.new);

  const today = new Date().toISOString().slice(0, 10);
  const report = await rampart.api(`/reports?from=${today}&to=${today}&clusters=${id}`);
  const [cluster] = report.clusters;
  const stillOpen = await rampart.api(`/clusters/${id}/findings?status=open&limit=1`);
  // Everything still open was first seen today; what came and went is counted apart.
  expect(cluster.new).toBe(stillOpen.total);
  expect(cluster.opened_and_resolved).toBe(churning.new);
  expect(cluster.resolved).toBe(churning.new);

  await dashboard.login();
  await page.goto(`${rampart.url}/reports?from=${today}&to=${today}&clusters=${id}`);
  await expect(page.getByTestId("report-new")).toHaveText(String(cluster.new));
  await expect(page.getByTestId("report-churned")).toHaveText(String(cluster.opened_and_resolved));
  await expect(page.getByTestId("report-resolved")).toHaveText(String(cluster.resolved));
  await expect(page.getByTestId("report-definitions")).toContainText("still open at its end");

  // The digest of the same day: the privileged Deployments that came and went are not
  // new critical findings.
  const subscription = await rampart.api("/subscriptions", {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ clusters: [id], frequency: "daily", hour: 6 }),
  });
  const queued = await rampart.api(`/subscriptions/${subscription.id}/send`, { method: "POST" });
  const email = await rampart.api(`/outbox/${queued.id}`);
  const criticalOpen = await rampart.api(`/clusters/${id}/findings?status=open&severity=critical&limit=1`);
  expect(email.text).toContain(`${criticalOpen.total} new critical`);
  expect(email.text).toContain(`${churning.new} opened and resolved within the period`);
  expect(email.text).toContain(`Resolved: ${churning.new}.`);
});

test("on a phone, chart labels are drawn at 11 px or more, and the playground links to the login", async ({
  browser,
  rampart,
}) => {
  const id = await snapshotCluster(rampart, unique("phone"), deployments(3, (index) => index === 0));
  const context = await browser.newContext({ viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true });
  const page = await context.newPage();
  // Logged out, the playground offers the dashboard's login.
  await page.goto(rampart.url);
  await page.getByTestId("dashboard-login").click();
  await expect(page).toHaveURL(/\/login$/);
  await new Dashboard(page, rampart).login();
  await page.goto(`${rampart.url}/clusters/${id}`);
  const chart = page.getByTestId("trend-chart");
  await expect(chart.locator("circle.point")).toHaveCount(1);
  const sizes = await chart.locator("svg").first().evaluate((svg) => {
    const scale = svg.getBoundingClientRect().width / svg.viewBox.baseVal.width;
    return [...svg.querySelectorAll("text")].map((text) => parseFloat(getComputedStyle(text).fontSize) * scale);
  });
  expect(sizes.length).toBeGreaterThan(0);
  expect(Math.min(...sizes)).toBeGreaterThanOrEqual(11);
  await page.screenshot({ path: test.info().outputPath("phone-chart.png"), fullPage: true });
  await context.close();
});

/** Uploads `body` to a snapshot cluster through the API; answers the finished scan. */
async function upload(rampart, id, body) {
  const scan = await rampart.api(`/clusters/${id}/snapshots`, { method: "POST", body });
  await expect
    .poll(async () => (await rampart.api(`/scans/${scan.id}`)).status, { timeout: 30_000 })
    .not.toMatch(/queued|running/);
  return rampart.api(`/scans/${scan.id}`);
}

/** Whether two rectangles ({x, y, width, height}) share any area. */
const overlap = (a, b) => a.x < b.x + b.width && b.x < a.x + a.width && a.y < b.y + b.height && b.y < a.y + a.height;

test("the trend draws a day's scans as one point, its last, and the latest score clear of the grade labels", async ({
  page,
  rampart,
  dashboard,
}) => {
  // Three scans in a row: clean, a privileged container (the day's lowest), clean again.
  const id = await snapshotCluster(rampart, unique("trend"), deployments(4));
  const dip = await upload(rampart, id, deployments(4, (index) => index === 0));
  const last = await upload(rampart, id, deployments(4));
  const trend = await rampart.api(`/clusters/${id}/trend`);
  expect(trend).toHaveLength(3);
  expect(dip.score).toBeLessThan(last.score);
  const day = (point) => new Date(point.at).toISOString().slice(0, 10);
  const days = [...new Set(trend.map(day))];
  const lastOfDay = trend.filter((point) => day(point) === day(trend[2]));

  await dashboard.login();
  for (const viewport of [{ width: 1440, height: 900 }, { width: 390, height: 844 }]) {
    await page.setViewportSize(viewport);
    await page.goto(`${rampart.url}/clusters/${id}`);
    const chart = page.getByTestId("trend-chart");
    // One point a day (the run may straddle midnight, UTC), the day drawn by its last scan.
    await expect(chart.locator("circle.point")).toHaveCount(days.length);
    const point = chart.locator(`circle.point[data-scan="${last.id}"]`);
    await expect(point).toHaveAttribute("data-scans", String(lastOfDay.length));
    if (lastOfDay.length > 1) {
      const lowest = Math.min(...lastOfDay.map((scan) => scan.score));
      await expect(point).toHaveAttribute(
        "aria-label",
        new RegExp(`score ${last.score} .*The last of ${lastOfDay.length} scans that day \\(lowest score ${lowest}\\)`),
      );
    }
    for (const scan of trend.slice(0, 2).filter((scan) => day(scan) === day(trend[2]))) {
      await expect(chart.locator(`circle.point[data-scan="${scan.id}"]`)).toHaveCount(0);
    }

    // The latest score is written by its point, and neither covers a grade's label.
    const latest = chart.getByTestId("trend-latest");
    await expect(latest).toHaveText(String(last.score));
    const box = (locator) => locator.evaluate((element) => element.getBoundingClientRect().toJSON());
    const labels = await chart.getByTestId("threshold-label").evaluateAll((elements) =>
      elements.map((element) => element.getBoundingClientRect().toJSON()),
    );
    expect(labels).toHaveLength(4);
    const [pointBox, latestBox] = [await box(point), await box(latest)];
    expect(pointBox.width).toBeGreaterThan(0);
    expect(latestBox.width).toBeGreaterThan(0);
    for (const label of labels) {
      expect(overlap(label, pointBox), `point ${JSON.stringify(pointBox)} over ${JSON.stringify(label)}`).toBe(false);
      expect(overlap(label, latestBox), `score ${JSON.stringify(latestBox)} over ${JSON.stringify(label)}`).toBe(false);
    }
    expect(overlap(pointBox, latestBox)).toBe(false);
    await page.screenshot({ path: test.info().outputPath(`trend-${viewport.width}.png`) });
  }
});

test("a logged-out visit asks who is logged in without an error in the console", async ({ page, rampart }) => {
  const errors = [];
  page.on("console", (message) => message.type() === "error" && errors.push(message.text()));
  page.on("pageerror", (error) => errors.push(String(error)));
  const failed = [];
  page.on("response", (response) => response.status() >= 400 && failed.push(`${response.status()} ${response.url()}`));
  const probes = [];
  page.on("request", (request) => request.url().includes("/api/v1/session") && probes.push(request.method()));

  // A dashboard page sends to the login, which asks the server nothing that fails.
  await page.goto(`${rampart.url}/clusters`);
  await expect(page).toHaveURL(/\/login\?next=(%2F|\/)clusters$/);
  await expect(page.getByRole("button", { name: "Log in" })).toBeVisible();
  expect(probes).toEqual(["GET"]);
  await page.goto(`${rampart.url}/login`);
  await expect(page.getByRole("button", { name: "Log in" })).toBeVisible();
  await page.goto(`${rampart.url}/`);
  await expect(page.getByTestId("dashboard-login")).toBeVisible();
  expect(failed).toEqual([]);
  expect(errors).toEqual([]);
});
