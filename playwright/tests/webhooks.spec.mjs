// A team's webhooks on the real server: a team admin adds a generic webhook on the settings
// page, copies the signing secret shown once, sends a test that a receiver on loopback (real
// HTTP, checking the signature as the README tells receivers to) takes, and deletes it. The
// server runs with --outbound-lab so that it may post to 127.0.0.1.
import { createHmac, randomBytes, timingSafeEqual } from "node:crypto";
import http from "node:http";
import { test as base, expect, startRampart, tokenApi } from "./server-fixtures.mjs";

/** A receiver on a loopback port that records each request with its raw body. */
async function startReceiver() {
  const received = [];
  const server = http.createServer((request, response) => {
    const chunks = [];
    request.on("data", (chunk) => chunks.push(chunk));
    request.on("end", () => {
      received.push({ path: request.url, headers: request.headers, body: Buffer.concat(chunks) });
      response.writeHead(200).end("ok");
    });
  });
  await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    url: `http://127.0.0.1:${server.address().port}/hook`,
    received,
    close: () => new Promise((resolve) => server.close(resolve)),
  };
}

/** The README's check: HMAC-SHA256 of `{timestamp}.{body}`, a timestamp within 5 minutes. */
function verify(secret, headers, body) {
  const timestamp = headers["x-rampart-timestamp"];
  if (!timestamp || Math.abs(Date.now() / 1000 - Number(timestamp)) > 300) return false;
  const expected = Buffer.from(
    "sha256=" + createHmac("sha256", secret).update(`${timestamp}.`).update(body).digest("hex"),
  );
  const given = Buffer.from(headers["x-rampart-signature"] || "");
  return expected.length === given.length && timingSafeEqual(expected, given);
}

const test = base.extend({
  rampart: [
    async ({}, use) => {
      const rampart = await startRampart(["--outbound-lab"]);
      await use(rampart);
      await rampart.stop();
    },
    { scope: "worker" },
  ],
});

test("a team admin adds a signed webhook, tests it and deletes it", async ({ page, rampart, dashboard }) => {
  const receiver = await startReceiver();
  const teamName = `ops-${randomBytes(3).toString("hex")}`;
  // The first admin creates the team and so is its admin.
  const team = await rampart.api("/teams", {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ name: teamName }),
  });
  await dashboard.login();
  await page.goto(`${rampart.url}/settings`);
  const section = page.locator(`[data-testid="team-webhooks"][data-team="${teamName}"]`);
  await expect(section).toContainText("No webhooks in this team.");

  await section.getByTestId("webhook-add").click();
  await section.getByTestId("webhook-name").fill("siem");
  await section.getByTestId("webhook-format").selectOption("generic");
  // A URL that is not one is refused with what is expected.
  await section.getByTestId("webhook-url").fill("ftp://example.com/x");
  await section.getByRole("button", { name: "Add the webhook" }).click();
  await expect(section.getByTestId("webhook-error")).toContainText("https://");
  await section.getByTestId("webhook-url").fill(receiver.url);
  await section.getByTestId("webhook-selector").fill("owner=payments");
  await section.getByRole("button", { name: "Add the webhook" }).click();

  const row = section.getByTestId("webhook");
  await expect(row).toHaveCount(1);
  await expect(row).toContainText("siem");
  await expect(row).toContainText(`generic JSON, signed · http://127.0.0.1:${new URL(receiver.url).port}`);
  await expect(row).toContainText("namespaces labelled owner=payments");
  const secret = await section.getByTestId("webhook-secret").inputValue();
  expect(secret).toMatch(/^[0-9a-f]{64}$/);
  // The API never shows the secret or the URL's path back.
  const listed = await rampart.api(`/teams/${team.id}/webhooks`);
  expect(listed.map((webhook) => [webhook.name, webhook.url, webhook.signed])).toEqual([
    ["siem", `http://127.0.0.1:${new URL(receiver.url).port}`, true],
  ]);
  expect(JSON.stringify(listed)).not.toContain(secret);

  await section.getByRole("button", { name: 'Send a test to the webhook "siem"' }).click();
  await expect(section.getByTestId("webhook-notice")).toHaveText('The test reached "siem".');
  expect(receiver.received).toHaveLength(1);
  const [request] = receiver.received;
  expect(request.path).toBe("/hook");
  expect(request.headers["x-rampart-event"]).toBe("test");
  expect(verify(secret, request.headers, request.body)).toBe(true);
  expect(verify("another secret", request.headers, request.body)).toBe(false);
  expect(JSON.parse(request.body.toString())).toMatchObject({ event: "test", team: teamName, webhook: "siem" });

  await section.getByRole("button", { name: 'Delete the webhook "siem"' }).click();
  await expect(section.getByTestId("webhook")).toHaveCount(0);
  await expect(section).toContainText("No webhooks in this team.");
  expect(await rampart.api(`/teams/${team.id}/webhooks`)).toEqual([]);
  await receiver.close();
});
