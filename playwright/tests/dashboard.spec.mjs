// The dashboard end to end, against the real server (tests/server-fixtures.mjs): a team
// lead logs in, registers a snapshot cluster with an export, sees it on /clusters, opens
// it, and follows a changed export's new and resolved findings. What the pages show is
// checked against the API (read with a token, as a script would) wherever a number comes
// from the server.
import { test, expect, exportOf, snapshotCluster, Dashboard, EMAIL, PASSWORD } from "./server-fixtures.mjs";

const FIRST_EXPORT = () => exportOf(["insecure-deployment.yaml"]);
// The same Deployment no longer privileged (resolves its pss-privileged), and a new
// namespace with objects and findings of its own (new findings).
const CHANGED_EXPORT = () =>
  exportOf(["insecure-deployment.yaml", "insecure-namespace.yaml"], (text) =>
    text.replace("privileged: true", "privileged: false"),
  );

test("pages that need a login send to /login and come back after it", async ({ page, rampart, dashboard }) => {
  await page.goto(`${rampart.url}/settings`);
  await expect(page).toHaveURL(/\/login\?next=%2Fsettings$/);
  await page.getByLabel("Email").fill(EMAIL);
  await page.getByLabel("Password").fill("not the password");
  await page.getByRole("button", { name: "Log in" }).click();
  await expect(page.getByRole("alert")).toContainText("wrong email or password");

  await page.getByLabel("Password").fill(PASSWORD);
  await page.getByRole("button", { name: "Log in" }).click();
  await expect(page).toHaveURL(/\/settings$/);
  await expect(page.getByTestId("account-email")).toHaveText(EMAIL);

  // Log out: the server forgets the session, so the pages need a login again.
  await page.getByRole("button", { name: "Log out" }).click();
  await expect(page).toHaveURL(/\/login$/);
  await page.goto(`${rampart.url}/clusters`);
  await expect(page).toHaveURL(/\/login\?next=%2Fclusters$/);
  await dashboard.login();
});

test("a snapshot cluster: register with an export, follow it on /clusters and its page", async ({
  page,
  rampart,
  dashboard,
}, testInfo) => {
  await dashboard.login();
  const name = `prod-${Date.now().toString(36)}`;

  // Register it with a first export: the page of the new cluster opens and its scan ends.
  const id = await dashboard.registerSnapshot(name, await FIRST_EXPORT());
  await dashboard.waitForScans(1);
  const [firstScan] = await rampart.api(`/clusters/${id}/scans`);
  expect(firstScan.status).toBe("succeeded");
  expect(firstScan.counts.critical).toBeGreaterThan(0);
  await expect(page.getByTestId("cluster-score")).toHaveText(String(firstScan.score));
  await expect(page.getByTestId("trend-chart")).toBeVisible();
  await expect(page.getByTestId("trend-chart").locator(`circle[data-scan="${firstScan.id}"]`)).toHaveCount(1);

  // Its open findings, as the API lists them, are in the table.
  const open = await rampart.api(`/clusters/${id}/findings?status=open&limit=1000`);
  await expect(page.getByTestId("cluster-finding")).toHaveCount(open.items.length);
  // The Deployment's privileged container (the changed export adds another privileged one,
  // in a new namespace).
  const privileged = page
    .locator('[data-testid="cluster-finding"][data-rule="pss-privileged"]')
    .filter({ has: page.getByRole("cell", { name: "Deployment insecure-app", exact: true }) });
  await expect(privileged).toHaveCount(1);
  await expect(privileged).toHaveAttribute("data-severity", "critical");

  // A finding's details: the field path and the rule's documentation.
  await privileged.getByRole("button").first().click();
  const details = page.getByTestId("finding-details");
  await expect(details).toBeVisible();
  await expect(details.getByTestId("finding-path")).toContainText("privileged");
  await expect(details.getByRole("heading", { name: "Example" })).toBeVisible();
  await page.keyboard.press("Escape");
  await expect(details).toBeHidden();

  // Filters go to the server: critical only.
  await page.getByRole("combobox", { name: "Severity", exact: true }).selectOption("critical");
  await expect(page.getByTestId("cluster-finding")).toHaveCount(firstScan.counts.critical);
  await expect(page.locator('[data-testid="cluster-finding"]:not([data-severity="critical"])')).toHaveCount(0);
  await page.getByRole("combobox", { name: "Severity", exact: true }).selectOption("");

  // The dashboard's row: score, grade, open findings; the sparkline has the scan.
  await page.getByRole("link", { name: "Clusters", exact: true }).first().click();
  const row = dashboard.row(name);
  await expect(row).toBeVisible();
  await expect(row.getByTestId("cluster-score")).toHaveText(String(firstScan.score));
  await expect(row.getByText(firstScan.grade, { exact: true })).toBeVisible();
  await expect(row.locator('[data-severity="critical"] .count-number')).toHaveText(
    String(firstScan.counts.critical),
  );
  await expect(row.getByTestId("cluster-status")).toHaveText("succeeded");
  await expect(row.locator(".sparkline .spark-dot")).toHaveCount(1);
  await expect(row.getByTestId("cluster-new")).toHaveText(`+${firstScan.new} new`);

  // Filtering by name hides it; by its grade keeps it.
  await page.getByRole("searchbox", { name: "Filter" }).fill("no-such-cluster");
  await expect(row).toHaveCount(0);
  await page.getByRole("searchbox", { name: "Filter" }).fill(name);
  await page.getByRole("combobox", { name: "Grade" }).selectOption(firstScan.grade);
  await expect(row).toBeVisible();

  const laptop = testInfo.outputPath("dashboard-clusters.png");
  await page.screenshot({ path: laptop, fullPage: true });
  await testInfo.attach("clusters", { path: laptop, contentType: "image/png" });

  // Open it and upload a changed export: new and resolved findings show.
  await row.getByRole("link", { name }).click();
  await expect(page).toHaveURL(new RegExp(`/clusters/${id}$`));
  await dashboard.waitForScans(1);
  await dashboard.upload(await CHANGED_EXPORT());
  const [secondScan] = await rampart.api(`/clusters/${id}/scans`);
  expect(secondScan.id).not.toBe(firstScan.id);
  expect(secondScan.resolved).toBeGreaterThan(0);
  expect(secondScan.new).toBeGreaterThan(0);
  await expect(page.getByTestId("cluster-new")).toHaveText(`+${secondScan.new} new`);
  await expect(page.getByTestId("cluster-resolved")).toHaveText(`${secondScan.resolved} resolved`);
  await expect(page.getByTestId("cluster-notice")).toContainText(`Scan ${secondScan.id} succeeded`);
  // Both scans fall on one day (UTC): the trend draws the day once, by its last scan.
  const trend = await rampart.api(`/clusters/${id}/trend`);
  const days = new Set(trend.map((point) => new Date(point.at).toISOString().slice(0, 10)));
  await expect(page.getByTestId("trend-chart").locator("circle.point")).toHaveCount(days.size);
  const dayPoint = page.getByTestId("trend-chart").locator(`circle[data-scan="${secondScan.id}"]`);
  await expect(dayPoint).toHaveCount(1);

  // The new namespace is scored on its own, as the server computed it.
  const namespaceNames = Object.keys(secondScan.namespaces);
  expect(namespaceNames).toContain("legacy");
  await expect(page.getByTestId("namespace-row")).toHaveCount(namespaceNames.length);
  const legacy = page.locator('[data-testid="namespace-row"][data-namespace="legacy"]');
  await expect(legacy.getByTestId("namespace-score")).toHaveText(String(secondScan.namespaces.legacy.score));
  await expect(legacy.getByText(secondScan.namespaces.legacy.grade, { exact: true })).toBeVisible();

  // The resolved finding moved out of the open list, into the resolved one.
  await expect(privileged).toHaveCount(0);
  await page.getByRole("combobox", { name: "Status", exact: true }).selectOption("resolved");
  await expect(privileged).toHaveCount(1);
  await expect(privileged).toHaveAttribute("data-status", "resolved");

  // A point of the trend opens its scan, by keyboard too.
  await dayPoint.focus();
  await page.keyboard.press("Enter");
  await expect(page.getByTestId("scan-details")).toContainText(`Scan #${secondScan.id}`);

  const clusterShot = testInfo.outputPath("dashboard-cluster.png");
  await page.screenshot({ path: clusterShot, fullPage: true });
  await testInfo.attach("cluster", { path: clusterShot, contentType: "image/png" });

  // Back on the list: the row shows the latest scan's changes.
  await page.getByRole("link", { name: "Clusters", exact: true }).first().click();
  await expect(row.getByTestId("cluster-new")).toHaveText(`+${secondScan.new} new`);
  await expect(row.getByTestId("cluster-resolved")).toHaveText(`${secondScan.resolved} resolved`);
  await expect(row.locator(".sparkline .spark-line")).toHaveAttribute("d", /^M[\d.]+,[\d.]+ L/);
});

test("settings: an API token is created, shown once, works, and is revoked", async ({
  page,
  rampart,
  dashboard,
}) => {
  await dashboard.login();
  await page.getByRole("link", { name: "Settings" }).click();
  const tokenName = `ci-${Date.now().toString(36)}`;
  await page.getByLabel("New token name").fill(tokenName);
  await page.getByRole("button", { name: "Create token" }).click();
  const token = await page.getByTestId("new-token").inputValue();
  expect(token).toMatch(/^rmp_/);
  await expect(page.locator(`[data-testid="token-row"][data-token="${tokenName}"]`)).toBeVisible();

  const me = await fetch(`${rampart.url}/api/v1/me`, { headers: { authorization: `Bearer ${token}` } });
  expect(me.status).toBe(200);

  await page.getByRole("button", { name: `Revoke the token "${tokenName}"` }).click();
  await expect(page.getByRole("status").filter({ hasText: "revoked" }).first()).toBeVisible();
  const after = await fetch(`${rampart.url}/api/v1/me`, { headers: { authorization: `Bearer ${token}` } });
  expect(after.status).toBe(401);
});

test("the register form tests a kubeconfig's connection and says what failed", async ({
  page,
  rampart,
  dashboard,
}) => {
  await dashboard.login();
  const form = page.locator("form.register");
  if (!(await form.isVisible())) await page.getByRole("button", { name: "Register a cluster" }).click();
  await form.getByRole("radio", { name: "Kubeconfig" }).check();
  await form.getByRole("textbox", { name: "Name", exact: true }).fill("unreachable");
  // A cluster on a closed local port: the test connects and fails, and lists the contexts.
  await form.getByRole("textbox", { name: "Kubeconfig", exact: true }).fill(`apiVersion: v1
kind: Config
clusters:
- name: local
  cluster: {server: "https://127.0.0.1:9"}
contexts:
- name: dev
  context: {cluster: local, user: dev}
- name: staging
  context: {cluster: local, user: dev}
current-context: dev
users:
- name: dev
  user: {token: not-a-real-token}
`);
  await form.getByRole("button", { name: "Test connection" }).click();
  await expect(form.getByRole("alert").filter({ hasText: "The connection failed" })).toBeVisible({ timeout: 30_000 });
  await expect(form.getByRole("combobox", { name: "Context" }).locator("option")).toHaveText(["(the current context)", "dev", "staging"]);
  // Registering tests first, and saves nothing while the connection fails. A refused port
  // fails at once, so the page's requests are held back a moment for its busy state to be
  // seen at all.
  await page.route("**/api/v1/**", async (route) => {
    if (route.request().method() === "POST") await new Promise((resolve) => setTimeout(resolve, 750));
    await route.continue();
  });
  await form.getByRole("button", { name: "Register", exact: true }).click();
  await expect(form.getByRole("button", { name: "Registering…" })).toBeVisible();
  await expect(form.getByRole("button", { name: "Register", exact: true })).toBeVisible({ timeout: 30_000 });
  await page.unroute("**/api/v1/**");
  await expect(form.getByRole("button", { name: "Register anyway" })).toBeVisible();
  await expect(page).toHaveURL(/\/clusters$/);
  const clusters = await rampart.api("/clusters");
  expect(clusters.map((cluster) => cluster.name)).not.toContain("unreachable");
});

test("the playground under the server shows the dashboard's links once logged in, and still sends nothing", async ({
  page,
  rampart,
  dashboard,
}) => {
  await dashboard.login();
  // The clusters page loads each row's sparkline after the list: let those requests end
  // first, so that every request recorded below is the playground's.
  await page.waitForLoadState("networkidle");
  const requests = [];
  page.on("request", (request) => requests.push(new URL(request.url())));
  await page.getByRole("link", { name: "Playground" }).click();
  await expect(page.getByTestId("score")).toBeVisible();
  await expect(page.getByRole("navigation", { name: "Rampart" }).getByRole("link", { name: "Clusters" })).toBeVisible();
  await page.getByTestId("manifest-input").fill("apiVersion: v1\nkind: Pod\nmetadata: {name: canary}\nspec: {}\n");
  await page.reload();
  await expect(page.getByTestId("score")).toBeVisible();
  const api = requests.filter((url) => url.pathname.startsWith("/api/"));
  expect(api.map((url) => url.pathname)).toEqual([]);
});

test("each side of the app downloads its own module: the playground's first load has none of the dashboard", async ({
  page,
  dashboard,
}) => {
  const modules = [];
  page.on("request", (request) => {
    const file = new URL(request.url()).pathname;
    if (file.endsWith("_bg.wasm")) modules.push(file);
  });
  await dashboard.login();
  expect(modules).toEqual(["/rampart_web_dashboard_bg.wasm"]);
  // The playground is the other module: following its link loads the page anew, with it.
  modules.length = 0;
  await page.getByRole("link", { name: "Playground" }).click();
  await expect(page.getByTestId("score")).toBeVisible();
  expect(modules).toEqual(["/rampart_web_bg.wasm"]);
  // And back: the playground's bar leads to the dashboard's module again, still logged in.
  modules.length = 0;
  await page.getByRole("navigation", { name: "Rampart" }).getByRole("link", { name: "Clusters" }).click();
  await expect(page).toHaveURL(/\/clusters$/);
  await expect(page.getByRole("heading", { name: "Clusters", level: 1 })).toBeVisible();
  expect(modules).toEqual(["/rampart_web_dashboard_bg.wasm"]);
  // Within the dashboard, pages change in place: no module is loaded again.
  await page.getByRole("navigation", { name: "Rampart" }).getByRole("link", { name: "Settings" }).click();
  await expect(page.getByTestId("account-email")).toBeVisible();
  expect(modules).toEqual(["/rampart_web_dashboard_bg.wasm"]);
  // Logging out from the playground's bar lands on the dashboard's login page.
  await page.getByRole("link", { name: "Playground" }).click();
  await expect(page.getByTestId("score")).toBeVisible();
  await page.getByRole("navigation", { name: "Rampart" }).getByRole("button", { name: "Log out" }).click();
  await expect(page).toHaveURL(/\/login$/);
  await expect(page.getByRole("button", { name: "Log in" })).toBeVisible();
});

test("the dashboard on a phone and in dark mode", async ({ browser, rampart }, testInfo) => {
  // A cluster of its own, made through the API as a script would.
  const name = `phone-${Date.now().toString(36)}`;
  await snapshotCluster(rampart, name, await FIRST_EXPORT());
  const context = await browser.newContext({ colorScheme: "dark", viewport: { width: 390, height: 844 } });
  const page = await context.newPage();
  const dashboard = new Dashboard(page, rampart);
  await dashboard.login();
  const row = dashboard.row(name);
  await expect(row.getByTestId("cluster-score")).toBeVisible();
  // Rows become cards: nothing wider than the screen.
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  expect(overflow).toBeLessThanOrEqual(0);
  const file = testInfo.outputPath("dashboard-clusters-phone-dark.png");
  await page.screenshot({ path: file, fullPage: true });
  await testInfo.attach("clusters, phone, dark", { path: file, contentType: "image/png" });
  await row.getByRole("link", { name }).click();
  await expect(page.getByTestId("trend-chart").locator("circle.point")).toHaveCount(1);
  const clusterFile = testInfo.outputPath("dashboard-cluster-phone-dark.png");
  await page.screenshot({ path: clusterFile });
  await testInfo.attach("cluster, phone, dark", { path: clusterFile, contentType: "image/png" });
  await context.close();
});

test("exempt a finding from its details: it is exempted from the next upload on, and the exemption is revoked", async ({
  page,
  rampart,
  dashboard,
}, testInfo) => {
  // Two namespaces besides the cluster-scoped objects: `legacy` with a privileged worker,
  // `calm` the same without the privileged container. (Fewer open findings than a page
  // of the table holds.)
  const legacy = await exportOf(["insecure-namespace.yaml"]);
  const calm = await exportOf(["insecure-namespace.yaml"], (text) =>
    text.replaceAll("legacy", "calm").replace("privileged: true", "privileged: false"),
  );
  const body = Buffer.concat([legacy, Buffer.from("\n---\n"), calm]);
  const id = await snapshotCluster(rampart, `exempt-${Date.now().toString(36)}`, body);
  const [firstScan] = await rampart.api(`/clusters/${id}/scans`);

  await dashboard.login();
  await page.goto(`${rampart.url}/clusters/${id}`);
  await dashboard.waitForScans(1);

  // Namespaces: each scored, worst score first; sorted by name from the column's header.
  const namespaces = Object.entries(firstScan.namespaces);
  expect(namespaces.map(([name]) => name).sort()).toEqual(["calm", "legacy"]);
  // Worst score first; equal scores (both capped by a critical finding) by their most
  // severe findings, then by name, as the page orders them.
  const severities = ["critical", "high", "medium", "low", "info"];
  const bySeverity = (a, b) => severities.map((level) => b[level] - a[level]).find((difference) => difference !== 0) ?? 0;
  const worstFirst = [...namespaces]
    .sort(([aName, a], [bName, b]) => a.score - b.score || bySeverity(a, b) || aName.localeCompare(bName))
    .map(([name]) => name);
  const { legacy: legacyScan, calm: calmScan } = firstScan.namespaces;
  expect(legacyScan.score).toBeLessThanOrEqual(calmScan.score);
  expect(legacyScan.critical).toBeGreaterThan(calmScan.critical);
  expect(worstFirst[0]).toBe("legacy");
  const namespaceRows = page.getByTestId("namespace-row");
  await expect(namespaceRows).toHaveCount(2);
  const shownOrder = () => namespaceRows.evaluateAll((rows) => rows.map((row) => row.dataset.namespace));
  expect(await shownOrder()).toEqual(worstFirst);
  for (const [name, summary] of namespaces) {
    const row = page.locator(`[data-testid="namespace-row"][data-namespace="${name}"]`);
    await expect(row.getByTestId("namespace-score")).toHaveText(String(summary.score));
  }
  await page.getByRole("button", { name: /^Namespace/ }).click();
  await expect(page.getByRole("columnheader", { name: /^Namespace/ })).toHaveAttribute("aria-sort", "ascending");
  expect(await shownOrder()).toEqual(["calm", "legacy"]);

  // The privileged worker in `legacy`: exempt it, this object only.
  const openBefore = await rampart.api(`/clusters/${id}/findings?status=open&limit=1000`);
  const rows = page.getByTestId("cluster-finding");
  await expect(rows).toHaveCount(openBefore.items.length);
  const worker = page
    .locator('[data-testid="cluster-finding"][data-rule="pss-privileged"]')
    .filter({ has: page.getByRole("cell", { name: "Deployment legacy/worker", exact: true }) });
  await expect(worker).toHaveCount(1);
  await worker.getByRole("button").first().click();
  const details = page.getByTestId("finding-details");
  await details.getByRole("button", { name: "Exempt…" }).click();
  const form = details.getByTestId("exempt-form");
  await expect(form.getByRole("radio", { name: "This object only: Deployment legacy/worker" })).toBeChecked();
  await expect(form.getByRole("radio", { name: "pss-privileged in namespace legacy" })).toBeVisible();
  await expect(form.getByRole("radio", { name: "pss-privileged in the whole cluster" })).toBeVisible();
  // A reason is required: without one nothing is sent.
  await form.getByRole("button", { name: "Exempt", exact: true }).click();
  await expect(form).toBeVisible();
  expect(await rampart.api(`/clusters/${id}/exemptions`)).toEqual([]);
  await form.getByLabel("Reason").fill("the vendor's node agent needs the host");
  await form.getByLabel(/^Expires/).fill("2099-12-31");
  await form.getByRole("button", { name: "Exempt", exact: true }).click();
  await expect(details).toBeHidden();
  await expect(page.getByTestId("cluster-notice")).toContainText("upload the export again");

  const [exemption] = await rampart.api(`/clusters/${id}/exemptions`);
  expect(exemption).toMatchObject({
    rule: "pss-privileged",
    namespace: "legacy",
    kind: "Deployment",
    name: "worker",
    reason: "the vendor's node agent needs the host",
    expires_at: "2099-12-31T23:59:59Z",
    active: true,
  });
  expect(exemption.cluster.id).toBe(id);
  const listed = page.locator('[data-testid="exemption-row"][data-rule="pss-privileged"]');
  await expect(listed).toContainText("Deployment legacy/worker");
  await expect(listed).toContainText("the vendor's node agent needs the host");

  // Until the next scan nothing changes; the same export uploaded again applies it.
  await expect(worker).toHaveCount(1);
  await dashboard.upload(body);
  const openAfter = await rampart.api(`/clusters/${id}/findings?status=open&limit=1000`);
  const exempted = await rampart.api(`/clusters/${id}/findings?status=exempted&limit=1000`);
  expect(exempted.items.map((finding) => [finding.rule, finding.resource.namespace, finding.resource.name])).toContainEqual([
    "pss-privileged",
    "legacy",
    "worker",
  ]);
  expect(exempted.items.every((finding) => finding.resource.name === "worker")).toBe(true);
  expect(openAfter.items.length).toBe(openBefore.items.length - exempted.items.length);
  await expect(rows).toHaveCount(openAfter.items.length);
  await expect(worker).toHaveCount(0);
  await page.getByRole("combobox", { name: "Status", exact: true }).selectOption("exempted");
  await expect(rows).toHaveCount(exempted.items.length);
  await expect(worker).toHaveAttribute("data-status", "exempted");
  await worker.getByRole("button").first().click();
  await expect(details).toContainText("the vendor's node agent needs the host");
  await expect(details.getByRole("button", { name: "Exempt…" })).toHaveCount(0);
  await page.keyboard.press("Escape");
  const shot = testInfo.outputPath("dashboard-cluster-exemptions.png");
  await page.screenshot({ path: shot, fullPage: true });
  await testInfo.attach("cluster, namespaces and exemptions", { path: shot, contentType: "image/png" });

  // Revoked: gone from the list, and the next upload opens the finding again.
  await page.getByRole("button", { name: "Revoke the exemption of pss-privileged for Deployment legacy/worker" }).click();
  await expect(listed).toHaveCount(0);
  await expect(page.getByTestId("exemptions-empty")).toBeVisible();
  await expect(page.getByTestId("cluster-notice")).toContainText("open again at the next scan");
  expect(await rampart.api(`/clusters/${id}/exemptions`)).toEqual([]);
  await dashboard.upload(body);
  await page.getByRole("combobox", { name: "Status", exact: true }).selectOption("open");
  await expect(worker).toHaveCount(1);
  await expect(rows).toHaveCount(openBefore.items.length);
});

/** A snapshot cluster made through the API with one export; its id once the scan ended. */
test("a viewer reads findings and exemptions but is offered neither exempt nor revoke", async ({ browser, rampart }) => {
  const json = { "content-type": "application/json" };
  const id = await snapshotCluster(rampart, `viewer-${Date.now().toString(36)}`, await exportOf(["insecure-namespace.yaml"]));
  const cluster = await rampart.api(`/clusters/${id}`);
  await rampart.api(`/clusters/${id}/exemptions`, {
    method: "POST",
    headers: json,
    body: JSON.stringify({ rule: "cpu-limit-missing", reason: "granted by the lead" }),
  });
  const email = `viewer-${Date.now().toString(36)}@example.com`;
  await rampart.api("/users", {
    method: "POST",
    headers: json,
    body: JSON.stringify({ email, password: PASSWORD, team: cluster.team.name, role: "viewer" }),
  });

  const context = await browser.newContext();
  const page = await context.newPage();
  await page.goto(`${rampart.url}/login`);
  await page.getByLabel("Email").fill(email);
  await page.getByLabel("Password").fill(PASSWORD);
  await page.getByRole("button", { name: "Log in" }).click();
  await expect(page).toHaveURL(/\/clusters$/);
  await page.goto(`${rampart.url}/clusters/${id}`);

  const listed = page.locator('[data-testid="exemption-row"][data-rule="cpu-limit-missing"]');
  await expect(listed).toContainText("granted by the lead");
  await expect(page.getByRole("button", { name: "Revoke" })).toHaveCount(0);
  const finding = page.locator('[data-testid="cluster-finding"][data-rule="pss-privileged"]').first();
  await finding.getByRole("button").first().click();
  const details = page.getByTestId("finding-details");
  await expect(details).toBeVisible();
  await expect(details.getByRole("button", { name: "Exempt…" })).toHaveCount(0);
  await context.close();
});

test("findings page through the server's cursor, and a partial scan says what it could not read", async ({
  page,
  rampart,
  dashboard,
}) => {
  // Four copies of the insecure Deployment: more open findings than a page holds.
  const big = await exportOf(["insecure-deployment.yaml"], (text) =>
    [1, 2, 3, 4].map((copy) => text.replaceAll("insecure-app", `insecure-app-${copy}`)).join("\n---\n"),
  );
  const id = await snapshotCluster(rampart, `big-${Date.now().toString(36)}`, big);
  const all = await rampart.api(`/clusters/${id}/findings?status=open&limit=1000`);
  const firstPage = await rampart.api(`/clusters/${id}/findings?status=open`);
  expect(firstPage.next_cursor).not.toBeNull();
  expect(all.items.length).toBeGreaterThan(firstPage.items.length);

  await dashboard.login();
  await page.goto(`${rampart.url}/clusters/${id}`);
  const rows = page.getByTestId("cluster-finding");
  await expect(rows).toHaveCount(firstPage.items.length);
  await page.getByRole("button", { name: "Load more" }).click();
  await expect(rows).toHaveCount(all.items.length);
  await expect(page.getByRole("button", { name: "Load more" })).toHaveCount(0);

  // The server sorts over every finding: by rule, the first page is the API's first page
  // in that order.
  await page.getByRole("combobox", { name: "Sort", exact: true }).selectOption("rule");
  const byRule = await rampart.api(`/clusters/${id}/findings?status=open&sort=rule`);
  await expect
    .poll(() => rows.evaluateAll((elements) => elements.map((element) => element.dataset.rule)))
    .toEqual(byRule.items.map((finding) => finding.rule));

  // An export with a document that does not parse: the scan is partial and says why.
  await dashboard.upload(await exportOf(["insecure-deployment.yaml"], (text) => `${text}\n---\nkind: [broken\n`));
  const [partial] = await rampart.api(`/clusters/${id}/scans`);
  expect(partial.status).toBe("partial");
  const latestRow = page.locator(`[data-testid="scan-row"][data-scan="${partial.id}"]`);
  await expect(latestRow).toHaveAttribute("data-status", "partial");
  await expect(latestRow.getByTestId("scan-errors")).toContainText(partial.errors[0].message);
});

test("scan now: a cluster read through its API is scanned from the list, and a failed scan says why", async ({
  page,
  rampart,
  dashboard,
}) => {
  // A kubeconfig cluster whose API server does not answer (a closed local port).
  const name = `api-${Date.now().toString(36)}`;
  const kubeconfig = `apiVersion: v1
kind: Config
clusters:
- name: local
  cluster: {server: "https://127.0.0.1:9"}
contexts:
- name: dev
  context: {cluster: local, user: dev}
current-context: dev
users:
- name: dev
  user: {token: not-a-real-token}
`;
  const cluster = await rampart.api("/clusters", {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ name, kubeconfig, context: "dev" }),
  });

  await dashboard.login();
  const row = dashboard.row(name);
  await expect(row.getByText("not scanned")).toBeVisible();
  await row.getByRole("button", { name: "Scan now" }).click();
  // The list follows the scan until it ends.
  await expect(row.getByTestId("cluster-status")).toHaveText("failed", { timeout: 30_000 });
  const [scan] = await rampart.api(`/clusters/${cluster.id}/scans`);
  expect(scan.status).toBe("failed");

  await row.getByRole("link", { name }).click();
  const history = page.locator(`[data-testid="scan-row"][data-scan="${scan.id}"]`);
  await expect(history).toHaveAttribute("data-status", "failed");
  await expect(history).toContainText(scan.message);
  await expect(page.getByRole("button", { name: "Scan now" })).toBeEnabled();
});
