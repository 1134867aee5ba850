// A cluster's compliance page on the real server: for each framework, the counts it shows
// (pass, fail, not assessed) and its control rows equal what the API answers, and a failing
// control shows its evidence.
import { test, expect, exportOf, snapshotCluster } from "./server-fixtures.mjs";

async function shownCounts(page) {
  const counts = {};
  for (const status of ["pass", "fail", "not_assessed"]) {
    const text = await page.locator(`[data-testid="compliance-count"][data-status="${status}"]`).textContent();
    counts[status] = Number(text.trim());
  }
  return counts;
}

test("the compliance page shows the API's control counts, per framework", async ({ page, rampart, dashboard }) => {
  const name = `compliance-${Date.now().toString(36)}`;
  const id = await snapshotCluster(rampart, name, await exportOf(["insecure-deployment.yaml", "insecure-namespace.yaml"]));
  await dashboard.login();
  await page.goto(`${rampart.url}/clusters/${id}`);
  await page.getByTestId("compliance-link").click();
  await expect(page).toHaveURL(new RegExp(`/clusters/${id}/compliance$`));

  for (const framework of ["cis", "nsa", "pss", "layers"]) {
    const api = await rampart.api(`/clusters/${id}/compliance?framework=${framework}`);
    await page.locator(`[data-testid="framework-tab"][data-framework="${framework}"]`).click();
    await expect(page).toHaveURL(new RegExp(`framework=${framework}$`));
    const rows = page.getByTestId("control");
    await expect(rows).toHaveCount(api.controls.length);
    expect(await shownCounts(page)).toEqual(api.counts);
    for (const status of ["pass", "fail", "not_assessed"]) {
      await expect(page.locator(`[data-testid="control"][data-status="${status}"]`)).toHaveCount(api.counts[status]);
    }
    // Something fails in an insecure deployment, and controls no rule assesses are not
    // counted as passing.
    expect(api.counts.fail).toBeGreaterThan(0);
  }

  // CIS 5.2.2 (privileged containers) fails, with the insecure Deployment as its evidence.
  await page.locator('[data-testid="framework-tab"][data-framework="cis"]').click();
  const privileged = page.locator('[data-testid="control"][data-control="5.2.2"]');
  await expect(privileged).toHaveAttribute("data-status", "fail");
  await privileged.locator("summary").click();
  await expect(privileged.getByTestId("evidence").first()).toContainText("pss-privileged");
  const unassessed = page.locator('[data-testid="control"][data-control="5.1.7"]');
  await expect(unassessed).toHaveAttribute("data-status", "not_assessed");
  await expect(unassessed).toContainText("No rule assesses this control");
  await expect(page.getByTestId("compliance-trend")).toBeVisible();
});
