// A team's custom policies on the real server: added on the settings page, applied by the
// next scan (its findings the same as the command line's on the same export), edited into a
// new version, which the cluster's trend marks as a change of policies.
import { spawnSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { readFile } from "node:fs/promises";
import { test, expect, exportOf, binary } from "./server-fixtures.mjs";
import { repoRoot } from "./fixtures.mjs";

async function replicaLimit(limit) {
  const text = await readFile(path.join(repoRoot, "examples/policies/replica-limit.yaml"), "utf8");
  return text.split("---\napiVersion: rampart.dev/v1\nkind: PolicyTest")[0].replaceAll("5", String(limit));
}

const NINE_REPLICAS = () =>
  exportOf(["insecure-deployment.yaml"], (text) => text.replace("spec:\n  template:", "spec:\n  replicas: 9\n  template:"));

test("a team's policy applies on every scan, like the CLI, and its new version marks the trend", async ({ page, rampart, dashboard }) => {
  await dashboard.login();
  await page.goto(`${rampart.url}/settings`);
  const team = page.getByTestId("team-policies").first();
  await team.getByTestId("team-policy-add").click();
  await team.getByTestId("team-policy-name").fill(`replicas-${Date.now().toString(36)}`);
  // A policy with an error is refused, saying where.
  await team.getByTestId("team-policy-source").fill((await replicaLimit(5)).replace("<= 5", "<== 5"));
  await team.getByRole("button", { name: "Save" }).click();
  await expect(team.getByTestId("team-policy-error")).toContainText("line 15, column");
  await team.getByTestId("team-policy-source").fill(await replicaLimit(5));
  await team.getByRole("button", { name: "Save" }).click();
  const row = team.getByTestId("team-policy");
  await expect(row).toHaveCount(1);
  await expect(row).toContainText("version 1");
  await expect(row).toContainText("vap/replica-limit");

  await page.goto(`${rampart.url}/clusters`);
  const exported = await NINE_REPLICAS();
  const id = await dashboard.registerSnapshot(`policies-${Date.now().toString(36)}`, exported);
  await dashboard.waitForScans(1);
  const found = await rampart.api(`/clusters/${id}/findings?rule=vap/replica-limit&limit=100`);
  expect(found.items.map((finding) => [finding.rule, finding.resource.name, finding.message])).toEqual([
    ["vap/replica-limit", "insecure-app", "replicas must be at most 5, not 9"],
  ]);
  await expect(page.locator('[data-testid="cluster-finding"]', { hasText: "replicas must be at most 5, not 9" })).toHaveCount(1);

  // The command line on the same export and policy.
  const dir = mkdtempSync(path.join(tmpdir(), "rampart-team-policy-"));
  writeFileSync(path.join(dir, "export.yaml"), exported);
  writeFileSync(path.join(dir, "policy.yaml"), await replicaLimit(5));
  const run = spawnSync(binary(), ["check", "-o", "json", "--fail-on", "never", "--policy", "policy.yaml", "export.yaml"], { cwd: dir, encoding: "utf8" });
  expect(run.status, run.stderr).toBe(0);
  const cli = JSON.parse(run.stdout).findings.filter((finding) => finding.rule.startsWith("vap/"));
  expect(cli.map((finding) => [finding.rule, finding.resource.name, finding.message])).toEqual(
    found.items.map((finding) => [finding.rule, finding.resource.name, finding.message]),
  );

  // A new version: the next scan resolves the finding and the trend marks the change.
  await page.goto(`${rampart.url}/settings`);
  await team.getByRole("button", { name: "Edit" }).click();
  await team.getByTestId("team-policy-source").fill(await replicaLimit(10));
  await team.getByRole("button", { name: "Save" }).click();
  await expect(row).toContainText("version 2");
  await page.goto(`${rampart.url}/clusters/${id}`);
  // The page's scan history loaded first, so the upload waits for a second scan.
  await dashboard.waitForScans(1);
  await dashboard.upload(exported);
  const trend = await rampart.api(`/clusters/${id}/trend`);
  expect(trend[1].policy_change.changed).toEqual([{ name: expect.any(String), from: 1, to: 2 }]);
  await expect(page.getByTestId("policy-change")).toHaveCount(1);
  await expect(page.getByTestId("policy-change")).toHaveAttribute("data-scan", String(trend[1].scan));
});

test("each stored policy's row says whether its source compiles now, with each error's line", async ({ page, rampart, dashboard }) => {
  const me = await rampart.api("/me");
  const team = me.teams[0].id;
  const suffix = Date.now().toString(36);
  // Disabled, and named apart: the other tests' scans do not apply them.
  const source = (await replicaLimit(5)).replaceAll("replica-limit", `status-${suffix}`);
  const create = (name) =>
    rampart.api(`/teams/${team}/policies`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ name, source, enabled: false }),
    });
  const good = await create(`compiles-${suffix}`);
  const broken = await create(`broken-${suffix}`);
  expect(good.errors).toEqual([]);
  // The API refuses a broken source; an older server's database may hold one.
  const brokenSource = source.replace("object.spec.replicas <= 5", "object.spec.replicas.startWith(5)");
  const update = spawnSync("sqlite3", [rampart.database, `UPDATE policies SET source = '${brokenSource.replaceAll("'", "''")}' WHERE id = ${broken.id}`], { encoding: "utf8" });
  expect(update.status, update.stderr).toBe(0);

  await dashboard.login();
  await page.goto(`${rampart.url}/settings`);
  const row = (name) => page.locator(`[data-testid="team-policy"][data-policy="${name}"]`);
  const goodStatus = row(`compiles-${suffix}`).getByTestId("team-policy-status");
  await expect(goodStatus).toHaveAttribute("data-status", "ok");
  await expect(goodStatus).toHaveText("compiles");
  const brokenStatus = row(`broken-${suffix}`).getByTestId("team-policy-status");
  await expect(brokenStatus).toHaveAttribute("data-status", "error");
  await expect(brokenStatus).toContainText("does not compile, so scans skip it");
  await expect(brokenStatus).toContainText(`line 15, column 69: policy 'status-${suffix}': validations[0].expression: function 'startWith' is not supported by Rampart`);

  // Fixed on the page: a new version, and the row says it compiles.
  await row(`broken-${suffix}`).getByRole("button", { name: "Edit" }).click();
  await page.getByTestId("team-policy-source").fill(source);
  await page.getByRole("button", { name: "Save" }).click();
  await expect(row(`broken-${suffix}`)).toContainText("version 2");
  await expect(brokenStatus).toHaveAttribute("data-status", "ok");
  await expect(brokenStatus).toHaveText("compiles");
});
