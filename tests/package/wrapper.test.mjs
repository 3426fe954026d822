// The assembled npm package (pkg/) as a page uses it: the TypeScript wrapper, lazy wasm init
// under a strict CSP, PleoOAuthError, and a whole redirect → callback → handoff round trip with
// real navigations in headless Chromium (Debian's, driven by playwright-core). A tiny fake
// authorization endpoint on the same loopback server answers the redirect.
//
// Run: node --test tests/package/  (after `make pkg`)
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import http from "node:http";
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { launchChromium } from "../support/chromium.mjs";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const pkgDir = process.env.PLEO_PKG_DIR ? path.resolve(process.env.PLEO_PKG_DIR) : path.join(root, "pkg");

const CSP = "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; connect-src 'self'";
const exchanges = [];
let wasmFetches = 0;
let server, origin, browser, page;

function serve(req, res) {
  const url = new URL(req.url, origin);
  if (url.pathname.startsWith("/pkg/")) {
    const file = path.join(pkgDir, path.basename(url.pathname));
    if (file.endsWith(".wasm")) wasmFetches += 1;
    if (!fs.existsSync(file)) return res.writeHead(404).end();
    const type = file.endsWith(".wasm") ? "application/wasm" : "text/javascript";
    return res.writeHead(200, { "content-type": type }).end(fs.readFileSync(file));
  }
  if (url.pathname === "/authorize") {
    // A fake authorization server: approves, or denies when login_hint=deny.
    const back = new URL(url.searchParams.get("redirect_uri"));
    back.searchParams.set("state", url.searchParams.get("state"));
    if (url.searchParams.get("login_hint") === "deny") {
      back.searchParams.set("error", "access_denied");
      back.searchParams.set("error_description", "The user said no");
    } else {
      back.searchParams.set("code", "code-" + exchanges.length);
    }
    return res.writeHead(302, { location: back.href }).end();
  }
  if (url.pathname === "/api/pleo/exchange" && req.method === "POST") {
    let body = "";
    req.on("data", (c) => (body += c));
    req.on("end", () => {
      const parsed = JSON.parse(body);
      exchanges.push({ headers: req.headers, body: parsed });
      res.writeHead(200, { "content-type": "application/json" }).end(
        JSON.stringify({ connected: true, receivedCode: parsed.code, verifierLength: parsed.code_verifier.length }),
      );
    });
    return;
  }
  if (url.pathname === "/app/boot.js") {
    // Exposes the package and a runner that turns failures into plain data for the test.
    return res.writeHead(200, { "content-type": "text/javascript" }).end(`
      import * as m from "/pkg/index.js";
      window.run = async (f) => {
        try { return { ok: await f(m) }; }
        catch (e) { return { err: { ...e, name: e.name, message: e.message, isError: e instanceof Error, isPleo: e instanceof m.PleoOAuthError } }; }
      };
      document.body.dataset.ready = "1";`);
  }
  if (url.pathname.startsWith("/app/")) {
    // /app/no-wasm-csp: a page whose CSP forgot 'wasm-unsafe-eval'.
    const csp = url.pathname === "/app/no-wasm-csp" ? CSP.replace(" 'wasm-unsafe-eval'", "") : CSP;
    return res
      .writeHead(200, { "content-type": "text/html", "content-security-policy": csp, "referrer-policy": "no-referrer" })
      .end('<!doctype html><meta charset=utf-8><title>wrapper test</title><body><script type=module src="/app/boot.js"></script>');
  }
  res.writeHead(404).end();
}

before(async () => {
  assert.ok(fs.existsSync(path.join(pkgDir, "index.js")), "run `make pkg` first");
  server = http.createServer(serve);
  await new Promise((r) => server.listen(0, "127.0.0.1", r));
  origin = `http://127.0.0.1:${server.address().port}`;
  browser = await launchChromium();
  page = await browser.newPage();
  page.on("pageerror", (e) => console.error("page error:", e));
});

after(async () => {
  await browser?.close();
  server?.close();
});

const config = () => ({
  clientId: "client-1",
  redirectUri: `${origin}/app/callback`,
  scopes: ["users:read", "export-jobs:read"],
  environment: { authorizationEndpoint: `${origin}/authorize` },
  handoff: { url: "/api/pleo/exchange" },
});

/**
 * Runs `fn(module, config)` in the page (through window.run of boot.js, since the page's CSP
 * forbids eval) and returns `{ ok }` or `{ err }` as plain data.
 */
async function inPage(fn, cfg = config()) {
  await page.waitForSelector("body[data-ready]", { state: "attached" });
  // An expression string goes through DevTools' evaluate, which the page's CSP does not govern.
  return page.evaluate(`window.run((m) => (${fn})(m, ${JSON.stringify(cfg)}))`);
}

test("importing the package in Node touches no browser global; create() rejects with invalid_config", async () => {
  const m = await import(pathToFileURL(path.join(pkgDir, "index.js")).href);
  await assert.rejects(m.PleoOAuth.create(config()), (e) => {
    assert.ok(e instanceof m.PleoOAuthError && e instanceof Error);
    assert.equal(e.code, "invalid_config");
    assert.match(e.message, /on the client/);
    return true;
  });
});

test("errors are PleoOAuthError instances with code and message", async () => {
  await page.goto(`${origin}/app/start`);
  const r = await inPage((m, cfg) => m.PleoOAuth.create({ ...cfg, redirectUri: "http://example.com/cb" }));
  assert.equal(r.err.isPleo, true);
  assert.equal(r.err.isError, true);
  assert.equal(r.err.name, "PleoOAuthError");
  assert.equal(r.err.code, "invalid_config");
  assert.match(r.err.message, /redirectUri must use https:/);
  const typo = await inPage((m, cfg) => m.PleoOAuth.create({ ...cfg, scope: ["users:read"] }));
  assert.equal(typo.err.code, "invalid_config");
  assert.match(typo.err.message, /unknown option "scope"/);
});

test("a CSP without 'wasm-unsafe-eval' gives a PleoOAuthError that says so; the next call tries the load again", async () => {
  await page.goto(`${origin}/app/no-wasm-csp`);
  const fetchesBefore = wasmFetches;
  const r = await inPage((m, cfg) => m.PleoOAuth.create(cfg));
  assert.equal(r.err.isPleo, true);
  assert.equal(r.err.code, "invalid_config");
  assert.match(r.err.message, /wasm-unsafe-eval/);
  const again = await inPage((m) => m.generateState());
  assert.equal(again.err.code, "invalid_config", "fails the same way while the CSP is unchanged");
  assert.equal(wasmFetches, fetchesBefore + 2, "the failed load was not cached: the second call fetched the module again");
});

test("low-level helpers load the wasm lazily, once, and work", async () => {
  await page.goto(`${origin}/app/start`);
  await page.waitForSelector("body[data-ready]", { state: "attached" });
  const beforeCalls = wasmFetches;
  const concurrent = await inPage((m) => Promise.all([m.generateState(), m.generateState(), m.createPkce(), m.codeChallenge("a".repeat(43))]));
  assert.equal(concurrent.ok.length, 4);
  assert.equal(wasmFetches, beforeCalls + 1, "importing fetched nothing; four concurrent first calls fetched the module once");
  const r = await inPage(async (m) => ({
    challenge: await m.codeChallenge("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"),
    pkce: await m.createPkce(),
    states: [await m.generateState(), await m.generateState()],
    parsed: await m.parseCallback("https://x.example/cb?code=a&state=b&iss=c"),
  }));
  assert.equal(r.ok.challenge, "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM");
  assert.equal(r.ok.pkce.method, "S256");
  assert.equal(r.ok.pkce.verifier.length, 43);
  assert.notEqual(r.ok.states[0], r.ok.states[1]);
  assert.deepEqual(r.ok.parsed, { code: "a", state: "b", iss: "c" });
  const dup = await inPage((m) => m.parseCallback("https://x.example/cb?state=a&state=b"));
  assert.equal(dup.err.code, "duplicate_parameter");
  assert.equal(dup.err.isPleo, true);
  const bad = await inPage((m) => m.codeChallenge("too-short"));
  assert.equal(bad.err.code, "invalid_parameter");
});

test("redirect → fake server → callback → handoff; a reload and a replay are already_handled, another browser's is unknown_state, never a second exchange", async () => {
  await page.goto(`${origin}/app/start`);
  const before = exchanges.length;
  await Promise.all([
    page.waitForURL(/\/app\/callback\?/),
    inPage((m, cfg) => m.PleoOAuth.create(cfg).then((p) => p.redirect({ returnTo: "/app/done" }))),
  ]);
  const callbackUrl = page.url();
  assert.match(callbackUrl, /[?&]code=/);
  const r = await inPage(async (m, cfg) => {
    const pleo = await m.PleoOAuth.create(cfg);
    const [a, b] = await Promise.all([pleo.handleCallback(), pleo.handleCallback()]); // StrictMode
    return { a, same: a === b, href: location.href };
  });
  assert.equal(r.ok.same, true);
  assert.equal(r.ok.a.returnTo, "/app/done");
  assert.equal(r.ok.a.backend.connected, true);
  assert.equal(r.ok.a.backend.verifierLength, 43);
  assert.equal(r.ok.href, `${origin}/app/callback`, "code and state gone from the address bar");
  assert.equal(exchanges.length, before + 1, "exactly one exchange");
  const ex = exchanges.at(-1);
  assert.equal(ex.headers["x-requested-with"], "pleo-oauth");
  assert.equal(ex.headers["content-type"], "application/json");
  assert.deepEqual(Object.keys(ex.body).sort(), ["code", "code_verifier", "redirect_uri", "state"]);
  assert.equal(ex.body.redirect_uri, `${origin}/app/callback`);

  // A reload of the cleaned callback page: already_handled with the connection's returnTo.
  await page.reload();
  const reload = await inPage((m, cfg) => m.PleoOAuth.create(cfg).then((p) => p.handleCallback()));
  assert.equal(reload.err.code, "already_handled");
  assert.equal(reload.err.returnTo, "/app/done");
  // The same callback URL loaded again (Back, then Approve again): already_handled, nothing exchanged.
  await page.goto(callbackUrl);
  const replay = await inPage((m, cfg) => m.PleoOAuth.create(cfg).then((p) => p.handleCallback()));
  assert.equal(replay.err.code, "already_handled");
  assert.equal(replay.err.returnTo, "/app/done");
  assert.equal(exchanges.length, before + 1);
  // In another browser it is a state that browser never completed.
  const elsewhereContext = await browser.newContext();
  const other = await elsewhereContext.newPage();
  await other.goto(callbackUrl);
  await other.waitForSelector("body[data-ready]", { state: "attached" });
  const elsewhere = await other.evaluate(`window.run((m) => m.PleoOAuth.create(${JSON.stringify(config())}).then((p) => p.handleCallback()))`);
  await elsewhereContext.close();
  assert.equal(elsewhere.err?.code, "unknown_state");
  assert.equal(exchanges.length, before + 1);
});

test("a denied authorisation is an authorization_error with the server's fields", async () => {
  await page.goto(`${origin}/app/start`);
  await Promise.all([
    page.waitForURL(/\/app\/callback\?/),
    inPage((m, cfg) => m.PleoOAuth.create(cfg).then((p) => p.redirect({ extraParams: { login_hint: "deny" } }))),
  ]);
  const r = await inPage((m, cfg) => m.PleoOAuth.create(cfg).then((p) => p.handleCallback()));
  assert.equal(r.err.isPleo, true);
  assert.equal(r.err.code, "authorization_error");
  assert.equal(r.err.error, "access_denied");
  assert.equal(r.err.errorDescription, "The user said no");
});
