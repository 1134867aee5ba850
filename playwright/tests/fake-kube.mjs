// A fake Kubernetes API server for the browser tests, the Node twin of
// backend/tests/it/support/fake_kube.rs: HTTPS on 127.0.0.1 with the same test certificate
// (backend/tests/it/support/tls: a server certificate for 127.0.0.1 signed by ca.pem), the
// API's list shapes (`kind: DeploymentList` with typed items, `PartialObjectMetadataList`
// for metadata-only requests, `limit`/`continue` paging, `Status` errors), `/version`, and
// 404 for the optional APIs (Kyverno, Gatekeeper, Sigstore) as a cluster without them
// answers. It accepts one bearer token and records every request.
import https from "node:https";
import { readFileSync } from "node:fs";
import path from "node:path";
import { repoRoot } from "./fixtures.mjs";

const tls = path.join(repoRoot, "backend/tests/it/support/tls");
/** The CA a client must trust: what a Pod finds in its ServiceAccount's `ca.crt`. */
export const CA_PEM = readFileSync(path.join(tls, "ca.pem"), "utf8");
export const TOKEN = "fake-sa-token-0123456789";

/** The groups Kubernetes itself serves: any of their collections answers, empty or not. */
const BUILT_IN = /^\/(api\/v1|apis\/(apps|batch|policy|networking\.k8s\.io|rbac\.authorization\.k8s\.io|admissionregistration\.k8s\.io)\/v1)\/[a-z]+$/;

/** The collection path of an object: `/api/v1/pods`, `/apis/apps/v1/deployments`. */
export function pathOf(object) {
  const kind = object.kind.toLowerCase();
  const plural = kind.endsWith("y") ? `${kind.slice(0, -1)}ies` : kind.endsWith("ss") ? `${kind}es` : `${kind}s`;
  return object.apiVersion.includes("/") ? `/apis/${object.apiVersion}/${plural}` : `/api/${object.apiVersion}/${plural}`;
}

function status(response, code, reason, message) {
  response.writeHead(code, { "content-type": "application/json" });
  response.end(JSON.stringify({ kind: "Status", apiVersion: "v1", metadata: {}, status: "Failure", message, reason, code }));
}

/** Serves `objects` (each with its apiVersion and kind); resolves once it listens. */
export async function startFakeKube(objects) {
  const collections = new Map();
  for (const object of objects) {
    const key = pathOf(object);
    if (!collections.has(key)) collections.set(key, []);
    collections.get(key).push(object);
  }
  const requests = [];
  const server = https.createServer(
    { cert: readFileSync(path.join(tls, "server.pem")), key: readFileSync(path.join(tls, "server-key.pem")) },
    (request, response) => {
      const url = new URL(request.url, "https://127.0.0.1");
      const accept = request.headers.accept || "";
      requests.push({ path: url.pathname, accept, authorization: request.headers.authorization || "" });
      if (request.headers.authorization !== `Bearer ${TOKEN}`) {
        return status(response, 401, "Unauthorized", "Unauthorized");
      }
      if (url.pathname === "/version") {
        response.writeHead(200, { "content-type": "application/json" });
        return response.end(JSON.stringify({ major: "1", minor: "34", gitVersion: "v1.34.0", platform: "linux/amd64" }));
      }
      if (request.method !== "GET" || !BUILT_IN.test(url.pathname)) {
        return status(response, 404, "NotFound", "the server could not find the requested resource");
      }
      const items = collections.get(url.pathname) || [];
      const offset = Number(url.searchParams.get("continue") || 0);
      const limit = Number(url.searchParams.get("limit") || 0) || items.length;
      const end = Math.min(items.length, offset + limit);
      const metadataOnly = accept.includes("as=PartialObjectMetadataList");
      const page = items.slice(offset, end).map((item) => {
        if (metadataOnly) return { kind: "PartialObjectMetadata", apiVersion: "meta.k8s.io/v1", metadata: item.metadata };
        const { apiVersion: _version, kind: _kind, ...rest } = item;
        return rest;
      });
      const listMetadata = { resourceVersion: "1000" };
      if (end < items.length) Object.assign(listMetadata, { continue: String(end), remainingItemCount: items.length - end });
      const first = items[0];
      const kind = first ? first.kind : "Object";
      response.writeHead(200, { "content-type": "application/json" });
      response.end(
        JSON.stringify({
          kind: metadataOnly ? "PartialObjectMetadataList" : `${kind}List`,
          apiVersion: metadataOnly ? "meta.k8s.io/v1" : first ? first.apiVersion : "v1",
          metadata: listMetadata,
          items: page,
        }),
      );
    },
  );
  await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address();
  return {
    url: `https://127.0.0.1:${port}`,
    port,
    requests,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections?.();
        server.close(resolve);
      }),
  };
}
