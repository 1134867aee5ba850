// The edits the benchmark and the profile make: a 1,000-line manifest, and one edit of it
// in the page, timed from just before its `input` event to its results in the DOM.
import { example } from "./fixtures.mjs";

/** 1,000 lines (23.6 KB): the insecure and hardened Deployments, the RBAC and
 * NetworkPolicy examples, repeated with distinct names. */
export async function thousandLines() {
  const documents = [
    await example("insecure-deployment.yaml"),
    await example("hardened-deployment.yaml"),
    await example("guide/layer2-rbac-least-privilege.yaml"),
    await example("guide/layer1-network-policies.yaml"),
  ];
  let text = "";
  let copy = 0;
  while (text.split("\n").length < 1000) {
    const document = documents[copy % documents.length].replace(/name: ([a-z0-9-]+)/g, `name: $1-${copy}`);
    text += `---\n${document.trimEnd()}\n`;
    copy += 1;
  }
  return text.split("\n").slice(0, 1000).join("\n") + "\n";
}

/**
 * One edit, run in the page (`page.evaluate(edit, [round, kind])`): `performance.now()`
 * just before the `input` event, again when the results of that edit are in the DOM (a
 * MutationObserver sees the results' new `data-generation`), and once the next frame is
 * rendered (a task posted from its animation frame callback). Returns the two durations
 * in milliseconds and the engine's share (`check`).
 */
export async function edit([round, kind]) {
  const area = document.querySelector('[data-testid="manifest-input"]');
  const before = Number(document.querySelector(".results").dataset.generation);
  const done = new Promise((resolve) => {
    const observer = new MutationObserver(() => {
      const results = document.querySelector(".results");
      if (results && Number(results.dataset.generation) > before) {
        observer.disconnect();
        const dom = performance.now();
        // Animation frame callbacks run before the frame's style, layout and paint; a task
        // posted from one runs after them.
        requestAnimationFrame(() => {
          const channel = new MessageChannel();
          channel.port1.onmessage = () => resolve({ dom, frame: performance.now(), check: Number(results.dataset.checkMs) });
          channel.port2.postMessage(null);
        });
      }
    });
    observer.observe(document.querySelector(".results-pane"), { childList: true, subtree: true, attributes: true });
  });
  // The middle of the text, where a new line moves every finding below it.
  const middle = area.value.indexOf("\n", area.value.length / 2);
  let started;
  if (kind === "typed") {
    // A new line typed (then taken back) in the middle, through the browser's editing
    // commands, as a key press makes it: the textarea changes one text node in place, and
    // its input event comes from the command itself.
    area.focus();
    area.setSelectionRange(middle, round % 2 === 0 ? middle : middle + 1);
    started = performance.now();
    document.execCommand(round % 2 === 0 ? "insertText" : "delete", false, "\n");
  } else {
    if (kind === "in-place") {
      // One character changed in place (a digit of the first Deployment's replicas): no
      // line moves, so only that object's results may change.
      const at = area.value.indexOf("replicas:") + "replicas: ".length;
      area.value = area.value.slice(0, at) + String((round % 9) + 1) + area.value.slice(at + 1);
    } else {
      // A new line (then taken back) in the middle, the whole value assigned: the textarea
      // lays out all of its text again.
      area.value =
        round % 2 === 0
          ? area.value.slice(0, middle) + "\n" + area.value.slice(middle)
          : area.value.slice(0, middle) + area.value.slice(middle + 1);
    }
    started = performance.now();
    area.dispatchEvent(new Event("input", { bubbles: true }));
  }
  const { dom, frame, check } = await done;
  return { dom: dom - started, frame: frame - started, check };
}

/** Ten custom policies for the benchmark: the four of examples/policies (without their test
 * cases) and renamed copies of them, bound to the workloads of the 1,000 lines. */
export async function tenPolicies() {
  const names = ["required-labels", "trusted-registries", "no-latest-tag", "replica-limit"];
  const texts = [];
  for (const name of names) {
    const text = await example(`policies/${name}.yaml`);
    texts.push([name, text.split("---\napiVersion: rampart.dev/v1\nkind: PolicyTest")[0]]);
  }
  const policies = [];
  for (let copy = 0; policies.length < 10; copy++) {
    for (const [name, text] of texts) {
      if (policies.length === 10) break;
      // The policy, its binding and its params renamed together.
      policies.push(copy === 0 ? text : text.replace(new RegExp(`: ${name}$`, "gm"), `: ${name}-${copy}`));
    }
  }
  return policies.join("---\n");
}
