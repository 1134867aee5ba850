// "Add a cluster" as a newcomer does it, end to end in Chromium, against the real
// `rampart serve` and a fake Kubernetes API server over TLS (./fake-kube.mjs).
//
// The agent path: the form's first choice registers an agent cluster and shows the one
// command that starts the agent, its token filled in. The test reads that command from the
// page and does what the Deployment in it does (the Pod's ServiceAccount directory laid out
// as the kubelet mounts it, the server URL from the ConfigMap, the token from the Secret as
// a mounted file): it runs the real `rampart agent` binary, and the page, waiting, shows the
// first score; the dashboard's row shows it too, equal to what the same objects score as a
// snapshot upload.
//
// The API path: the form shows the read-only ServiceAccount and the token command; the
// cluster is registered with the fake API server's URL, a ServiceAccount token and its CA,
// scanned, and its row shows the same score as the agent's cluster.
import { test as base, expect } from "@playwright/test";
import { spawn } from "node:child_process";
import { mkdtemp, mkdir, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { binary, Dashboard, snapshotCluster, startRampart } from "./server-fixtures.mjs";
import { CA_PEM, startFakeKube, TOKEN } from "./fake-kube.mjs";

const container = (name, image, extra = {}) => ({ name, image, ...extra });
/** An unhardened little cluster, with what the reference-following rules look at: a
 * Service that selects no Pod, a RoleBinding to a Role that does not exist. */
const OBJECTS = [
  { apiVersion: "v1", kind: "Namespace", metadata: { name: "shop", uid: "ns-shop" } },
  { apiVersion: "v1", kind: "Pod", metadata: { name: "debug", namespace: "shop", uid: "pod-debug" },
    spec: { hostNetwork: true, containers: [container("shell", "busybox")] } },
  { apiVersion: "apps/v1", kind: "Deployment", metadata: { name: "web", namespace: "shop", uid: "d-web" },
    spec: { replicas: 2, selector: { matchLabels: { app: "web" } },
      template: { metadata: { labels: { app: "web" } },
        spec: { containers: [container("web", "nginx:1.27", { securityContext: { privileged: true } })] } } } },
  { apiVersion: "v1", kind: "Service", metadata: { name: "orphan", namespace: "shop", uid: "svc-orphan" },
    spec: { selector: { app: "nothing-has-this-label" }, ports: [{ port: 80 }] } },
  { apiVersion: "rbac.authorization.k8s.io/v1", kind: "RoleBinding", metadata: { name: "ghost", namespace: "shop", uid: "rb-ghost" },
    roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "Role", name: "does-not-exist" },
    subjects: [{ kind: "ServiceAccount", name: "default", namespace: "shop" }] },
  { apiVersion: "rbac.authorization.k8s.io/v1", kind: "ClusterRole", metadata: { name: "everything", uid: "cr-all" },
    rules: [{ apiGroups: ["*"], resources: ["*"], verbs: ["*"] }] },
  { apiVersion: "v1", kind: "Secret", metadata: { name: "db", namespace: "shop", uid: "s-db" }, type: "Opaque",
    data: { password: "aHVudGVyMg==" } },
];

/** The same objects as an export: Secrets as metadata, as a scan keeps them. */
function exportOfObjects() {
  return Buffer.from(
    OBJECTS.map(({ data: _data, ...object }) => `---\n${JSON.stringify(object)}\n`).join(""),
  );
}

const test = base.extend({
  rampart: [
    async ({}, use) => {
      // The fake API server listens on loopback: the API path needs the lab's outbound policy.
      const rampart = await startRampart(["--outbound-lab"]);
      await use(rampart);
      await rampart.stop();
    },
    { scope: "worker" },
  ],
  fake: [
    async ({}, use) => {
      const fake = await startFakeKube(OBJECTS);
      await use(fake);
      await fake.close();
    },
    { scope: "worker" },
  ],
  dashboard: async ({ page, rampart }, use) => {
    await use(new Dashboard(page, rampart));
  },
});

/** The documents of the manifest a `kubectl apply -f - <<'EOF' … EOF` command carries. */
function manifestOf(command) {
  const lines = command.trim().split("\n");
  expect(lines[0]).toBe("kubectl apply -f - <<'EOF'");
  expect(lines.at(-1)).toBe("EOF");
  return lines.slice(1, -1).join("\n").split(/^---$/m);
}

/** One quoted value of the document of `kind` (`server: "…"` in the ConfigMap). */
function valueIn(documents, kind, key) {
  const document = documents.find((text) => new RegExp(`^kind: ${kind}$`, "m").test(text));
  expect(document, `a ${kind} in the manifest`).toBeTruthy();
  const match = document.match(new RegExp(`^  ${key}: (".*")$`, "m"));
  expect(match, `${kind}'s ${key}`).toBeTruthy();
  return JSON.parse(match[1]);
}

async function openForm(page) {
  const form = page.locator("form.register");
  if (!(await form.isVisible())) await page.getByRole("button", { name: "Register a cluster" }).click();
  await expect(form).toBeVisible();
  return form;
}

/** Runs `rampart agent` as the manifest's Deployment runs it, in a "Pod" on this machine. */
async function runAgent(documents, fake) {
  const deployment = documents.find((text) => /^kind: Deployment$/m.test(text));
  expect(deployment).toMatch(/args: \[agent\]/);
  expect(deployment).toMatch(/name: RAMPART_SERVER\n\s+valueFrom:\n\s+configMapKeyRef:/);
  const tokenFile = deployment.match(/name: RAMPART_AGENT_TOKEN_FILE\n\s+value: (\S+)/)[1];
  const pod = await mkdtemp(path.join(os.tmpdir(), "rampart-agent-pod-"));
  // The Secret mounted where the Deployment mounts it, and the ServiceAccount's directory.
  const secretDir = path.join(pod, path.dirname(tokenFile));
  await mkdir(secretDir, { recursive: true });
  await writeFile(path.join(pod, tokenFile), valueIn(documents, "Secret", "token"));
  const account = path.join(pod, "serviceaccount");
  await mkdir(account);
  await writeFile(path.join(account, "token"), TOKEN);
  await writeFile(path.join(account, "ca.crt"), CA_PEM);
  await writeFile(path.join(account, "namespace"), "rampart-agent");
  const env = {
    ...process.env,
    RAMPART_SERVER: valueIn(documents, "ConfigMap", "server"),
    RAMPART_AGENT_TOKEN_FILE: path.join(pod, tokenFile),
    RAMPART_SERVICE_ACCOUNT_DIR: account,
    KUBERNETES_SERVICE_HOST: "127.0.0.1",
    KUBERNETES_SERVICE_PORT: String(fake.port),
    RAMPART_POLL_INTERVAL: "200ms",
    NO_COLOR: "1",
  };
  delete env.RAMPART_AGENT_TOKEN;
  const child = spawn(binary(), ["agent"], { env, stdio: ["ignore", "pipe", "pipe"] });
  let log = "";
  child.stdout.on("data", (chunk) => (log += chunk));
  child.stderr.on("data", (chunk) => (log += chunk));
  return {
    log: () => log,
    async stop() {
      if (child.exitCode === null) {
        const exited = new Promise((resolve) => child.once("exit", resolve));
        child.kill("SIGTERM");
        await exited;
      }
      await rm(pod, { recursive: true, force: true });
    },
  };
}

test("the agent path: the command shown starts the agent, and the row shows its first score", async ({
  page,
  dashboard,
  rampart,
  fake,
}) => {
  await dashboard.login();
  const form = await openForm(page);
  await expect(form.getByRole("radio", { name: /Agent in the cluster/ })).toBeChecked();
  await form.getByRole("textbox", { name: "Name", exact: true }).fill("edge-agent");
  await form.getByRole("button", { name: "Register" }).click();

  const setup = page.getByTestId("agent-setup");
  await expect(setup.getByRole("heading", { name: "Start the agent in edge-agent" })).toBeVisible();
  const command = setup.getByTestId("agent-command");
  const plain = await command.textContent();
  const token = await setup.getByTestId("agent-token").textContent();
  expect(token).toMatch(/^rmpa_/);
  expect(plain).toContain(`token: "${token}"`);
  expect(plain).not.toContain("rampart-agent-secrets");
  // Secrets listed only when asked for, said plainly beside the choice.
  await expect(setup.getByText(/^RBAC cannot grant metadata-only reads: an agent that may list Secrets could read/)).toBeVisible();
  await setup.getByRole("checkbox", { name: "Let the agent list Secrets" }).check();
  await expect(command).toContainText("name: rampart-agent-secrets");
  await setup.getByRole("checkbox", { name: "Let the agent list Secrets" }).uncheck();
  await expect(command).toHaveText(plain);
  await setup.getByText("Or with kustomize, from a checkout of Rampart").click();
  await expect(setup.getByTestId("agent-kustomize")).toContainText(`--from-literal=token='${token}'`);

  // Before the agent runs: no contact, on the form and on the row.
  const progress = setup.getByTestId("agent-progress");
  await expect(progress).toHaveAttribute("data-state", "waiting");
  const row = dashboard.row("edge-agent");
  await expect(row.getByTestId("cluster-agent")).toHaveAttribute("data-state", "waiting");

  const agent = await runAgent(manifestOf(plain), fake);
  try {
    await expect(progress).toHaveAttribute("data-state", "delivered", { timeout: 45_000 });
  } catch (error) {
    throw new Error(`${error.message}\nagent log:\n${agent.log()}`);
  }
  const score = Number(await setup.getByTestId("agent-first-score").textContent());
  await expect(row.getByTestId("cluster-score")).toHaveText(String(score));
  await expect(row.getByTestId("cluster-agent")).toHaveAttribute("data-state", "live");
  await agent.stop();
  expect(fake.requests.some((request) => request.path === "/api/v1/pods" && request.authorization === `Bearer ${TOKEN}`)).toBe(true);
  expect(
    fake.requests.filter((request) => request.path === "/api/v1/secrets").every((request) => request.accept.includes("PartialObjectMetadata")),
  ).toBe(true);

  // The same objects uploaded as a snapshot score the same.
  const clusters = await rampart.api("/clusters");
  const agentCluster = clusters.find((cluster) => cluster.name === "edge-agent");
  const [scan] = await rampart.api(`/clusters/${agentCluster.id}/scans`);
  expect(scan.status).toBe("succeeded");
  expect(scan.score).toBe(score);
  const snapshot = await snapshotCluster(rampart, "edge-snapshot", exportOfObjects());
  const [snapshotScan] = await rampart.api(`/clusters/${snapshot}/scans`);
  expect([snapshotScan.score, snapshotScan.objects, snapshotScan.counts]).toEqual([scan.score, scan.objects, scan.counts]);
});

test("the API path: the read-only ServiceAccount is shown, and the cluster it reads gets its row and score", async ({
  page,
  dashboard,
  rampart,
  fake,
}) => {
  await dashboard.login();
  const form = await openForm(page);
  await form.getByRole("radio", { name: "API URL and token" }).check();
  await form.getByText(/Create a read-only ServiceAccount/).click();
  const manifest = form.getByTestId("reader-manifest");
  await expect(manifest).toContainText("kind: ClusterRole");
  await expect(manifest).toContainText("verbs: [get, list]");
  await expect(manifest).not.toContainText("secrets");
  await form.getByRole("checkbox", { name: "Also let it list Secrets" }).check();
  await expect(manifest).toContainText("resources: [secrets]");
  await expect(form.getByTestId("reader-token-command")).toHaveText(
    "kubectl -n rampart-reader create token rampart-reader --duration=8760h",
  );

  await form.getByRole("textbox", { name: "Name", exact: true }).fill("edge-api");
  await form.getByLabel("API server URL").fill(fake.url);
  await form.getByLabel(/^Bearer token/).fill(TOKEN);
  await form.getByLabel(/^CA certificate/).fill(CA_PEM);
  await form.getByRole("button", { name: "Test connection" }).click();
  await expect(form.getByText(/^Connected:/)).toBeVisible({ timeout: 30_000 });
  await form.getByRole("button", { name: "Register" }).click();
  await expect(page).toHaveURL(/\/clusters\/\d+$/);
  await page.getByRole("button", { name: "Scan now" }).click();
  await dashboard.waitForScans(1);

  await page.goto(`${rampart.url}/clusters`);
  const clusters = await rampart.api("/clusters");
  const byName = Object.fromEntries(clusters.map((cluster) => [cluster.name, cluster]));
  expect(byName["edge-api"].score).not.toBeNull();
  await expect(dashboard.row("edge-api").getByTestId("cluster-score")).toHaveText(String(byName["edge-api"].score));
  // Read through the API or uploaded as an export, the same objects score the same.
  const snapshot = await snapshotCluster(rampart, "edge-api-snapshot", exportOfObjects());
  const [snapshotScan] = await rampart.api(`/clusters/${snapshot}/scans`);
  expect(byName["edge-api"].score).toBe(snapshotScan.score);
});
