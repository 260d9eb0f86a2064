/**
 * The browser demo page's script (bundled by scripts/demo-browser.ts with the `browser`
 * condition): two in-page parties run each handshake and show the fingerprints of the
 * secrets they derived, and the portable vector suites run against this browser.
 *
 * @module
 */
import { PasswordHandShake, fingerprint } from "poorman-handshake";
import { api, suites } from "portable:suites";
import { failures, runSuites } from "../../test/portable/harness.js";

/** The element with this id (the page is static, so a missing one is a bug). */
function byId<T extends HTMLElement = HTMLElement>(id: string): T {
  const el = document.getElementById(id);
  if (!el) throw new Error(`the page has no #${id}`);
  return el as T;
}

/** Appends one line to a flow's log, with the elapsed time and optionally a value to pick out by id. */
function logLine(list: HTMLElement, started: number, text: string, value?: { id: string; text: string }): void {
  const li = document.createElement("li");
  li.append(text);
  if (value) li.append(" ", Object.assign(document.createElement("code"), { id: value.id, textContent: value.text }));
  li.append(`  (${(performance.now() - started).toFixed(1)} ms)`);
  list.append(li);
}

/** Sets a flow's result line; `data-state` is what the end-to-end test reads. */
function setResult(el: HTMLElement, state: "running" | "ok" | "fail", text: string): void {
  el.dataset.state = state;
  el.textContent = text;
}

/** Alice and Bob run the password handshake with the passwords in the form. */
async function passwordFlow(): Promise<void> {
  const log = byId("password-log"), result = byId("password-result");
  log.replaceChildren();
  setResult(result, "running", "Running…");
  const t = performance.now();
  const alice = new PasswordHandShake(byId<HTMLInputElement>("password-alice").value);
  const bob = new PasswordHandShake(byId<HTMLInputElement>("password-bob").value);
  const toBob = await alice.generateHandshake();
  logLine(log, t, `alice sends hsub ${toBob}`);
  const toAlice = await bob.generateHandshake();
  logLine(log, t, `bob sends hsub ${toAlice}`);
  const [aliceOk, bobOk] = await Promise.all([alice.receiveAndVerify(toAlice), bob.receiveAndVerify(toBob)]);
  logLine(log, t, `alice verified bob's hsub: ${aliceOk}`);
  logLine(log, t, `bob verified alice's hsub: ${bobOk}`);
  if (!alice.secret || !bob.secret) {
    setResult(result, "fail", "No shared secret: the passwords differ.");
    return;
  }
  const fa = fingerprint(alice.secret), fb = fingerprint(bob.secret);
  logLine(log, t, "alice secret fingerprint", { id: "password-fp-alice", text: fa });
  logLine(log, t, "bob secret fingerprint", { id: "password-fp-bob", text: fb });
  setResult(result, fa === fb ? "ok" : "fail", fa === fb ? `Fingerprints match: ${fa}` : "Fingerprints differ!");
}

/** Runs every portable vector suite here, fetching the vector files from the demo server. */
async function vectorsFlow(): Promise<void> {
  const result = byId("vectors-result"), body = byId("vectors-table").querySelector("tbody")!, list = byId("vectors-failures");
  body.replaceChildren();
  list.replaceChildren();
  setResult(result, "running", "Running…");
  const load = async (path: string) => {
    const res = await fetch(`/vectors/${path}`);
    if (!res.ok) throw new Error(`GET /vectors/${path}: ${res.status}`);
    return res.json();
  };
  const report = { runtime: navigator.userAgent, suites: await runSuites(suites, api, load) };
  let passed = 0;
  for (const s of report.suites) {
    const ok = s.cases.filter((c) => c.ok).length;
    passed += ok;
    const tr = document.createElement("tr");
    for (const cell of [s.name, String(ok), String(s.cases.length - ok)]) tr.append(Object.assign(document.createElement("td"), { textContent: cell }));
    body.append(tr);
  }
  const failed = failures(report);
  for (const f of failed) list.append(Object.assign(document.createElement("li"), { textContent: f }));
  result.dataset.passed = String(passed);
  result.dataset.failed = String(failed.length);
  setResult(result, failed.length === 0 && passed > 0 ? "ok" : "fail", `${passed} passed, ${failed.length} failed in ${report.suites.length} suites`);
}

/** Runs a flow, turning an exception into a visible failure instead of a silent one. */
function guarded(flow: () => Promise<void>, resultId: string): () => void {
  return () => {
    flow().catch((e: unknown) => setResult(byId(resultId), "fail", `Error: ${e instanceof Error ? e.message : String(e)}`));
  };
}

byId("password-form").addEventListener("submit", (e) => {
  e.preventDefault();
  guarded(passwordFlow, "password-result")();
});
byId("vectors-run").addEventListener("click", guarded(vectorsFlow, "vectors-result"));
document.body.dataset.ready = "true";
