// Single sign-on in the browser: `rampart serve` configured with an OIDC provider that runs
// in this test (real HTTP on loopback, RS256 ID tokens signed with a key made here). The
// provider's login page signs in its one user at once; the person clicks "Sign in with
// single sign-on" on Rampart's login page and lands on the dashboard, in the team their
// group maps to. Passwords are turned off on this server.
import { test as base, expect } from "@playwright/test";
import { createHash, generateKeyPairSync, randomBytes, sign } from "node:crypto";
import http from "node:http";
import net from "node:net";
import { startRampart } from "./server-fixtures.mjs";

const CLIENT_ID = "rampart-e2e";
const base64url = (buffer) => Buffer.from(buffer).toString("base64url");

/** A provider with one user, who consents at once. */
async function startProvider(user) {
  const { privateKey, publicKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
  const jwk = { ...publicKey.export({ format: "jwk" }), kid: "e2e-1", use: "sig", alg: "RS256" };
  const grants = new Map();
  const server = http.createServer(async (request, response) => {
    const url = new URL(request.url, issuer);
    const json = (status, body) => {
      response.writeHead(status, { "content-type": "application/json" });
      response.end(JSON.stringify(body));
    };
    if (url.pathname === "/.well-known/openid-configuration") {
      return json(200, {
        issuer,
        authorization_endpoint: `${issuer}/authorize`,
        token_endpoint: `${issuer}/token`,
        jwks_uri: `${issuer}/jwks`,
      });
    }
    if (url.pathname === "/jwks") return json(200, { keys: [jwk] });
    if (url.pathname === "/authorize") {
      const query = url.searchParams;
      if (query.get("client_id") !== CLIENT_ID || query.get("code_challenge_method") !== "S256") {
        return json(400, { error: "invalid_request" });
      }
      const code = base64url(randomBytes(16));
      grants.set(code, { nonce: query.get("nonce"), challenge: query.get("code_challenge") });
      const back = new URL(query.get("redirect_uri"));
      back.searchParams.set("code", code);
      back.searchParams.set("state", query.get("state"));
      response.writeHead(302, { location: back.toString() });
      return response.end();
    }
    if (url.pathname === "/token" && request.method === "POST") {
      let body = "";
      for await (const chunk of request) body += chunk;
      const form = new URLSearchParams(body);
      const grant = grants.get(form.get("code"));
      grants.delete(form.get("code"));
      const verifier = form.get("code_verifier") || "";
      if (!grant || base64url(createHash("sha256").update(verifier).digest()) !== grant.challenge) {
        return json(400, { error: "invalid_grant" });
      }
      const now = Math.floor(Date.now() / 1000);
      const header = base64url(JSON.stringify({ alg: "RS256", typ: "JWT", kid: jwk.kid }));
      const claims = base64url(
        JSON.stringify({ iss: issuer, aud: CLIENT_ID, iat: now, exp: now + 300, nonce: grant.nonce, ...user }),
      );
      const signature = base64url(sign("sha256", Buffer.from(`${header}.${claims}`), privateKey));
      return json(200, { token_type: "Bearer", access_token: "opaque", id_token: `${header}.${claims}.${signature}` });
    }
    json(404, { error: "not found" });
  });
  await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
  const issuer = `http://127.0.0.1:${server.address().port}`;
  return { issuer, close: () => new Promise((resolve) => server.close(resolve)) };
}

/** A port free now, for a server whose own URL must be known before it starts. */
async function freePort() {
  const probe = net.createServer();
  await new Promise((resolve) => probe.listen(0, "127.0.0.1", resolve));
  const { port } = probe.address();
  await new Promise((resolve) => probe.close(resolve));
  return port;
}

const test = base.extend({
  sso: [
    async ({}, use) => {
      const provider = await startProvider({
        sub: "sam-1",
        email: "sam@example.com",
        email_verified: true,
        groups: ["k8s-devs"],
      });
      const port = await freePort();
      const rampart = await startRampart(
        [
          "--public-url", `http://127.0.0.1:${port}`,
          "--oidc-issuer", provider.issuer,
          "--oidc-client-id", CLIENT_ID,
          "--oidc-group-map", "k8s-devs=platform:editor,k8s-admins=platform:admin",
          "--password-login", "false",
        ],
        `127.0.0.1:${port}`,
      );
      await use({ provider, rampart });
      await rampart.stop();
      await provider.close();
    },
    { scope: "worker" },
  ],
});

test("a person signs in through the OIDC provider and lands in their group's team", async ({ page, sso }) => {
  await page.goto(`${sso.rampart.url}/login`);
  // Passwords are off: only single sign-on is offered.
  await expect(page.getByTestId("sso-login")).toBeVisible();
  await expect(page.getByLabel("Password")).toHaveCount(0);
  await page.getByTestId("sso-login").click();
  await expect(page).toHaveURL(/\/clusters$/);
  await expect(page.getByRole("heading", { name: "Clusters", level: 1 })).toBeVisible();
  const me = await page.evaluate(async () => (await fetch("/api/v1/me")).json());
  expect(me.email).toBe("sam@example.com");
  expect(me.teams.map((team) => [team.name, team.role])).toEqual([["platform", "editor"]]);
});

test("a refused sign-in comes back to the login page with the reason", async ({ page, sso }) => {
  await page.goto(`${sso.rampart.url}/api/v1/oidc/callback?code=x&state=never-given`);
  await expect(page).toHaveURL(/\/login\?sso_error=/);
  await expect(page.getByTestId("login-error")).toContainText("expired or was already used");
});
