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
    const started = Date.now();
    await page.getByRole("button", { name: "Load more" }).click();
    await expect(rows).toHaveCount(Math.min(shown + 100, total), { timeout: 60_000 });
    clicks.push(Date.now() - started);
  }
  const longTasks = await page.evaluate(() => window.__longTasks);
  const sorted = [...clicks].sort((a, b) => a - b);
  console.log(
    "load-more",
    JSON.stringify({
      total,
      rows: await rows.count(),
      clicks: clicks.length,
      medianMs: sorted[Math.floor(sorted.length / 2)],
      maxMs: sorted[sorted.length - 1],
      firstMs: clicks[0],
      lastMs: clicks[clicks.length - 1],
      longTasks: longTasks.length,
      longestTaskMs: Math.max(0, ...longTasks),
    }),
  );
  expect(clicks.length).toBeGreaterThan(0);
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
