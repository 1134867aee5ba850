// Reports, email and the account end to end, against the real server
// (tests/server-fixtures.mjs, started without SMTP, so queued emails stay in the outbox).
// A global admin of a team of their own — so the other specs' clusters and logins are not
// touched — has two snapshot clusters scanned through the API; on /reports they see the
// figures the API computes, open the print page, subscribe to a digest and send it now,
// read it in the outbox's preview, and change their password.
import { test, expect, exportOf, tokenApi } from "./server-fixtures.mjs";

const FIRST_EXPORT = () => exportOf(["insecure-deployment.yaml"]);
// The Deployment no longer privileged (a resolved finding) and a new namespace (new ones),
// with eleven copies of the insecure Deployment still privileged: some failing controls
// then have more open findings than a report shows of each (ten).
const CHANGED_EXPORT = async () => {
  const changed = await exportOf(["insecure-deployment.yaml", "insecure-namespace.yaml"], (text) =>
    text.replace("privileged: true", "privileged: false"),
  );
  const copy = (await exportOf(["insecure-deployment.yaml"])).toString();
  const copies = Array.from({ length: 11 }, (_, index) =>
    copy.replace("name: insecure-app", `name: insecure-app-${index}`),
  );
  return Buffer.from([changed.toString(), ...copies].join("\n---\n"));
};
const HARDENED_EXPORT = () => exportOf(["hardened-deployment.yaml"]);

/** A user's API session from Node: log in, then make a token for the setup calls. */
async function apiAs(url, email, password) {
  const login = await fetch(`${url}/api/v1/session`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ email, password }),
  });
  expect(login.status).toBe(201);
  const cookie = login.headers.get("set-cookie").split(";")[0];
  const { csrf_token: csrf } = await login.json();
  const made = await fetch(`${url}/api/v1/tokens`, {
    method: "POST",
    headers: { cookie, "x-csrf-token": csrf, "content-type": "application/json" },
    body: JSON.stringify({ name: "setup" }),
  });
  expect(made.status).toBe(201);
  const { token } = await made.json();
  return tokenApi(url, token);
}

/** Uploads an export to a snapshot cluster and waits for its scan to end. */
async function scan(api, cluster, body) {
  const { id } = await api(`/clusters/${cluster}/snapshots`, {
    method: "POST",
    headers: { "content-type": "application/yaml" },
    body,
  });
  await expect.poll(async () => (await api(`/scans/${id}`)).status, { timeout: 30_000 }).toBe("succeeded");
  return api(`/scans/${id}`);
}

async function logIn(page, url, email, password) {
  await page.goto(`${url}/login?next=%2Freports`);
  await page.getByLabel("Email").fill(email);
  await page.getByLabel("Password").fill(password);
  await page.getByRole("button", { name: "Log in" }).click();
}

test("reports, the print page, a digest in the outbox, and a password change", async ({
  page,
  rampart,
}, testInfo) => {
  const suffix = Date.now().toString(36);
  const email = `reports-${suffix}@example.com`;
  const password = "the first password";
  const team = `reporting-${suffix}`;
  await rampart.api("/users", {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ email, password, admin: true, team, role: "admin" }),
  });
  const api = await apiAs(rampart.url, email, password);

  // Two snapshot clusters: one scanned twice (new and resolved findings), one once.
  const create = (name) =>
    api("/clusters", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ name, team, snapshot: true }),
    });
  const prod = await create(`prod-${suffix}`);
  const stage = await create(`stage-${suffix}`);
  await scan(api, prod.id, await FIRST_EXPORT());
  const second = await scan(api, prod.id, await CHANGED_EXPORT());
  expect(second.new).toBeGreaterThan(0);
  expect(second.resolved).toBeGreaterThan(0);
  await scan(api, stage.id, await HARDENED_EXPORT());

  await logIn(page, rampart.url, email, password);
  await expect(page).toHaveURL(/\/reports\?/);
  await expect(page.getByRole("heading", { name: "Reports", level: 1 })).toBeVisible();
  await expect(page.getByRole("link", { name: "Reports" })).toHaveAttribute("aria-current", "page");
  const query = new URL(page.url()).search;
  const report = await api(`/reports${query}`);
  expect(report.clusters).toHaveLength(2);

  // Every figure the page shows is the API's.
  const rows = page.getByTestId("report-cluster");
  await expect(rows).toHaveCount(2);
  for (const cluster of report.clusters) {
    const row = page.locator(`[data-testid="report-cluster"][data-cluster="${cluster.name}"]`);
    await expect(row.getByTestId("report-score")).toContainText(`${cluster.score} ${cluster.grade}`);
    await expect(row.getByTestId("report-scans")).toHaveText(String(cluster.scans));
    await expect(row.getByTestId("report-new")).toHaveText(String(cluster.new));
    await expect(row.getByTestId("report-resolved")).toHaveText(String(cluster.resolved));
    await expect(row.getByRole("link", { name: cluster.name })).toHaveAttribute("href", `/clusters/${cluster.id}`);
    const series = page.getByTestId("report-score-chart").locator(`g.series[data-cluster="${cluster.name}"]`);
    await expect(series.locator("circle")).toHaveCount(cluster.scores.length);
  }
  const prodReport = report.clusters.find((cluster) => cluster.id === prod.id);
  expect(prodReport.scans).toBe(2);
  expect(prodReport.resolved).toBe(second.resolved);
  await expect(page.getByTestId("report-weeks-chart").locator("rect.week-bar")).toHaveCount(2 * report.weeks.length);
  const thisWeek = report.weeks[report.weeks.length - 1];
  await expect(
    page.getByTestId("report-weeks-chart").locator(`g.week[data-week="${thisWeek.week}"] rect.new title`),
  ).toHaveText(new RegExp(`: ${thisWeek.new} new$`));
  await expect(page.getByTestId("resolve-time")).toHaveCount(5);
  await expect(page.getByTestId("top-rule")).toHaveCount(report.top_rules.length);
  await expect(page.getByTestId("top-rule").first()).toHaveAttribute("data-rule", report.top_rules[0].rule);
  expect(report.oldest_critical.length).toBeGreaterThan(0);
  await expect(page.getByTestId("old-critical")).toHaveCount(report.oldest_critical.length);
  await expect(page.getByTestId("old-critical").first().getByRole("link")).toHaveAttribute(
    "href",
    `/clusters/${report.oldest_critical[0].cluster.id}`,
  );

  // Compliance, per cluster and framework: the counts at the period's end and start, one
  // bar per point of the trend, and each failing control with the API's evidence; a rule
  // with more open findings than shown links to the cluster's findings of that rule.
  const counted = ({ pass, fail, not_assessed }) => `${pass} pass · ${fail} fail · ${not_assessed} not assessed`;
  let firstMore = null;
  for (const cluster of report.clusters) {
    const section = page.locator(`[data-testid="report-compliance"][data-cluster="${cluster.name}"]`);
    await expect(section.getByRole("link", { name: "Compliance page" })).toHaveAttribute(
      "href",
      `/clusters/${cluster.id}/compliance`,
    );
    expect(cluster.compliance.map((framework) => framework.framework)).toEqual(["cis", "nsa", "pss", "layers"]);
    await expect(section.getByTestId("report-framework")).toHaveCount(cluster.compliance.length);
    for (const framework of cluster.compliance) {
      const block = section.locator(`[data-testid="report-framework"][data-framework="${framework.framework}"]`);
      await expect(block.getByTestId("report-compliance-end")).toHaveText(`At the end: ${counted(framework.counts)}`);
      const start = framework.counts_at_start;
      await expect(block.getByTestId("report-compliance-start")).toHaveText(
        `At the start: ${start ? counted(start) : "–"}`,
      );
      await expect(block.getByTestId("compliance-trend").locator("g")).toHaveCount(framework.trend.length);
      const failing = framework.controls.filter((control) => control.status === "fail");
      expect(failing).toHaveLength(framework.counts.fail);
      await expect(block.getByTestId("report-failing-control")).toHaveCount(failing.length);
      for (const control of failing) {
        const item = block.locator(`[data-testid="report-failing-control"][data-control="${control.id}"]`);
        const evidence = item.getByTestId("evidence");
        await expect(evidence).toHaveText(
          control.evidence.map(({ rule, resource: { kind, namespace, name }, message }) =>
            `${rule} · ${kind} ${namespace ? `${namespace}/` : ""}${name}: ${message}`,
          ),
        );
        const more = control.evidence_rules.filter((rule) => rule.open > rule.shown);
        await expect(item.getByTestId("evidence-more")).toHaveText(
          more.map((rule) => `and ${rule.open - rule.shown} more of ${rule.rule}`),
        );
        if (more.length > 0 && !firstMore) firstMore = { cluster, framework: framework.framework, rule: more[0] };
      }
    }
  }
  const prodCompliance = prodReport.compliance.find((framework) => framework.framework === "pss");
  expect(prodCompliance.counts.fail).toBeGreaterThan(0);
  // The period began before the first scan: nothing to read at its start (shown as "–").
  expect(prodCompliance.counts_at_start).toBeNull();
  // Eleven privileged copies: at least one control has findings beyond the ten shown.
  expect(firstMore).not.toBeNull();
  const moreLink = page
    .locator(`[data-testid="report-compliance"][data-cluster="${firstMore.cluster.name}"]`)
    .locator(`[data-testid="evidence-more"][data-rule="${firstMore.rule.rule}"] a`)
    .first();
  // The failing controls are folded, one framework at a time.
  await expect(moreLink).toBeHidden();
  await page
    .locator(`[data-testid="report-compliance"][data-cluster="${firstMore.cluster.name}"]`)
    .locator(`[data-testid="report-framework"][data-framework="${firstMore.framework}"] summary`)
    .click();
  await expect(moreLink).toBeVisible();
  await expect(moreLink).toHaveAttribute(
    "href",
    `/clusters/${firstMore.cluster.id}?rule=${firstMore.rule.rule}#findings-title`,
  );
  await moreLink.click();
  await expect(page).toHaveURL(new RegExp(`/clusters/${firstMore.cluster.id}\\?rule=`));
  await expect(page.getByRole("combobox", { name: "Rule" })).toHaveValue(firstMore.rule.rule);
  // All of them on the first page (of 100): the open findings of that rule, no other.
  expect(firstMore.rule.open).toBeLessThanOrEqual(100);
  const ruleFindings = page.getByTestId("cluster-finding");
  await expect(ruleFindings).toHaveCount(firstMore.rule.open);
  for (let index = 0; index < firstMore.rule.open; index++) {
    await expect(ruleFindings.nth(index)).toHaveAttribute("data-rule", firstMore.rule.rule);
  }
  await page.goto(`${rampart.url}/reports${query}`);
  await expect(rows).toHaveCount(2);

  // The exports carry the same query; the CSV downloads with the session.
  await expect(page.getByRole("link", { name: "CSV" })).toHaveAttribute("href", `/api/v1/reports.csv${query}`);
  await expect(page.getByRole("link", { name: "JSON" })).toHaveAttribute("href", `/api/v1/reports${query}`);
  const csv = await page.request.get(`${rampart.url}/api/v1/reports.csv${query}`);
  expect(csv.status()).toBe(200);
  expect(csv.headers()["content-type"]).toContain("text/csv");
  expect(await csv.text()).toContain(`prod-${suffix}`);

  const shot = testInfo.outputPath("reports.png");
  await page.screenshot({ path: shot, fullPage: true });
  await testInfo.attach("reports", { path: shot, contentType: "image/png" });

  // On a phone the report fits the screen's width: tables become cards, charts shrink.
  await page.setViewportSize({ width: 390, height: 844 });
  await expect(rows).toHaveCount(2);
  expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
  const phoneShot = testInfo.outputPath("reports-phone.png");
  await page.screenshot({ path: phoneShot, fullPage: true });
  await testInfo.attach("reports-phone", { path: phoneShot, contentType: "image/png" });
  await page.setViewportSize({ width: 1440, height: 900 });

  // Another period and one cluster: the location follows, and the report with it.
  await page.getByRole("button", { name: "90 days" }).click();
  await expect(page.getByRole("button", { name: "90 days" })).toHaveAttribute("aria-pressed", "true");
  await page.getByRole("checkbox", { name: `stage-${suffix}` }).check();
  await expect(rows).toHaveCount(1);
  await expect(rows).toHaveAttribute("data-cluster", `stage-${suffix}`);
  await expect(page).toHaveURL(new RegExp(`clusters=${stage.id}$`));
  const narrowed = new URL(page.url()).search;
  const ninety = await api(`/reports${narrowed}`);
  expect(Date.parse(ninety.to) - Date.parse(ninety.from)).toBeGreaterThan(89 * 86_400_000);
  // A reload keeps it.
  await page.reload();
  await expect(rows).toHaveCount(1);
  await page.getByRole("checkbox", { name: "All clusters" }).check();
  await expect(rows).toHaveCount(2);

  // Print: the server's page of the same report, in a new tab.
  const printQuery = new URL(page.url()).search;
  await expect(page.getByRole("link", { name: "Print" })).toHaveAttribute("href", `/reports/print${printQuery}`);
  const [print] = await Promise.all([page.waitForEvent("popup"), page.getByRole("link", { name: "Print" }).click()]);
  await print.waitForLoadState();
  await expect(print.getByRole("heading", { name: "Rampart security report" })).toBeVisible();
  await expect(print.getByRole("cell", { name: `prod-${suffix}`, exact: true }).first()).toBeVisible();
  await expect(print.getByRole("cell", { name: `stage-${suffix}`, exact: true }).first()).toBeVisible();
  const printShot = testInfo.outputPath("reports-print.png");
  await print.screenshot({ path: printShot, fullPage: true });
  await testInfo.attach("reports-print", { path: printShot, contentType: "image/png" });
  await print.close();

  // Email: a daily digest of the team, sent now; it waits in the outbox (no SMTP server).
  await page.getByRole("link", { name: "Settings" }).click();
  await expect(page.getByRole("heading", { name: "Email" })).toBeVisible();
  await page.getByRole("combobox", { name: "Team" }).selectOption({ label: team });
  await page.getByRole("button", { name: "Subscribe" }).click();
  const subscription = page.getByTestId("subscription-row");
  await expect(subscription).toHaveCount(1);
  await expect(subscription).toContainText(`team ${team}`);
  await expect(subscription).toContainText("daily at 08:00 UTC");
  await subscription.getByRole("button", { name: /^Send the email/ }).click();
  await expect(page.getByTestId("subscription-notice")).toContainText("queued");
  const [queued] = await api("/outbox?status=queued");
  expect(queued.recipient).toBe(email);
  const outboxRow = page.locator(`[data-testid="outbox-row"][data-email="${queued.id}"]`);
  await expect(outboxRow).toHaveAttribute("data-status", "queued");
  await outboxRow.getByRole("button", { name: /^Preview/ }).click();
  const preview = page.getByTestId("email-preview");
  await expect(preview.getByRole("heading", { name: queued.subject })).toBeVisible();
  // The HTML in a sandbox that allows nothing: no script, no same origin.
  await expect(preview.getByTestId("email-html")).toHaveAttribute("sandbox", "");
  await expect(page.frameLocator('[data-testid="email-html"]').locator("body")).toContainText(`prod-${suffix}`);
  await preview.getByText("Plain text").click();
  await expect(preview.getByTestId("email-text")).toContainText(`== prod-${suffix} (team ${team}) ==`);
  const settingsShot = testInfo.outputPath("settings-email.png");
  await page.screenshot({ path: settingsShot, fullPage: true });
  await testInfo.attach("settings-email", { path: settingsShot, contentType: "image/png" });

  // The password: a wrong current one is refused; the change keeps this browser in and
  // ends the other sessions.
  const other = await page.context().browser().newContext();
  const otherPage = await other.newPage();
  await logIn(otherPage, rampart.url, email, password);
  await expect(otherPage.getByRole("heading", { name: "Reports", level: 1 })).toBeVisible();
  const newPassword = "the second password";
  await page.getByLabel("Current password").fill("not my password");
  await page.getByLabel("New password", { exact: true }).fill(newPassword);
  await page.getByLabel("Repeat the new password").fill(newPassword);
  await page.getByRole("button", { name: "Change password" }).click();
  await expect(page.getByRole("alert").filter({ hasText: "the current password is wrong" })).toBeVisible();
  await page.getByLabel("Current password").fill(password);
  await page.getByRole("button", { name: "Change password" }).click();
  await expect(page.getByTestId("password-notice")).toContainText("Password changed");
  await page.reload();
  await expect(page.getByTestId("account-email")).toHaveText(email);
  await otherPage.goto(`${rampart.url}/settings`);
  await expect(otherPage).toHaveURL(/\/login\?next=%2Fsettings$/);
  await other.close();

  await page.getByRole("button", { name: "Log out" }).click();
  await expect(page).toHaveURL(/\/login$/);
  await logIn(page, rampart.url, email, password);
  await expect(page.getByRole("alert")).toContainText("wrong email or password");
  await page.getByLabel("Password").fill(newPassword);
  await page.getByRole("button", { name: "Log in" }).click();
  await expect(page).toHaveURL(/\/reports\?/);
});
