// Hardening round 3 (issue 16), through the package's PUBLIC API in headless Chromium: a
// transaction belongs to one client, one server and one tab's consume.
//   1. a callback is handled only by the client that started it (client ID, authorisation
//      endpoint, handoff URL): another client gets unknown_state, nothing is POSTed anywhere,
//      and the record is left for its own client;
//   2. two tabs handling one callback at the same moment with storage: "local" hand it off once
//      (Web Locks);
//   3. while popup() waits, the popup's callback opened in another tab (storage: "local") is not
//      taken there: unknown_state, no POST, and the popup still completes;
//   4. the message quotes a bounded part of the server's error and error_description;
//   5. usePleoCallback: options that change while the callback is handed off neither start it
//      again nor report already_handled.
// Each was written to fail on the 0.2 package first (PLEO_PKG_DIR=<0.2's pkg>).
//
// Run: node --test tests/package/round3.test.mjs   (after `make pkg`)
import { test } from "node:test";
import assert from "node:assert/strict";
import crypto from "node:crypto";
import { useHarness, hits, origin, config, open, ok, err, backendHits, browser, runner, CSP, consentPage, callbackPage } from "../support/harness.mjs";

// A React stand-in for one component: hooks kept by call order across renders, effects run when
// their dependencies change (the previous cleanup first), as React does.
const REACT_STUB = `
  let slots = [], i = 0, pending = [];
  export const useState = (v) => {
    const k = i++;
    if (!(k in slots)) slots[k] = [v, (x) => { slots[k][0] = x; (window.__states ??= []).push(x); }];
    return slots[k];
  };
  export const useRef = (v) => { const k = i++; return (slots[k] ??= { current: v }); };
  export const useCallback = (f) => f;
  export const useEffect = (f, deps) => {
    const k = i++;
    const old = slots[k];
    if (!old || !deps || deps.some((d, j) => d !== old.deps[j])) {
      pending.push(() => { old?.cleanup?.(); slots[k] = { deps, cleanup: f() }; });
    } 
  };
  export const render = (hook) => { i = 0; pending = []; const out = hook(); for (const run of pending) run(); return out; };`;
const IMPORT_MAP = JSON.stringify({ imports: { react: "/app/react-stub.js" } });
const IMPORT_MAP_HASH = `'sha256-${crypto.createHash("sha256").update(IMPORT_MAP).digest("base64")}'`;

useHarness({
  routes(req, res, url) {
    if (url.pathname === "/authorize") {
      consentPage(res, url, "real-code");
      return true;
    }
    if (url.pathname === "/r3/callback") {
      callbackPage.page(res, "/r3/callback.js");
      return true;
    }
    if (url.pathname === "/r3/callback.js") {
      // The partner's redirect-URI page: create the client, handle the callback.
      callbackPage.script(res, popupConfig());
      return true;
    }
    if (url.pathname === "/api/slow") {
      // A backend that takes 600 ms to exchange the code.
      let raw = "";
      req.on("data", (c) => (raw += c));
      req.on("end", () => {
        hits.push({ method: req.method, path: url.pathname, headers: req.headers, body: raw });
        setTimeout(() => res.writeHead(200, { "content-type": "application/json" }).end('{"connected":true}'), 600);
      });
      return true;
    }
    if (url.pathname === "/app/react-stub.js") {
      res.writeHead(200, { "content-type": "text/javascript" }).end(REACT_STUB);
      return true;
    }
    if (url.pathname === "/app/react" || url.pathname === "/app/react-callback") {
      const csp = CSP.replace("script-src 'self'", `script-src 'self' ${IMPORT_MAP_HASH}`);
      res
        .writeHead(200, { "content-type": "text/html", "content-security-policy": csp, "referrer-policy": "no-referrer" })
        .end(`<!doctype html><meta charset=utf-8><title>react test</title><script type=importmap>${IMPORT_MAP}</script><body><script type=module src="/app/boot.js"></script>`);
      return true;
    }
    return false;
  },
});

const show = (o) => JSON.stringify(o);
/** The popup test's client: storage "local", the consent page above, its own callback page. */
const popupConfig = () =>
  config({
    redirectUri: `${origin}/r3/callback`,
    storage: "local",
    environment: { authorizationEndpoint: `${origin}/authorize` },
    handoff: { url: "/api/ok?popup" },
  });

// ------------------------------------------------------------------------------------ 1. one client

/**
 * Starts with `started`, handles the callback with `handling`: unknown_state, no POST to either
 * handoff, the record untouched; then `started`'s own client completes it.
 */
async function handledByAnother(t, started, handling) {
  const { run } = await open(t);
  const from = hits.length;
  const out = ok(
    await run(
      async (m, a) => {
        const settle = (p) => p.then((v) => ({ ok: v }), (e) => ({ err: window.errData(e) }));
        const A = await m.PleoOAuth.create(a.started);
        const B = await m.PleoOAuth.create(a.handling);
        const state = new URL(await A.authorizationUrl({ returnTo: "/a" })).searchParams.get("state");
        const key = "pleo-oauth:tx:" + state;
        const before = sessionStorage.getItem(key);
        const url = `${a.redirectUri}?code=ATTACKER-CODE&state=${state}`;
        const other = await settle(B.handleCallback(url));
        const after = sessionStorage.getItem(key);
        const own = await settle(A.handleCallback(`${a.redirectUri}?code=c0de&state=${state}`));
        return { other, untouched: before === after, own };
      },
      { started, handling },
    ),
  );
  const e = err(out.other, "unknown_state");
  assert.equal(e.returnTo, undefined, "nothing of A's connection");
  assert.ok(!/ATTACKER|verifier/.test(e.message), e.message);
  assert.ok(out.untouched, "the record is left for the client that wrote it");
  const posts = hits.slice(from).filter((h) => h.method === "POST");
  assert.ok(out.own.ok, `A completes its own: ${show(out.own)}`);
  // Only A's own completion POSTed, to A's handoff, with A's code.
  assert.deepEqual(
    posts.map((h) => [h.path, h.body?.code]),
    started.handoff ? [[started.handoff.url, "c0de"]] : [],
  );
}

test("1. RFC 9700 §4.4 (mix-up): started with environment staging + handoff /api/ok?s, handled by a production client with handoff /api/ok?p → unknown_state, nothing POSTed, the record left for its client", async (t) => {
  await handledByAnother(t, config({ environment: "staging", handoff: { url: "/api/ok?s" } }), config({ environment: "production", handoff: { url: "/api/ok?p" } }));
});

test("1. two custom endpoints (the same issuer configuration, the same redirect URI) → unknown_state, nothing POSTed", async (t) => {
  await handledByAnother(
    t,
    config({ environment: { authorizationEndpoint: `${origin}/authorize` }, handoff: { url: "/api/ok?a" } }),
    config({ environment: { authorizationEndpoint: `${origin}/authorize-b` }, handoff: { url: "/api/ok?a" } }),
  );
});

test("1. client A started; client B (another clientId, the same redirect URI, another backend origin) → unknown_state, A's code and verifier go to no backend", async (t) => {
  await handledByAnother(t, config({ handoff: { url: "/api/ok?a" } }), config({ clientId: "client-b", handoff: { url: "/api/ok?b" } }));
});

test("1. client A started with a handoff; client B without one would hand A's verifier to page script → unknown_state", async (t) => {
  await handledByAnother(t, config({ handoff: { url: "/api/ok?a" } }), config({ clientId: "client-b" }));
  await handledByAnother(t, config({ handoff: { url: "/api/ok?a" } }), config());
});

// ------------------------------------------------------------------------------------ 2. one consume

test('2. RFC 6749 §4.1.2 (a code is used once): two tabs sharing storage: "local" handle the same callback at the same moment, 20 rounds → one handoff per round, the other tab already_handled', async (t) => {
  const context = await browser.newContext();
  t.after(() => context.close());
  const tabs = [];
  for (let i = 0; i < 2; i++) {
    const page = await context.newPage();
    await page.goto(origin + "/app/start");
    tabs.push(runner(page));
  }
  const cfg = config({ storage: "local", handoff: { url: "/api/ok?race" } });
  // Both tabs have their client (and the module) ready before the race.
  for (const run of tabs) ok(await run(async (m, a) => void (window.pleo = await m.PleoOAuth.create(a.cfg)), { cfg }));
  const problems = [];
  for (let round = 0; round < 20; round++) {
    const url = new URL(ok(await tabs[0]((m) => window.pleo.authorizationUrl())));
    const callback = `${origin}/app/callback?code=code-${round}&state=${url.searchParams.get("state")}`;
    // As when a user comes back from Pleo, the transaction is in both tabs' view of localStorage
    // before the callback (a tab's copy catches up after a moment: under load, it can lag
    // behind a callback handled within 50 ms of the start, and that tab rightly finds nothing).
    const key = "pleo-oauth:tx:" + url.searchParams.get("state");
    for (const run of tabs) {
      ok(await run(async (m, a) => {
        for (const until = Date.now() + 10_000; localStorage.getItem(a.key) == null && Date.now() < until; ) await new Promise((r) => setTimeout(r, 5));
      }, { key }));
    }
    const from = hits.length;
    const both = await Promise.all(
      tabs.map((run) =>
        run(async (m, a) => {
          // Both start at the next whole 50 ms, so that neither is ahead by a page evaluation.
          await new Promise((r) => setTimeout(r, 50 - (Date.now() % 50)));
          return window.pleo.handleCallback(a.callback).then(
            (r) => "ok",
            (e) => e.code,
          );
        }, { callback }),
      ),
    );
    const posts = backendHits("/api/ok?race", from).length;
    const outcomes = both.map((b) => b.ok).sort().join(",");
    if (posts !== 1 || outcomes !== "already_handled,ok") problems.push(`round ${round}: ${posts} handoffs, outcomes ${outcomes}`);
  }
  assert.deepEqual(problems, []);
});

// ------------------------------------------------------------------------------------ 3. the popup's

test('3. while popup() waits (storage: "local"), its callback with an attacker\'s code opened in another tab is unknown_state there, POSTs nothing, and leaves the transaction to the popup, which then completes', async (t) => {
  const context = await browser.newContext();
  t.after(() => context.close());
  const opener = await context.newPage();
  await opener.goto(origin + "/app/start");
  const run = runner(opener);
  const cfg = popupConfig();
  ok(await run(async (m, a) => void (window.pleo = await m.PleoOAuth.create(a.cfg)), { cfg }));
  const [popup] = await Promise.all([
    context.waitForEvent("page"),
    run(() => {
      window.pleo.popup({ returnTo: "/p" }).then(
        (v) => (window.popupOutcome = { ok: v }),
        (e) => (window.popupOutcome = { err: window.errData(e) }),
      );
    }),
  ]);
  await popup.waitForSelector("#approve");
  const state = new URL(popup.url()).searchParams.get("state");
  const from = hits.length;
  // The attacker makes the user open the callback with the popup's state in another tab.
  const other = await context.newPage();
  await other.goto(`${origin}/r3/callback?code=ATTACKER&state=${state}`);
  await other.waitForSelector("body[data-error], body[data-result]", { state: "attached" });
  assert.equal(await other.evaluate(() => document.body.dataset.error), "unknown_state");
  assert.equal(backendHits("/api/ok?popup", from).length, 0, "nothing handed off from the other tab");
  // The popup's own callback still completes, in the opener.
  await Promise.all([popup.waitForEvent("close"), popup.click("#approve")]);
  await opener.waitForFunction(() => window.popupOutcome, undefined, { timeout: 10_000 });
  const outcome = await opener.evaluate(() => window.popupOutcome);
  assert.ok(outcome.ok, `the popup: ${show(outcome)}`);
  assert.equal(outcome.ok.returnTo, "/p");
  assert.deepEqual(backendHits("/api/ok?popup", from).map((h) => h.body.code), ["real-code"]);
});

// ------------------------------------------------------------------------------------ 4. bounded

test("4. a callback with a 20 KB error_description and a 5,000-character error: the message quotes a bounded part (no page of someone else's text); the fields keep it whole", async (t) => {
  const { run } = await open(t);
  const description = "Your account is locked. Call +1 555 0100 now. ".repeat(450); // ~20 KB
  const error = "E".repeat(5000);
  const out = ok(
    await run(
      async (m, a) => {
        const pleo = await m.PleoOAuth.create(a.cfg);
        const state = new URL(await pleo.authorizationUrl()).searchParams.get("state");
        const q = new URLSearchParams({ error: a.error, error_description: a.description, state });
        return pleo.handleCallback(`${a.redirectUri}?${q}`).then(
          () => null,
          (e) => ({ code: e.code, message: e.message, error: e.error, errorDescription: e.errorDescription }),
        );
      },
      { error, description },
    ),
  );
  assert.equal(out.code, "authorization_error");
  assert.ok(out.message.length < 600, `message of ${out.message.length} characters`);
  assert.ok(out.message.includes("E".repeat(64)) && !out.message.includes("E".repeat(65)), out.message);
  assert.ok(out.message.includes("Your account is locked.") && out.message.includes("…"), out.message);
  assert.equal(out.error, error);
  assert.equal(out.errorDescription, description);
});

// ------------------------------------------------------------------------------------ 5. the hook

test("5. usePleoCallback: options that change 250 ms after mount (a CSRF header arriving) while the handoff runs neither restart the callback nor report already_handled; one handoff, success", async (t) => {
  const { page } = await open(t, "/app/react");
  const run = runner(page);
  const from = hits.length;
  const out = ok(
    await run(
      async (m, a) => {
        const { usePleoCallback } = await import("/pkg/react.js");
        const { render } = await import("react");
        let options = { ...a.cfg, handoff: { url: "/api/slow", timeoutMs: 5000 } };
        const pleo = await m.PleoOAuth.create(options);
        const state = new URL(await pleo.authorizationUrl({ returnTo: "/r" })).searchParams.get("state");
        history.replaceState(null, "", `/app/callback?code=c0de&state=${state}`);
        render(() => usePleoCallback(options));
        await new Promise((r) => setTimeout(r, 250));
        options = { ...options, handoff: { ...options.handoff, headers: { "X-Csrf": "token" } } };
        render(() => usePleoCallback(options));
        for (let i = 0; i < 100 && !(window.__states ?? []).length; i++) await new Promise((r) => setTimeout(r, 50));
        await new Promise((r) => setTimeout(r, 300));
        return (window.__states ?? []).map((s) => ({ status: s.status, code: s.error?.code, returnTo: s.result?.returnTo }));
      },
      {},
    ),
  );
  // Every state reported (one per effect that listens) is the one success.
  assert.ok(out.length >= 1 && out.every((s) => s.status === "success" && s.returnTo === "/r"), show(out));
  assert.equal(backendHits("/api/slow", from).length, 1, "one handoff");
});
