// The playground's Policies panel: custom policies (ValidatingAdmissionPolicy) written in
// the page, their errors at line and column as one types, their findings among the others,
// the same as the command line gives; saved in the browser, carried by share links, and
// never sent anywhere.
import { spawnSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { test, expect, example, expectOnlyOwnRequests, Playground } from "./fixtures.mjs";
import { binary } from "./server-fixtures.mjs";

const DEPLOYMENT = `apiVersion: apps/v1
kind: Deployment
metadata:
  name: wide
  namespace: shop
  labels: {app: wide}
spec:
  replicas: 6
  template:
    spec:
      containers:
      - name: app
        image: docker.io/library/nginx:latest
      initContainers:
      - name: setup
        image: registry.example.com/setup:1.0
`;

/** An example policy file without its PolicyTest cases (what the panel's examples load). */
async function policy(name) {
  const text = await example(`policies/${name}.yaml`);
  return text.split("---\napiVersion: rampart.dev/v1\nkind: PolicyTest")[0];
}

/** Replaces the policy editor's text as a paste does and waits for the check of it. */
async function enterPolicies(playground, text) {
  const before = await playground.generation();
  await playground.page.getByTestId("policy-input").evaluate((area, text) => {
    area.value = text;
    area.dispatchEvent(new InputEvent("input", { bubbles: true, inputType: "insertFromPaste" }));
  }, text);
  await expect.poll(() => playground.generation()).toBeGreaterThan(before);
}

const policyFindings = (playground) =>
  playground.page
    .locator('[data-testid="finding"][data-rule^="vap/"]')
    .evaluateAll((rows) =>
      rows.map((row) => `${row.dataset.rule}@${row.dataset.line}:${row.dataset.severity}:${row.querySelector(".message").textContent}`).sort(),
    );

test("policies find on the manifests' lines, exactly as the command line does", async ({ playground }) => {
  await playground.open();
  await playground.enter(DEPLOYMENT);
  const policies = [await policy("replica-limit"), await policy("no-latest-tag"), await policy("trusted-registries"), await policy("required-labels")].join("---\n");
  await enterPolicies(playground, policies);
  await expect(playground.finding("vap/replica-limit")).toHaveCount(1);
  await expect(playground.finding("vap/replica-limit")).toHaveAttribute("data-line", "8");
  await expect(playground.finding("vap/replica-limit")).toHaveAttribute("data-severity", "high");
  const inPage = await policyFindings(playground);
  expect(inPage).toContain("vap/replica-limit@8:high:replicas must be at most 5, not 6");
  // fieldPath metadata.labels; the containers a variable reads; the pod spec of the template.
  expect(inPage).toContain("vap/required-labels@6:medium:missing required labels: owner");
  expect(inPage).toContain("vap/no-latest-tag@11:high:containers without a pinned tag: app");
  expect(inPage).toContain("vap/trusted-registries@10:high:images must come from registry.example.com or ghcr.io/example: docker.io/library/nginx:latest");
  await expect(playground.page.getByTestId("policy-summary")).toHaveCount(4);

  // The command line, on the same manifest and policies.
  const dir = mkdtempSync(path.join(tmpdir(), "rampart-policies-"));
  writeFileSync(path.join(dir, "manifests.yaml"), DEPLOYMENT);
  writeFileSync(path.join(dir, "policies.yaml"), policies);
  const run = spawnSync(binary(), ["check", "-o", "json", "--fail-on", "never", "--policy", "policies.yaml", "manifests.yaml"], {
    cwd: dir,
    encoding: "utf8",
  });
  expect(run.status, run.stderr).toBe(0);
  const cli = JSON.parse(run.stdout)
    .findings.filter((finding) => finding.rule.startsWith("vap/"))
    .map((finding) => `${finding.rule}@${finding.line}:${finding.severity}:${finding.message}`)
    .sort();
  expect(inPage).toEqual(cli);
});

test("a policy's errors show at their line and column as one types, and clear when fixed", async ({ playground, page }) => {
  await playground.open();
  await playground.enter(DEPLOYMENT);
  const broken = (await policy("replica-limit")).replace("object.spec.replicas <= 5", "object.spec.replicas <== 5");
  await enterPolicies(playground, broken);
  const error = page.getByTestId("policy-error");
  await expect(error).toHaveCount(1);
  const line = broken.split("\n").findIndex((text) => text.includes("<== 5")) + 1;
  await expect(error).toHaveAttribute("data-line", String(line));
  const column = broken.split("\n")[line - 1].indexOf("<== 5") + 1 + 2;
  await expect(error).toHaveAttribute("data-column", String(column));
  await expect(error).toContainText("unexpected character '='");
  await expect(playground.finding("vap/replica-limit")).toHaveCount(0);

  // Typing the fix (one keystroke at a time, as a person does) clears it.
  const area = page.getByTestId("policy-input");
  await area.evaluate((area, line) => {
    const lines = area.value.split("\n");
    const at = lines.slice(0, line - 1).join("\n").length + 1 + lines[line - 1].indexOf("<==") + 2;
    area.focus();
    area.setSelectionRange(at, at + 1);
  }, line);
  await page.keyboard.press("Delete");
  await expect(error).toHaveCount(0);
  await expect(playground.finding("vap/replica-limit")).toHaveCount(1);
});

test("an unbound policy is a notice until the toggle evaluates it as if bound with Deny", async ({ playground, page }) => {
  await playground.open();
  await playground.enter(DEPLOYMENT);
  const unbound = (await policy("replica-limit")).split("---\napiVersion: admissionregistration.k8s.io/v1\nkind: ValidatingAdmissionPolicyBinding")[0];
  await enterPolicies(playground, unbound);
  await expect(page.getByTestId("policy-notice")).toContainText("has no binding");
  await expect(playground.finding("vap/replica-limit")).toHaveCount(0);
  await page.getByTestId("policy-assume-unbound").check();
  await expect(playground.finding("vap/replica-limit")).toHaveCount(1);
  await expect(page.getByTestId("policy-summary")).toContainText("evaluated as if bound with Deny");
});

test("policies are kept in the browser and carried by the share link", async ({ playground, page, context }) => {
  await playground.open();
  await playground.enter(DEPLOYMENT);
  await page.getByTestId("policy-example").selectOption("replica-limit");
  await expect(playground.finding("vap/replica-limit")).toHaveCount(1);
  await page.reload();
  await expect(playground.score).toBeVisible();
  await expect(page.getByTestId("policy-input")).toHaveValue(await policy("replica-limit"));
  // The stored policies bring the policy engine, which checks again when it arrives: wait
  // for that check (its policy summary) so the next edit's check is the only new one.
  await expect(page.getByTestId("policy-summary")).toHaveCount(1);

  await playground.enter(DEPLOYMENT);
  await expect(playground.finding("vap/replica-limit")).toHaveCount(1);
  await page.getByRole("button", { name: "Share link" }).click();
  const link = await page.getByTestId("share-link").inputValue();
  expect(new URL(link).hash).toMatch(/^#m=[A-Za-z0-9_-]+&p=[A-Za-z0-9_-]+$/);

  // A fresh browser (no local storage) opens the manifests and the policies of the link.
  const fresh = await page.context().browser().newContext();
  const other = new Playground(await fresh.newPage(), playground.baseUrl);
  await other.open(link);
  await expect(other.page.getByTestId("policy-input")).toHaveValue(await policy("replica-limit"));
  await expect(other.finding("vap/replica-limit")).toHaveCount(1);
  await fresh.close();
});

test("the policy engine is fetched only once the panel holds a policy, then evaluates in the page", async ({ page, playground }) => {
  // This page's own requests (the static server's log spans every test of the worker).
  const paths = [];
  page.on("request", (request) => paths.push(new URL(request.url()).pathname));
  const requested = () => [...paths];
  await playground.open();
  await playground.enter(DEPLOYMENT);
  await expect(playground.finding("image-tag-latest").first()).toBeVisible();
  // A page without policies (its main module checks manifests alone) never asks for it.
  expect(requested()).not.toContain("/rampart_web_policy_bg.wasm");
  expect(requested()).not.toContain("/rampart_web_policy.js");
  await enterPolicies(playground, await policy("replica-limit"));
  await expect(playground.finding("vap/replica-limit")).toHaveCount(1);
  await expect(page.getByTestId("policy-loading")).toHaveCount(0);
  expect(requested().filter((pathname) => pathname === "/rampart_web_policy_bg.wasm")).toHaveLength(1);
  // Later edits use the module already loaded.
  await enterPolicies(playground, (await policy("replica-limit")).replace("<= 5", "<= 7"));
  await expect(playground.finding("vap/replica-limit")).toHaveCount(0);
  expect(requested().filter((pathname) => pathname === "/rampart_web_policy_bg.wasm")).toHaveLength(1);
});

test("checking with policies sends nothing: the only requests are the page's own static files", async ({ page, server, playground }) => {
  const requests = [];
  page.on("request", (request) => requests.push(request));
  await playground.open();
  const canary = "policy-canary-51c0de";
  await playground.enter(DEPLOYMENT.replace("wide", canary));
  await enterPolicies(playground, (await policy("trusted-registries")).replaceAll("registry.example.com", `${canary}.example.com`));
  await expect(page.locator('[data-testid="finding"][data-rule="vap/trusted-registries"]')).toHaveCount(1);
  await page.getByTestId("policy-input").press("End");
  await page.getByTestId("policy-input").pressSequentially(`\n# ${canary}`);
  await page.getByTestId("policy-assume-unbound").check();
  await page.getByTestId("policy-example").selectOption("no-latest-tag");
  await page.getByRole("button", { name: "Share link" }).click();
  await page.waitForTimeout(500);

  expectOnlyOwnRequests(requests, server, canary);
});
