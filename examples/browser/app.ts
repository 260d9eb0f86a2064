/**
 * The browser demo page's script (bundled by scripts/demo-browser.ts with the `browser`
 * condition): two in-page parties run each handshake and show the fingerprints of the
 * secrets they derived, and the portable vector suites run against this browser.
 *
 * @module
 */
import { HandShake, PasswordHandShake, fingerprint } from "poorman-handshake";
import { FIBER_WIRE, FiberClient, Keypair } from "poorman-handshake/fiber";
import { HiveMindNode } from "poorman-handshake/hivemind";
import { publicKeyFingerprint } from "poorman-handshake/rsa";
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
  showFingerprints("password", log, result, t, alice.secret, bob.secret);
}

/** Logs both parties' secret fingerprints (ids `<flow>-fp-alice`, `<flow>-fp-bob`) and the verdict. */
function showFingerprints(flow: string, log: HTMLElement, result: HTMLElement, t: number, aliceSecret: Uint8Array, bobSecret: Uint8Array): void {
  const fa = fingerprint(aliceSecret), fb = fingerprint(bobSecret);
  logLine(log, t, "alice secret fingerprint", { id: `${flow}-fp-alice`, text: fa });
  logLine(log, t, "bob secret fingerprint", { id: `${flow}-fp-bob`, text: fb });
  setResult(result, fa === fb ? "ok" : "fail", fa === fb ? `Fingerprints match: ${fa}` : "Fingerprints differ!");
}

/** Alice and Bob each make an RSA key and run the mutual handshake. */
async function rsaFlow(): Promise<void> {
  const log = byId("rsa-log"), result = byId("rsa-result");
  log.replaceChildren();
  setResult(result, "running", "Generating keys…");
  const t = performance.now();
  const [alice, bob] = await Promise.all([HandShake.create(), HandShake.create()]);
  logLine(log, t, `alice key ${await publicKeyFingerprint(alice.pubkey)}, bob key ${await publicKeyFingerprint(bob.pubkey)} (2048-bit)`);
  await Promise.all([alice.loadPublic(bob.pubkey), bob.loadPublic(alice.pubkey)]);
  const [toBob, toAlice] = await Promise.all([alice.generateHandshake(), bob.generateHandshake()]);
  logLine(log, t, `alice sends ${toBob.length / 2} bytes (signature + ciphertext), bob sends ${toAlice.length / 2}`);
  await Promise.all([alice.receiveAndVerify(toAlice), bob.receiveAndVerify(toBob)]);
  logLine(log, t, "both verified the peer's signature and decrypted its contribution");
  if (!alice.secret || !bob.secret) throw new Error("a side has no secret after the handshake");
  showFingerprints("rsa", log, result, t, alice.secret, bob.secret);
}

/** A validator in the page handshakes with a local `pmh serve` miner and POSTs to /echo. */
async function fiberFlow(): Promise<void> {
  const log = byId("fiber-log"), result = byId("fiber-result");
  log.replaceChildren();
  setResult(result, "running", "Running…");
  const url = byId<HTMLInputElement>("fiber-url").value.trim();
  const miner = byId<HTMLInputElement>("fiber-miner").value.trim();
  const payload = { message: byId<HTMLInputElement>("fiber-message").value };
  const t = performance.now();
  const validator = await Keypair.generate();
  logLine(log, t, `validator hotkey ${validator.ss58Address}`);
  const client = new FiberClient({ keypair: validator });
  const session = await client.handshake(url, miner);
  logLine(log, t, "handshake done, symmetric key id", { id: "fiber-uuid", text: session.uuid });
  const answer = await client.post(url, miner, "/echo", payload);
  const answerJson = JSON.stringify(answer);
  logLine(log, t, "POST /echo (Fernet-encrypted) answered", { id: "fiber-answer", text: answerJson });
  // The client adds the request's nonce to the payload on the wire; the miner removes it
  // before the route sees it, so the echo is exactly what we sent.
  const ok = !Object.hasOwn(answer as object, FIBER_WIRE.PAYLOAD_NONCE_FIELD) && JSON.stringify(answer) === JSON.stringify(payload);
  setResult(result, ok ? "ok" : "fail", ok ? "The miner echoed our message (Fiber's nonce field removed before the route)." : `Unexpected answer: ${answerJson}`);
}

/** A HiveMind node in the page connects to a local `pmh hub` and sends an utterance. */
async function hivemindFlow(): Promise<void> {
  const log = byId("hivemind-log"), result = byId("hivemind-result");
  log.replaceChildren();
  setResult(result, "running", "Connecting (argon2id takes a moment)…");
  const url = byId<HTMLInputElement>("hivemind-url").value.trim();
  const utterance = byId<HTMLInputElement>("hivemind-utterance").value;
  const t = performance.now();
  const node = await HiveMindNode.connect(url, {
    accessKey: byId<HTMLInputElement>("hivemind-key").value.trim(),
    password: byId<HTMLInputElement>("hivemind-password").value,
    useragent: "poorman-handshake-browser",
  });
  try {
    logLine(log, t, `${node.protocol.pattern} ${node.protocol.suite} done; hub key`, { id: "hivemind-hub-key", text: Array.from(node.remoteStaticKey, (b) => b.toString(16).padStart(2, "0")).join("") });
    const answer = new Promise<string>((resolve) => node.on("message", (m) => resolve(String((m.payload as { data?: { utterance?: unknown } }).data?.utterance))));
    await node.sendBus("recognizer_loop:utterance", { utterances: [utterance], lang: "en-US" });
    logLine(log, t, "sent recognizer_loop:utterance (encrypted)");
    const spoken = await answer;
    logLine(log, t, "the hub answered speak", { id: "hivemind-answer", text: spoken });
    setResult(result, spoken === utterance ? "ok" : "fail", spoken === utterance ? "The hub spoke our utterance back." : `Unexpected answer: ${spoken}`);
  } finally {
    node.close();
  }
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

/** Runs `flow` on a click of a button or a form's submit, showing an exception as a failure. */
function wire(id: string, flow: () => Promise<void>, resultId: string): void {
  const el = byId(id);
  el.addEventListener(el instanceof HTMLFormElement ? "submit" : "click", (e) => {
    e.preventDefault();
    flow().catch((error: unknown) => setResult(byId(resultId), "fail", `Error: ${error instanceof Error ? error.message : String(error)}`));
  });
}

wire("password-form", passwordFlow, "password-result");
wire("rsa-run", rsaFlow, "rsa-result");
wire("fiber-form", fiberFlow, "fiber-result");
wire("hivemind-form", hivemindFlow, "hivemind-result");
wire("vectors-run", vectorsFlow, "vectors-result");
// Prefill from the query string (?fiber=<miner url>&miner=<ss58>&hub=<ws url>) and show this page's origin.
const query = new URLSearchParams(location.search);
for (const [param, id] of [["fiber", "fiber-url"], ["miner", "fiber-miner"], ["hub", "hivemind-url"]] as const) {
  const value = query.get(param);
  if (value) byId<HTMLInputElement>(id).value = value;
}
document.querySelectorAll(".origin").forEach((el) => (el.textContent = location.origin));
document.body.dataset.ready = "true";
