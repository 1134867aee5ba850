// Checks the server's API against its own OpenAPI document, for the contract test
// (backend/tests/it/server/contract.rs), which runs it as `node contract/validate-openapi.mjs FILE`.
//
// FILE holds { "document": <GET /api/openapi.json>, "answers": [{ "method", "path", "status",
// "content_type", "body" }] }, `path` as the document writes it (/api/v1/clusters/{id}) and
// `body` the answer's text. It checks:
// - the document against the OpenAPI schema of its version (@seriousme/openapi-schema-validator);
// - every answer against what its operation declares: the status is the declared success
//   status (or an error status answered with the Error schema under "default"), and a
//   JSON body validates against the declared schema with Ajv (JSON Schema 2020-12, the
//   dialect of OpenAPI 3.1), strictly: an object schema that lists properties admits no
//   others (additionalProperties false unless the schema says otherwise), and `required`
//   is enforced where the document states it;
// - every operation of the document was answered at least once with its success status.
//
// Prints one line per problem and exits 1 when there is any; prints a summary line either way.

import { readFileSync } from "node:fs";
import { Validator } from "@seriousme/openapi-schema-validator";
import Ajv2020 from "ajv/dist/2020.js";
import addFormats from "ajv-formats";

const input = JSON.parse(readFileSync(process.argv[2], "utf8"));
const problems = [];

const validator = new Validator();
const result = await validator.validate(structuredClone(input.document));
if (!result.valid) {
  problems.push(`the document is not valid OpenAPI ${input.document.openapi}: ${JSON.stringify(result.errors)}`);
}

/// A copy of a schema in which every object schema with properties is closed.
function closed(schema) {
  if (Array.isArray(schema)) return schema.map(closed);
  if (schema === null || typeof schema !== "object") return schema;
  const copy = {};
  for (const [key, value] of Object.entries(schema)) {
    // Property names are data, not schemas: copy the map, close each property's schema.
    copy[key] = key === "properties" ? Object.fromEntries(Object.entries(value).map(([n, s]) => [n, closed(s)])) : closed(value);
  }
  if (copy.properties && !("additionalProperties" in copy) && !("unevaluatedProperties" in copy)) {
    copy.additionalProperties = false;
  }
  return copy;
}

const ajv = new Ajv2020({ strict: false, allErrors: true, validateFormats: true });
addFormats(ajv);
const id = "https://rampart.invalid/openapi.json";
ajv.addSchema({ $id: id, components: closed(input.document.components ?? {}) });

const compiled = new Map();
function validatorFor(schema) {
  const key = JSON.stringify(schema);
  if (!compiled.has(key)) {
    // References in the document are local (#/components/schemas/…): resolved against the
    // closed components registered above.
    const text = JSON.stringify(closed(schema)).replaceAll('"#/components/', `"${id}#/components/`);
    compiled.set(key, ajv.compile(JSON.parse(text)));
  }
  return compiled.get(key);
}

const answered = new Set();
let checked = 0;
for (const answer of input.answers) {
  const where = `${answer.method.toUpperCase()} ${answer.path} → ${answer.status}`;
  const operation = input.document.paths?.[answer.path]?.[answer.method];
  if (!operation) {
    problems.push(`${where}: not in the document`);
    continue;
  }
  const responses = operation.responses ?? {};
  const declared = responses[String(answer.status)];
  const success = Object.keys(responses).find((status) => /^2|^3/.test(status));
  let response = declared;
  if (!response) {
    if (answer.status >= 400 && responses.default) {
      response = responses.default;
    } else {
      problems.push(`${where}: the document declares ${success ?? "no success status"}`);
      continue;
    }
  }
  if (declared && answer.status < 400) answered.add(`${answer.method} ${answer.path}`);
  const schema = response.content?.["application/json"]?.schema;
  if (!schema) {
    if (response.content === undefined && answer.body.length > 0 && answer.status < 300 && answer.content_type.includes("json")) {
      problems.push(`${where}: the document declares no body, the server answered ${answer.body.slice(0, 200)}`);
    }
    continue;
  }
  if (!answer.content_type.startsWith("application/json")) {
    problems.push(`${where}: declared JSON, answered ${answer.content_type}`);
    continue;
  }
  let body;
  try {
    body = JSON.parse(answer.body);
  } catch (error) {
    problems.push(`${where}: the body is not JSON (${error.message})`);
    continue;
  }
  const validate = validatorFor(schema);
  checked += 1;
  if (!validate(body)) {
    for (const error of validate.errors) {
      const detail = error.params?.additionalProperty ?? error.params?.missingProperty ?? "";
      problems.push(`${where}: ${error.instancePath || "(the body)"} ${error.message}${detail ? ` (${detail})` : ""}`);
    }
  }
}

for (const [path, item] of Object.entries(input.document.paths ?? {})) {
  for (const method of Object.keys(item)) {
    if (!answered.has(`${method} ${path}`)) problems.push(`${method.toUpperCase()} ${path}: never answered its success status`);
  }
}

for (const problem of problems) console.log(problem);
console.log(`openapi contract: ${input.answers.length} answers, ${checked} bodies validated, ${problems.length} problems`);
process.exit(problems.length === 0 ? 0 : 1);
