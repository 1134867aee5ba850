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
