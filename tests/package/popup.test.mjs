// PleoOAuth.popup() through the package's PUBLIC API in headless Chromium: a new popup() while
// one is pending supersedes it (the user closed the first at once — which the opener cannot tell
// from a Cross-Origin-Opener-Policy severance — or left it open and clicked again), and the popup
// code is loaded only when used (pkg/popup.js, imported by index.js on popup() and on a
// redirect-URI page that finds the popup's nonce). Harness: tests/support/harness.mjs, plus a
// fake authorization server whose consent page has an Approve link (/authorize) and a redirect-
// URI page that calls handleCallback() on load (/popup/callback).
//
// Run: node --test tests/package/popup.test.mjs   (after `make pkg`)
import { test } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { useHarness, origin, open, runner, ok, err, backendHits, pkgDir, servePkgFile, appPage, consentPage, callbackPage } from "../support/harness.mjs";

const callbackUri = () => `${origin}/popup/callback`;
/** The client of these tests: the fake authorization server, the page's redirect URI, a handoff. */
const popupConfig = () => ({
  clientId: "client-1",
  redirectUri: callbackUri(),
  scopes: ["users:read"],
  environment: { authorizationEndpoint: `${origin}/authorize` },
  handoff: { url: "/api/ok" },
});

useHarness({
  routes(req, res, url) {
    if (url.pathname === "/authorize") {
      // Consent screen: Approve sends the browser back with a code for this state.
      consentPage(res, url, "code-" + url.searchParams.get("state").slice(0, 8));
      return true;
    }
    if (url.pathname === "/popup/callback") {
      callbackPage.page(res, "/popup/callback.js");
      return true;
    }
    if (url.pathname === "/popup/callback.js") {
      // The partner's redirect-URI page: create the client, handle the callback.
      callbackPage.script(res, popupConfig());
      return true;
    }
    if (url.pathname === "/nopopup/start") {
      appPage(res, { pkg: "/pkgnopopup/", title: "a deployment without popup.js" });
      return true;
    }
    if (url.pathname.startsWith("/pkgnopopup/")) {
      if (url.pathname.endsWith("/popup.js")) res.writeHead(404).end();
      else servePkgFile(res, url.pathname);
      return true;
    }
    if (url.pathname === "/pkg/popup.js") {
      // Never from the HTTP cache: every load is a request the test sees.
      servePkgFile(res, "popup.js", { "cache-control": "no-store" });
      return true;
    }
    return false;
  },
});

/** Requests for pkg/popup.js made by `page` itself (not by its popups). */
function popupCodeRequests(page) {
  const seen = [];
  page.on("request", (r) => new URL(r.url()).pathname === "/pkg/popup.js" && seen.push(r.url()));
  return seen;
}

/** The page's client as `window.pleo`. */
async function client(run) {
  ok(await run(async (m, { cfg }) => void (window.pleo = await m.PleoOAuth.create(cfg)), { cfg: popupConfig() }));
}

/**
 * Calls `window.pleo.popup(options)` in the page as the click handler would; its outcome lands in
 * `window[name]` ({ ok } or { err }, with `at`, the time it settled). Returns the popup page.
 */
async function startPopup(context, run, name, options = {}) {
  const [popup] = await Promise.all([
    context.waitForEvent("page"),
    run(
      (m, { name, options }) => {
        window[name + "Started"] = Date.now();
        window.pleo.popup(options).then(
          (v) => (window[name] = { ok: v, at: Date.now() }),
          (e) => (window[name] = { err: window.errData(e), at: Date.now() }),
        );
      },
      { name, options },
    ),
  ]);
  return popup;
}

/** The outcome `startPopup` put in `window[name]`, waiting at most `timeout` ms for it. */
async function outcome(page, name, timeout) {
  await page.waitForFunction((n) => window[n], name, { timeout });
  return page.evaluate((n) => ({ ...window[n], started: window[n + "Started"] }), name);
}

test("popup: closed at once (taken for a COOP severance) and popup() again at once → the first wait ends at once with popup_closed, the second completes with exactly one handoff", async (t) => {
  const { context, page, run, pageErrors } = await open(t);
  await client(run);
  const handoffs = backendHits("/api/ok").length;
  const first = await startPopup(context, run, "first", { timeoutMs: 60_000 });
  await first.waitForSelector("#approve");
  // The user closes it at once: to the opener this is what a COOP severance looks like.
  await first.close();
  const second = await startPopup(context, run, "second");
  // The first wait is over at once (not after its 60 s timeout), as popup_closed.
  const one = await outcome(page, "first", 3000);
  err(one, "popup_closed");
  assert.ok(one.at - (await page.evaluate(() => window.secondStarted)) < 2000, "the first wait ended when the second popup() started");
  await second.waitForSelector("#approve");
  await Promise.all([second.waitForEvent("close"), second.click("#approve")]);
  const two = await outcome(page, "second", 10_000);
  assert.equal(ok(two).backend.connected, true);
  assert.equal(backendHits("/api/ok").length, handoffs + 1, "exactly one handoff");
  assert.deepEqual(pageErrors, []);
});

test("popup: popup() again while the first popup is still open → that window is closed, its wait rejects with popup_closed, the new one completes once", async (t) => {
  const { context, page, run, pageErrors } = await open(t);
  await client(run);
  const handoffs = backendHits("/api/ok").length;
  const first = await startPopup(context, run, "first", { timeoutMs: 60_000 });
  await first.waitForSelector("#approve");
  await page.waitForTimeout(2100); // past the 2 s in which `closed` is taken for a severance
  const firstClosed = first.waitForEvent("close", { timeout: 3000 });
  const second = await startPopup(context, run, "second");
  await firstClosed;
  err(await outcome(page, "first", 3000), "popup_closed");
  await second.waitForSelector("#approve");
  await Promise.all([second.waitForEvent("close"), second.click("#approve")]);
  assert.equal(ok(await outcome(page, "second", 10_000)).backend.connected, true);
  assert.equal(backendHits("/api/ok").length, handoffs + 1, "exactly one handoff");
  assert.deepEqual(pageErrors, []);
});

test("popup code loads only when used: pkg/index.js holds none of it; a redirect flow never requests pkg/popup.js; popup() loads it in the opener, and the popup's redirect-URI page to relay", async (t) => {
  const index = fs.readFileSync(path.join(pkgDir, "index.js"), "utf8");
  const code = fs.readFileSync(path.join(pkgDir, "popup.js"), "utf8");
  assert.doesNotMatch(index, /BroadcastChannel/, "the wait and the relay are not in the main entry");
  assert.match(code, /BroadcastChannel/);
  assert.match(index, /import\("\.\/popup\.js"\)/, "a literal relative specifier, which bundlers follow");
  const manifest = JSON.parse(fs.readFileSync(path.join(pkgDir, "package.json"), "utf8"));
  assert.ok(manifest.files.includes("popup.js"));
  assert.ok(!Object.keys(manifest.exports).some((k) => k.includes("popup")), "popup.js is no public entry");

  // A redirect flow, start to callback page, in one tab: no popup code.
  const { context, page, run } = await open(t);
  const requests = popupCodeRequests(page);
  await client(run);
  const url = ok(await run(async () => await window.pleo.authorizationUrl({ returnTo: "/done" })));
  await page.goto(`${callbackUri()}?code=c1&state=${new URL(url).searchParams.get("state")}`);
  await page.waitForSelector("body[data-result], body[data-error]", { state: "attached" });
  assert.equal(await page.getAttribute("body", "data-error"), null);
  assert.deepEqual(requests, [], "the redirect flow loaded no popup code");

  // popup(): the opener loads it once; the popup's redirect-URI page loads it to relay.
  await page.goto(`${origin}/app/start`);
  await client(runner(page));
  const popup = await startPopup(context, runner(page), "first");
  await popup.waitForSelector("#approve");
  assert.equal(requests.length, 1, "popup() loaded pkg/popup.js");
  const inPopup = popupCodeRequests(popup);
  await Promise.all([popup.waitForEvent("close"), popup.click("#approve")]);
  assert.equal(ok(await outcome(page, "first", 10_000)).backend.connected, true);
  assert.equal(inPopup.length, 1, "the redirect-URI page in the popup loaded pkg/popup.js to relay");
  assert.equal(requests.length, 1, "loaded once");
});

test("popup: a deployment that does not serve popup.js → popup() rejects with invalid_config naming it, and the popup is closed", async (t) => {
  const { context, page, run } = await open(t, "/nopopup/start");
  await client(run);
  const popup = await startPopup(context, run, "first");
  const e = err(await outcome(page, "first", 5000), "invalid_config");
  assert.match(e.message, /popup\.js/);
  if (!popup.isClosed()) await popup.waitForEvent("close", { timeout: 3000 });
});
