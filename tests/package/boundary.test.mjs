// The core's boundary as the package ships it (issue 15), through the PUBLIC API in headless
// Chromium: the wasm module imports nothing and exports only memory/input/call; the message
// texts (pkg/messages.js, generated from src/messages.rs) are loaded only when an error is
// reported, and a deployment that does not serve them still gets every error with its code.
//
// Run: node --test tests/package/boundary.test.mjs   (after `make pkg`)
import { test } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { useHarness, open, ok, err, pkgDir, servePkgFile, appPage } from "../support/harness.mjs";

useHarness({
  routes(req, res, url) {
    if (url.pathname === "/nomessages/start") {
      appPage(res, { pkg: "/pkgnomessages/", title: "a deployment without messages.js" });
      return true;
    }
    if (url.pathname.startsWith("/pkgnomessages/")) {
      if (url.pathname.endsWith("/messages.js")) res.writeHead(404).end();
      else servePkgFile(res, url.pathname);
      return true;
    }
    if (url.pathname === "/oldmessages/start") {
      appPage(res, { pkg: "/pkgoldmessages/", title: "a messages.js of another build" });
      return true;
    }
    if (url.pathname.startsWith("/pkgoldmessages/")) {
      if (!url.pathname.endsWith("/messages.js")) return servePkgFile(res, url.pathname), true;
      // Another build's texts: one template fewer, so every number points at the wrong one.
      const text = fs.readFileSync(path.join(pkgDir, "messages.js"), "utf8").replace(/\["[^"]*",/, "[");
      res.writeHead(200, { "content-type": "text/javascript" }).end(text);
      return true;
    }
    return false;
  },
});

/** Requests `page` makes for pkg/messages.js. */
function messageRequests(page) {
  const seen = [];
  page.on("request", (r) => new URL(r.url()).pathname.endsWith("/messages.js") && seen.push(r.url()));
  return seen;
}

test("the shipped module imports nothing and exports two functions, input and call, and its memory (no glue)", async () => {
  const module = await WebAssembly.compile(fs.readFileSync(path.join(pkgDir, "pleo_oauth_bg.wasm")));
  assert.deepEqual(WebAssembly.Module.imports(module), []);
  const exports = WebAssembly.Module.exports(module);
  assert.deepEqual(exports.filter((e) => e.kind == "function").map((e) => e.name).sort(), ["call", "input"]);
  assert.deepEqual(exports.filter((e) => e.kind == "memory").map((e) => e.name), ["memory"]);
  // Nothing else crosses: not even the linker's two address globals (scripts/post-link.mjs).
  assert.deepEqual(exports.filter((e) => e.kind == "global").map((e) => e.name).sort(), []);
  assert.equal(exports.length, 3);
  const files = JSON.parse(fs.readFileSync(path.join(pkgDir, "package.json"), "utf8")).files;
  assert.ok(files.includes("messages.js"), "messages.js ships");
  assert.ok(!fs.readFileSync(path.join(pkgDir, "index.js"), "utf8").includes("is not the redirect URI the connection"), "no message text in index.js");
});

test("messages load only when an error is reported: a whole successful flow requests no messages.js; the first error loads it once and carries the full text", async (t) => {
  const { page, run } = await open(t);
  const requests = messageRequests(page);
  const flow = ok(
    await run(async (m, { cfg }) => {
      const pleo = await m.PleoOAuth.create(cfg);
      const url = new URL(await pleo.authorizationUrl({ returnTo: "/back" }));
      const state = url.searchParams.get("state");
      const result = await pleo.handleCallback(`${cfg.redirectUri}?code=c0de&state=${state}`);
      return { returnTo: result.returnTo, verifier: result.handoff.codeVerifier.length };
    }),
  );
  assert.deepEqual(flow, { returnTo: "/back", verifier: 43 });
  assert.equal(requests.length, 0, "no error, no messages.js");

  const e = err(await run((m, { cfg }) => m.PleoOAuth.create({ ...cfg, redirectUri: cfg.redirectUri + "#x" })), "invalid_config");
  assert.equal(e.message, "redirectUri must not contain a fragment (#…).");
  assert.equal(e.isPleo, true);
  const again = err(await run((m, { cfg }) => m.PleoOAuth.create({ ...cfg, scopes: ["users:read", "users:read"] })), "invalid_config");
  assert.equal(again.message, 'scopes lists "users:read" twice.');
  assert.equal(requests.length, 1, "loaded once");
});

test("errors of every layer carry their written-out message: a callback check, a handoff failure, a storage refusal", async (t) => {
  const { run } = await open(t);
  const forged = err(
    await run(async (m, { cfg }) => (await m.PleoOAuth.create(cfg)).handleCallback(`${cfg.redirectUri}?code=c&state=forged`)),
    "unknown_state",
  );
  assert.match(forged.message, /^No connection started in this browser matches this callback's state\./);
  const down = err(
    await run(async (m, { cfg, deadPort }) => {
      const pleo = await m.PleoOAuth.create({ ...cfg, handoff: { url: `http://127.0.0.1:${deadPort}/x` } });
      const state = new URL(await pleo.authorizationUrl()).searchParams.get("state");
      return pleo.handleCallback(`${cfg.redirectUri}?code=c&state=${state}`);
    }),
    "handoff_failed",
  );
  assert.match(down.message, /^The handoff endpoint http:\/\/127\.0\.0\.1:\d+\/x could not be reached .*The code was not exchanged;/);
  assert.equal(down.status, 0);
  const refused = err(
    await run(async (m, { cfg }) => {
      const pleo = await m.PleoOAuth.create(cfg);
      Storage.prototype.setItem = () => {
        throw new DOMException("full", "QuotaExceededError");
      };
      return pleo.authorizationUrl();
    }),
    "storage_unavailable",
  );
  assert.equal(refused.message, "sessionStorage refused the operation (full, or blocked). Free some space or allow site storage, then try again.");
});

test("a deployment that does not serve messages.js: errors keep their code, fields and the message's facts, the console says what to serve (once), and the library keeps working", async (t) => {
  const { page, run, pageErrors } = await open(t, "/nomessages/start");
  const requests = messageRequests(page);
  const warnings = [];
  page.on("console", (m) => m.type() == "warning" && m.text().includes("messages.js") && warnings.push(m.text()));
  const e = err(await run((m, { cfg }) => m.PleoOAuth.create({ ...cfg, scopes: ["users:read", "users:read"] })), "invalid_config");
  assert.equal(e.message, "pleo-oauth: invalid_config (users:read)");
  assert.equal(e.isPleo, true);
  const forged = err(
    await run(async (m, { cfg }) => (await m.PleoOAuth.create(cfg)).handleCallback(`${cfg.redirectUri}?code=c&state=forged`)),
    "unknown_state",
  );
  assert.equal(forged.message, "pleo-oauth: unknown_state");
  // The end user's sentence is the general one, the same for every error then.
  for (const x of [e, forged]) assert.equal(x.userMessage, "Connecting to Pleo did not work. Please try again.");
  assert.ok(requests.length >= 1, "it was tried");
  const url = ok(await run(async (m, { cfg }) => (await m.PleoOAuth.create(cfg)).authorizationUrl()));
  assert.match(url, /code_challenge_method=S256/);
  assert.deepEqual(pageErrors, []);
  assert.equal(warnings.length, 1, "warned once");
  assert.match(warnings[0], /serve messages\.js next to index\.js/);
});

test("one error reported by two calls at once (React StrictMode) is written out for both, before either sees it: its message and its userMessage", async (t) => {
  const { run } = await open(t);
  const both = ok(
    await run(async (m, { cfg }) => {
      const pleo = await m.PleoOAuth.create(cfg);
      const url = `${cfg.redirectUri}?code=c&state=forged`;
      const settled = await Promise.allSettled([pleo.handleCallback(url), pleo.handleCallback(url)]);
      return settled.map((s) => [s.reason.code, s.reason.message, s.reason.userMessage]);
    }),
  );
  assert.equal(both.length, 2);
  for (const [code, message, userMessage] of both) {
    assert.equal(code, "unknown_state");
    assert.match(message, /^No connection started in this browser matches this callback's state\./);
    assert.match(userMessage, /does not match a connection started in this browser/);
  }
});

test("a messages.js of another build is not used: the error keeps its code and facts instead of a wrong text", async (t) => {
  const { run } = await open(t, "/oldmessages/start");
  const e = err(await run((m, { cfg }) => m.PleoOAuth.create({ ...cfg, scopes: ["users:read", "users:read"] })), "invalid_config");
  assert.equal(e.message, "pleo-oauth: invalid_config (users:read)");
  const forged = err(
    await run(async (m, { cfg }) => (await m.PleoOAuth.create(cfg)).handleCallback(`${cfg.redirectUri}?code=c&state=forged`)),
    "unknown_state",
  );
  assert.equal(forged.message, "pleo-oauth: unknown_state");
  for (const x of [e, forged]) assert.equal(x.userMessage, "Connecting to Pleo did not work. Please try again.");
});

test("the constructor is create()'s alone: new PleoOAuth() is an invalid_config, never a client the core did not configure", async (t) => {
  const { run } = await open(t);
  const r = ok(
    await run(async (m) => {
      try {
        new m.PleoOAuth("{}", { client: "x", storage: "sessionStorage", prefix: "pleo-oauth:tx:" });
        return "made";
      } catch (e) {
        return [e instanceof m.PleoOAuthError, e.code];
      }
    }),
  );
  assert.deepEqual(r, [true, "invalid_config"]);
});
