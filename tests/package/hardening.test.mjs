// Hardening tests of the assembled package (pkg/), through its PUBLIC API only, in headless
// Chromium (Debian's, driven by playwright-core): an injected <base>, a hostile or broken
// `fetch`, tampered transaction records, throwing / full / crowded / shared Web Storage, the
// randomness of verifiers and states, and the moment the code leaves the address bar.
// Each test names the rule it checks. A failing test here is a finding about the package.
//
// The harness is the one of behaviour.test.mjs (loopback server, a fresh browser context per
// test, window.run(fn) in the page, ok()/err()), plus: page variants chosen by the `page`
// query parameter (one with an injected <base href="https://evil.example/">, one with the
// browser's default Referrer-Policy), a classic script (/app/guard.js) that records uncaught
// errors and unhandled rejections in the page, and a route that records any request to
// https://evil.example.
//
// Everything runs on 127.0.0.1 (evil.example never leaves the browser: context.route answers it).
// Run: node --test tests/package/hardening.test.mjs   (PLEO_PKG_DIR=dir points it at another build)
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import http from "node:http";
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { launchChromium } from "../support/chromium.mjs";
// Only the helpers: this suite runs its own server (page variants, guard.js, evil.example routes).
import { bootScript, ok, err } from "../support/harness.mjs";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const pkgDir = process.env.PLEO_PKG_DIR ? path.resolve(process.env.PLEO_PKG_DIR) : path.join(root, "pkg");

// The partner page's policy (as in behaviour.test.mjs). The <base> page also lets the page talk
// to https://evil.example, so that a request there would be made (and seen), not blocked by CSP.
const CSP = "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; connect-src 'self' http://127.0.0.1:*";
const CSP_BASE = `${CSP} https://evil.example`;
const EVIL = "https://evil.example";
const RFC7636_VERIFIER = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
const TX = "pleo-oauth:tx:";
const B64URL = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/** Every request that reached a backend route (/api/…). */
const hits = [];
/** Responses held open by /api/hang, ended at teardown. */
const held = new Set();
let server, origin, browser;

function backend(req, res) {
  const url = new URL(req.url, origin);
  let raw = "";
  req.on("data", (c) => (raw += c));
  req.on("end", () => {
    let body;
    try {
      body = JSON.parse(raw);
    } catch {
      body = raw;
    }
    hits.push({ method: req.method, path: url.pathname + url.search, headers: req.headers, body });
    switch (url.pathname) {
      case "/api/exchange":
        return res.writeHead(200, { "content-type": "application/json" }).end('{"exchanged":true}');
      case "/api/hang":
        held.add(res);
        res.on("close", () => held.delete(res));
        return; // never answers
      default:
        return res.writeHead(404).end();
    }
  });
}

function page(variant) {
  // Absolute script URLs: on the <base> page a relative src would resolve against evil.example.
  const scripts = `<script src="${origin}/app/guard.js"></script><script type=module src="${origin}/app/boot.js"></script>`;
  const head = '<!doctype html><meta charset=utf-8><link rel=icon href="${origin}/favicon.ico"><title>hardening test</title>';
  if (variant === "base") {
    return {
      headers: { "content-type": "text/html", "content-security-policy": CSP_BASE, "referrer-policy": "no-referrer" },
      html: `${head}<base href="${EVIL}/"><body>${scripts}`,
    };
  }
  if (variant === "referrer") {
    // The browser's default Referrer-Policy (strict-origin-when-cross-origin): a same-origin
    // request carries the document's full URL in Referer.
    return { headers: { "content-type": "text/html", "content-security-policy": CSP }, html: `${head}<body>${scripts}` };
  }
  return {
    headers: { "content-type": "text/html", "content-security-policy": CSP, "referrer-policy": "no-referrer" },
    html: `${head}<body>${scripts}`,
  };
}

function serve(req, res) {
  const url = new URL(req.url, origin);
  if (url.pathname.startsWith("/api/")) return backend(req, res);
  if (url.pathname === "/favicon.ico") return res.writeHead(204).end();
  if (url.pathname.startsWith("/pkg/")) {
    const file = path.join(pkgDir, path.basename(url.pathname));
    if (!fs.existsSync(file)) return res.writeHead(404).end();
    const type = file.endsWith(".wasm") ? "application/wasm" : "text/javascript";
    return res.writeHead(200, { "content-type": type }).end(fs.readFileSync(file));
  }
  if (url.pathname === "/app/guard.js") {
    // A classic script, before the module: what escapes the library lands here.
    return res.writeHead(200, { "content-type": "text/javascript" }).end(`
      window.__uncaught = [];
      addEventListener("error", (e) => __uncaught.push("error: " + (e.error && e.error.stack || e.message)));
      addEventListener("unhandledrejection", (e) => __uncaught.push("unhandledrejection: " + String(e.reason && e.reason.stack || e.reason)));`);
  }
  if (url.pathname === "/app/boot.js") {
    return res.writeHead(200, { "content-type": "text/javascript" }).end(bootScript());
  }
  if (url.pathname.startsWith("/app/")) {
    const p = page(url.searchParams.get("page"));
    return res.writeHead(200, p.headers).end(p.html);
  }
  res.writeHead(404).end();
}

before(async () => {
  assert.ok(fs.existsSync(path.join(pkgDir, "index.js")), `no package in ${pkgDir}: run \`make pkg\` first`);
  server = http.createServer(serve);
  await new Promise((r) => server.listen(0, "127.0.0.1", r));
  origin = `http://127.0.0.1:${server.address().port}`;
  browser = await launchChromium();
});

after(async () => {
  for (const res of held) res.destroy();
  await browser?.close();
  server?.closeAllConnections();
  server?.close();
});

const redirectUri = () => `${origin}/app/callback`;

/** Options as a partner writes them; `extra` overrides. */
const config = (extra = {}) => ({
  clientId: "client-1",
  redirectUri: redirectUri(),
  scopes: ["users:read", "export-jobs:read"],
  ...extra,
});

/**
 * A page in `context` on `pathname`. `run(fn, args)` runs `fn(module, { origin, redirectUri,
 * cfg, ...args })` in the page through window.run and returns `{ ok }` or `{ err }`;
 * `problems()` lists uncaught page errors, unhandled rejections and console errors so far.
 */
async function newPage(context, pathname = "/app/start") {
  const page = await context.newPage();
  const pageErrors = [];
  const consoleErrors = [];
  page.on("pageerror", (e) => pageErrors.push(String(e)));
  page.on("console", (msg) => {
    if (msg.type() === "error") consoleErrors.push(msg.text());
  });
  await page.goto(origin + pathname);
  const run = async (fn, args = {}) => {
    await page.waitForSelector("body[data-ready]", { state: "attached" });
    const all = { origin, redirectUri: redirectUri(), cfg: config(), ...args };
    return page.evaluate(`window.run((m) => (${fn})(m, ${JSON.stringify(all)}))`);
  };
  const problems = async () => {
    const inPage = await page.evaluate("window.__uncaught ?? []").catch(() => []);
    return [...pageErrors.map((e) => `pageerror: ${e}`), ...inPage, ...consoleErrors.map((e) => `console.error: ${e}`)];
  };
  return { page, run, problems };
}

/** A fresh context (own storage and cookies) and a page in it, closed after the test. */
async function open(t, pathname = "/app/start") {
  const context = await browser.newContext();
  t.after(() => context.close());
  return { context, ...(await newPage(context, pathname)) };
}

/** A one-line account of an outcome `{ ok }` / `{ err }` for failure messages. */
const show = (r) =>
  r && "err" in r
    ? `${r.err.isPleo ? "PleoOAuthError" : r.err.ctor ?? "thrown"} ${r.err.code ?? ""}: ${r.err.message ?? r.err.thrown}`
    : `success ${JSON.stringify(r?.ok)}`;

const backendHits = (p, from = 0) => hits.slice(from).filter((h) => h.method === "POST" && h.path === p);

/** Records every request the browser makes to https://evil.example, and answers it. */
async function watchEvil(context, pg) {
  const seen = [];
  await context.route(`${EVIL}/**`, (route) => {
    const r = route.request();
    seen.push({ via: "route", method: r.method(), url: r.url(), body: r.postData() });
    return route.fulfill({
      status: 200,
      headers: {
        "content-type": "application/json",
        "access-control-allow-origin": "*",
        "access-control-allow-headers": "*",
        "access-control-allow-methods": "*",
      },
      body: '{"evil":true}',
    });
  });
  // Requests the route might not see (e.g. blocked before interception) are still requests.
  pg.on("request", (r) => {
    if (r.url().startsWith(EVIL)) seen.push({ via: "request event", method: r.method(), url: r.url(), body: r.postData() });
  });
  return seen;
}

// ------------------------------------------------------------------------------------ 1. <base>

test("1. API.md step 10 (handoff URL resolved against location.origin, never document.baseURI): with an injected <base href=\"https://evil.example/\">, the POST of handoff.url \"/api/exchange\" goes to the page's origin, never to evil.example", async (t) => {
  const { context, page, run } = await open(t);
  const cfg = config({ handoff: { url: "/api/exchange" } });
  const state = new URL(ok(await run(async (m, a) => (await m.PleoOAuth.create(a.cfg)).authorizationUrl(), { cfg }))).searchParams.get("state");
  const evil = await watchEvil(context, page);
  await page.goto(`${origin}/app/callback?page=base&code=c0de&state=${state}`);
  const from = hits.length;
  const r = await run(
    async (m, a) => {
      const baseURI = document.baseURI;
      const pleo = await m.PleoOAuth.create(a.cfg);
      return { baseURI, result: await pleo.handleCallback() };
    },
    { cfg },
  );
  const duringFlow = evil.slice();
  // Control: the detector does see a request that the <base> sends to evil.example.
  const probe = ok(await run(() => fetch("api/probe", { method: "POST", body: "probe" }).then((x) => x.json())));
  const problems = [];
  if (!("ok" in r)) problems.push(`handleCallback failed: ${show(r)}`);
  else {
    if (r.ok.baseURI !== `${EVIL}/`) problems.push(`the <base> was not in effect (document.baseURI ${r.ok.baseURI})`);
    if (r.ok.result.backend?.exchanged !== true) problems.push(`backend answer ${JSON.stringify(r.ok.result)}`);
  }
  const posts = backendHits("/api/exchange", from);
  if (posts.length !== 1) problems.push(`${posts.length} POSTs reached ${origin}/api/exchange, want 1`);
  else if (posts[0].body?.code !== "c0de") problems.push(`the POST to the origin carried ${JSON.stringify(posts[0].body)}`);
  if (duringFlow.length) problems.push(`requests to evil.example during the callback: ${JSON.stringify(duringFlow)}`);
  if (probe?.evil !== true || !evil.some((h) => h.url === `${EVIL}/api/probe`))
    problems.push(`control failed: a relative fetch under the <base> was not seen at evil.example (${JSON.stringify(evil)})`);
  assert.ok(problems.length === 0, problems.join("\n"));
});

test("1b. RFC 9700 §4.2.4 (remove the code from the address bar) under an injected <base href=\"https://evil.example/\">: handleCallback() still removes code and state from the address bar", async (t) => {
  const { context, page, run } = await open(t);
  const cfg = config({ handoff: { url: "/api/exchange" } });
  const state = new URL(ok(await run(async (m, a) => (await m.PleoOAuth.create(a.cfg)).authorizationUrl(), { cfg }))).searchParams.get("state");
  await watchEvil(context, page);
  await page.goto(`${origin}/app/callback?page=base&code=c0de&state=${state}`);
  const r = ok(
    await run(
      async (m, a) => {
        const pleo = await m.PleoOAuth.create(a.cfg);
        const result = await pleo.handleCallback();
        return { result, href: location.href };
      },
      { cfg },
    ),
  );
  assert.equal(r.result.backend?.exchanged, true);
  assert.equal(r.href, `${origin}/app/callback?page=base`, `the address bar still shows ${r.href}`);
});

// ------------------------------------------------------------------------------------ 2. hostile fetch

/**
 * Replaces window.fetch (after the module has loaded) with `fetchSource` (a function's source)
 * and runs a handoff callback with `timeoutMs`; returns the outcome, the elapsed time and what
 * escaped into the page.
 */
async function hostileFetch(t, fetchSource, timeoutMs) {
  const { run, problems } = await open(t);
  const r = ok(
    await run(
      async (m, a) => {
        const pleo = await m.PleoOAuth.create(a.cfg);
        const state = new URL(await pleo.authorizationUrl()).searchParams.get("state");
        const realFetch = window.fetch;
        // The page's CSP forbids eval: the replacement is picked by name from this table.
        const fakes = {
          throwsSync: () => {
            throw new TypeError("x");
          },
          plainObject: () => ({}),
          resolvesObject: () => Promise.resolve({}),
          resolvesNull: () => Promise.resolve(null),
          resolvesString: () => Promise.resolve("not a Response"),
          rejectsNonError: () => Promise.reject("not an Error"),
          thenableThrows: () => ({
            then() {
              throw new Error("then");
            },
          }),
          neverSettles: () => new Promise(() => {}),
        };
        window.fetch = fakes[a.fake];
        const t0 = performance.now();
        const TIMEOUT = { settled: false };
        let timer;
        const outcome = await Promise.race([
          pleo.handleCallback(`${a.redirectUri}?code=c&state=${state}`).then(
            (v) => ({ ok: v }),
            (e) => ({ err: window.errData(e) }),
          ),
          new Promise((res) => (timer = setTimeout(() => res(TIMEOUT), a.timeoutMs + 3000))),
        ]);
        clearTimeout(timer);
        const ms = performance.now() - t0;
        window.fetch = realFetch;
        // Let late rejections surface before looking for them.
        await new Promise((res) => setTimeout(res, 200));
        return { outcome: outcome === TIMEOUT ? { never: true } : outcome, ms };
      },
      { fake: fetchSource, cfg: config({ handoff: { url: "/api/exchange", timeoutMs } }), timeoutMs },
    ),
  );
  return { ...r, escaped: await problems() };
}

const fetchCases = [
  ["throwsSync", "a fetch that throws synchronously (TypeError)"],
  ["plainObject", "a fetch that returns a plain object (not a Response, not a Promise)"],
  ["resolvesObject", "a fetch that resolves to a non-Response object"],
  ["resolvesNull", "a fetch that resolves to null"],
  ["resolvesString", "a fetch that resolves to a string"],
  ["rejectsNonError", "a fetch that rejects with a non-Error"],
  ["thenableThrows", "a fetch that returns a thenable whose then() throws"],
];
for (const [fake, what] of fetchCases) {
  test(`2. API.md step 10 (a fetch that throws → handoff_failed, status 0): ${what} → handoff_failed with status 0 within timeoutMs, nothing uncaught in the page`, async (t) => {
    const timeoutMs = 500;
    const r = await hostileFetch(t, fake, timeoutMs);
    const problems = [];
    if (r.outcome.never) problems.push(`handleCallback had not settled after ${Math.round(r.ms)} ms`);
    else if (!("err" in r.outcome) || !r.outcome.err.isPleo || r.outcome.err.code !== "handoff_failed" || r.outcome.err.status !== 0)
      problems.push(`outcome ${show(r.outcome)} (status ${r.outcome.err?.status}), want handoff_failed with status 0`);
    if (r.ms > timeoutMs) problems.push(`settled after ${Math.round(r.ms)} ms, want ≤ ${timeoutMs}`);
    if (r.escaped.length) problems.push(`escaped into the page: ${r.escaped.join(" | ")}`);
    assert.ok(problems.length === 0, problems.join("\n"));
  });
}

test("2. API.md step 10 (handoff.timeoutMs): a fetch that returns a never-settling promise (ignores the AbortSignal) → handoff_failed with status 0 at about timeoutMs, nothing uncaught in the page", async (t) => {
  const timeoutMs = 300;
  const r = await hostileFetch(t, "neverSettles", timeoutMs);
  const problems = [];
  if (r.outcome.never) problems.push(`handleCallback had not settled after ${Math.round(r.ms)} ms (timeoutMs ${timeoutMs}): the timeout relies on fetch honouring the AbortSignal`);
  else {
    if (!("err" in r.outcome) || r.outcome.err.code !== "handoff_failed" || r.outcome.err.status !== 0)
      problems.push(`outcome ${show(r.outcome)}, want handoff_failed with status 0`);
    if (r.ms > timeoutMs + 1000) problems.push(`settled after ${Math.round(r.ms)} ms, want about ${timeoutMs}`);
  }
  if (r.escaped.length) problems.push(`escaped into the page: ${r.escaped.join(" | ")}`);
  assert.ok(problems.length === 0, problems.join("\n"));
});

// ------------------------------------------------------------------------------------ 3. tampered records

/**
 * Starts two transactions (the victim, with returnTo "/victim", and another, "/other"),
 * rewrites the victim's stored record with `edit` ([op, field, value]: set / delete / append
 * a form-encoded field, or "exp+" to add milliseconds to exp), then completes the victim's
 * callback (`query`) and the other's (`otherQuery`); returns the problems found.
 */
async function tampered(t, edit, extra = {}) {
  const { run, problems: escaped } = await open(t);
  const r = ok(
    await run(
      async (m, a) => {
        const settle = (p) => p.then((v) => ({ ok: v }), (e) => ({ err: window.errData(e) }));
        const pleo = await m.PleoOAuth.create(a.cfg);
        const victim = new URL(await pleo.authorizationUrl(a.victimReturnTo === null ? undefined : { returnTo: a.victimReturnTo })).searchParams.get("state");
        const other = new URL(await pleo.authorizationUrl({ returnTo: "/other" })).searchParams.get("state");
        const key = a.TX + victim;
        const otherKey = a.TX + other;
        const original = sessionStorage.getItem(key);
        const otherBefore = sessionStorage.getItem(otherKey);
        const fields = new URLSearchParams(original);
        const [op, name, value] = a.edit;
        if (op === "set") fields.set(name, value);
        else if (op === "delete") fields.delete(name);
        else if (op === "append") fields.append(name, value);
        else if (op === "exp+") fields.set("exp", String(Number(fields.get("exp")) + value));
        const written = fields.toString();
        sessionStorage.setItem(key, written);
        const outcome = await settle(pleo.handleCallback(`${a.redirectUri}?${a.query.replace("STATE", victim)}`));
        const victimAfter = sessionStorage.getItem(key);
        const otherUntouched = sessionStorage.getItem(otherKey) === otherBefore;
        const otherOutcome = await settle(pleo.handleCallback(`${a.redirectUri}?${a.otherQuery.replace("STATE", other)}`));
        // What a record that counts as none answers: a state this browser never started.
        const none = await settle(pleo.handleCallback(`${a.redirectUri}?${a.query.replace("STATE", "N".repeat(43))}`));
        return { original, written, outcome, victimAfter, otherUntouched, otherOutcome, none };
      },
      { edit, TX, query: "code=c1&state=STATE", otherQuery: "code=c2&state=STATE", victimReturnTo: "/victim", ...extra },
    ),
  );
  const problems = [];
  // unknown_state: the record counts as none and is removed. A record found (extra.want, an
  // error of steps 4–10) is consumed: only its completed record, without any secret, is left.
  const want = extra.want ?? "unknown_state";
  if (!("err" in r.outcome) || !r.outcome.err.isPleo || r.outcome.err.code !== want)
    problems.push(`handleCallback → ${show(r.outcome)}, want ${want} (record written: ${r.written})`);
  if (want === "unknown_state" ? r.victimAfter !== null : !/^v=done&exp=\d+&return_to=%2Fvictim$/.test(r.victimAfter ?? ""))
    problems.push(`the tampered record is still stored: ${r.victimAfter}`);
  if (want !== "unknown_state" && r.outcome.err?.returnTo !== "/victim") problems.push(`${want} without the connection's returnTo: ${show(r.outcome)}`);
  // The very error of a record that counts as none: the same message and sentence, and nothing
  // of the tampered record (no returnTo, no appState).
  if (want === "unknown_state" && "err" in r.outcome) {
    const [got, none] = [r.outcome.err, r.none.err];
    if (got.message !== none?.message || got.userMessage !== none?.userMessage) problems.push(`not the unknown_state of a record that counts as none: ${show(r.outcome)} vs ${show(r.none)}`);
    if ("returnTo" in got || "appState" in got) problems.push(`unknown_state carries the tampered record's context: ${JSON.stringify(got)}`);
  }
  if (!r.otherUntouched) problems.push("the other pending transaction's record changed");
  if (r.otherOutcome.ok?.returnTo !== "/other") problems.push(`the other transaction → ${show(r.otherOutcome)}`);
  const e = await escaped();
  if (e.length) problems.push(`escaped into the page: ${e.join(" | ")}`);
  return problems;
}

for (const evil of ["//evil.example", "https://evil.example/", "javascript:alert(1)", "/\\evil.example", "/\t/evil.example", "/\n/evil.example"]) {
  test(`3. RFC 9700 §4.11 (open redirection): a returnTo rewritten in storage to ${JSON.stringify(evil)} is refused (unknown_state), the tampered record is removed, another pending transaction is untouched and completes`, async (t) => {
    const problems = await tampered(t, ["set", "return_to", evil]);
    assert.ok(problems.length === 0, problems.join("\n"));
  });
}

test("3. RFC 9700 §4.11 (open redirection): a return_to ADDED in storage to a record that had none (\"//evil.example\") is refused (unknown_state), the record is removed, another pending transaction completes", async (t) => {
  const problems = await tampered(t, ["set", "return_to", "//evil.example"], { victimReturnTo: null });
  assert.ok(problems.length === 0, problems.join("\n"));
});

const recordEdits = [
  ["RFC 7636 §4.1 (verifier syntax)", "a verifier rewritten to a malformed value (\"short\")", ["set", "verifier", "short"]],
  // A verifier swapped for another well-formed one cannot be told apart in the browser (the
  // record carries no MAC); the bound handoff's backend refuses it: tests/e2e/demo.test.mjs.
  ["API.md step 4 (expiry)", "an exp rewritten to a non-number", ["set", "exp", "soon"]],
  ["API.md step 4 (expiry; transactionTtlSeconds ≤ 86400)", "an exp pushed 10 years into the future (beyond any possible TTL)", ["exp+", "exp", 10 * 365 * 86400 * 1000]],
  ["API.md step 6 (redirect URI)", "a redirect_uri rewritten to another origin (https://evil.example/app/callback)", ["set", "redirect_uri", `${EVIL}/app/callback`]],
  ["API.md step 6 (redirect URI)", "a redirect_uri rewritten with an added query (…/app/callback?x=1)", ["set", "redirect_uri", "REDIRECT?x=1"]],
  ["API.md step 3 (a record not written by this version)", "an extra field (foo=bar)", ["append", "foo", "bar"]],
  ["API.md step 3 (a record not written by this version)", "a repeated field (verifier twice)", ["append", "verifier", RFC7636_VERIFIER]],
  ["API.md step 3 (a record not written by this version)", "another format version (v=2)", ["set", "v", "2"]],
];
for (const [rule, what, edit] of recordEdits) {
  test(`3. ${rule}: a record with ${what} is refused (unknown_state), removed, and another pending transaction completes`, async (t) => {
    const e = edit[2] === "REDIRECT?x=1" ? ["set", edit[1], `${redirectUri()}?x=1`] : edit;
    const problems = await tampered(t, e);
    assert.ok(problems.length === 0, problems.join("\n"));
  });
}

// appState is kept as the JSON text JSON.stringify wrote and handed back parsed: one rewritten
// in storage to text that is no JSON makes the record count as none, whether the connection
// started with an appState or not, and nothing of it reaches the reply or the page.
const badAppStates = ["[1,]", "{", '1,"ok":2', '1,"returnTo":"//evil.example"', '"x"}', '"a\u0007b"', '"line\nbreak"', "", "undefined", "NaN"];
for (const bad of badAppStates) {
  test(`3. API.md Storage (appState rechecked out of storage): a pending record's app_state rewritten to ${JSON.stringify(bad)} (no JSON) is refused (unknown_state, as for no record), removed, and another pending transaction completes`, async (t) => {
    const problems = await tampered(t, ["set", "app_state", bad]);
    assert.ok(problems.length === 0, problems.join("\n"));
  });
}

// The same for a completed record (what already_handled answers from): its app_state rewritten
// under the state and under the address the callback left. A reload of the cleaned address
// answers as for no record there (not_a_callback, the record left as it is); the callback URL
// again (Back, Approve again) is unknown_state and removes the record under the state; the
// other pending transaction completes.
for (const bad of ["[1,]", '1,"returnTo":"//evil.example"', '"a\u0007b"']) {
  test(`3. API.md Storage (appState rechecked out of storage): a completed record's app_state rewritten to ${JSON.stringify(bad)} → a reload is not_a_callback and the callback again unknown_state (as for no record), never already_handled; another pending transaction completes`, async (t) => {
    const { page, run, problems: escaped } = await open(t);
    const cfg = config();
    const started = ok(
      await run(
        async (m, a) => {
          const pleo = await m.PleoOAuth.create(a.cfg);
          const victim = await pleo.authorizationUrl({ returnTo: "/victim", appState: { tab: "pleo" } });
          const other = await pleo.authorizationUrl({ returnTo: "/other", appState: [1] });
          return [victim, other].map((u) => new URL(u).searchParams.get("state"));
        },
        { cfg },
      ),
    );
    const [victim, other] = started;
    const callbackUrl = `${redirectUri()}?code=c1&state=${victim}&keep=1`;
    await page.goto(callbackUrl);
    const first = ok(
      await run(
        async (m, a) => {
          const settle = (p) => p.then((v) => ({ ok: v }), (e) => ({ err: window.errData(e) }));
          const outcome = await settle((await m.PleoOAuth.create(a.cfg)).handleCallback());
          // Rewrite app_state in every completed record of the victim (under its state and its address).
          const keys = [];
          for (let i = 0; i < sessionStorage.length; i++) {
            const key = sessionStorage.key(i);
            const fields = new URLSearchParams(sessionStorage.getItem(key));
            if (!key.startsWith(a.TX) || fields.get("v") !== "done") continue;
            fields.set("app_state", a.bad);
            sessionStorage.setItem(key, fields.toString());
            keys.push(key);
          }
          return { outcome, address: location.pathname + location.search, keys: keys.sort() };
        },
        { cfg, TX, bad },
      ),
    );
    const problems = [];
    if (first.outcome.ok?.returnTo !== "/victim") problems.push(`the victim's callback → ${show(first.outcome)}`);
    if (first.address !== "/app/callback?keep=1") problems.push(`address after the callback: ${first.address}`);
    const stateKey = TX + victim;
    if (first.keys.length !== 2 || !first.keys.includes(stateKey)) problems.push(`completed records rewritten: ${first.keys}`);
    const addressKey = first.keys.find((k) => k !== stateKey);
    const after = (m, a) => {
      const settle = (p) => p.then((v) => ({ ok: v }), (e) => ({ err: window.errData(e) }));
      return m.PleoOAuth.create(a.cfg).then(async (pleo) => ({
        outcome: await settle(pleo.handleCallback()),
        stateRecord: sessionStorage.getItem(a.stateKey),
        addressRecord: sessionStorage.getItem(a.addressKey),
        address: location.pathname + location.search,
      }));
    };
    // A reload of the cleaned address.
    await page.reload();
    const reload = ok(await run(after, { cfg, stateKey, addressKey }));
    if (reload.outcome.err?.code !== "not_a_callback" || !reload.outcome.err.isPleo || "appState" in reload.outcome.err || "returnTo" in reload.outcome.err)
      problems.push(`reload → ${show(reload.outcome)} ${JSON.stringify(reload.outcome.err)}, want not_a_callback without returnTo/appState`);
    if (reload.addressRecord === null || reload.stateRecord === null) problems.push("a reload removed a record");
    // The callback URL again (Back, Approve again).
    await page.goto(callbackUrl);
    const again = ok(await run(after, { cfg, stateKey, addressKey }));
    if (again.outcome.err?.code !== "unknown_state" || !again.outcome.err.isPleo || "appState" in again.outcome.err || "returnTo" in again.outcome.err)
      problems.push(`the callback again → ${show(again.outcome)} ${JSON.stringify(again.outcome.err)}, want unknown_state without returnTo/appState`);
    if (again.stateRecord !== null) problems.push(`the tampered record under the state is still stored: ${again.stateRecord}`);
    if (again.address !== "/app/callback?code=c1&state=" + victim + "&keep=1") problems.push(`the address was changed: ${again.address}`);
    // The other pending transaction completes, with its appState.
    const rest = ok(
      await run(
        async (m, a) => {
          const settle = (p) => p.then((v) => ({ ok: v }), (e) => ({ err: window.errData(e) }));
          const pleo = await m.PleoOAuth.create(a.cfg);
          const none = await settle(pleo.handleCallback(`${a.redirectUri}?code=c1&state=${"N".repeat(43)}`));
          return { none, other: await settle(pleo.handleCallback(`${a.redirectUri}?code=c2&state=${a.other}`)) };
        },
        { cfg, other },
      ),
    );
    if (again.outcome.err?.message !== rest.none.err?.message || again.outcome.err?.userMessage !== rest.none.err?.userMessage)
      problems.push(`not the unknown_state of a record that counts as none: ${show(again.outcome)} vs ${show(rest.none)}`);
    if (rest.other.ok?.returnTo !== "/other" || JSON.stringify(rest.other.ok?.appState) !== "[1]") problems.push(`the other transaction → ${show(rest.other)}`);
    const e = await escaped();
    if (e.length) problems.push(`escaped into the page: ${e.join(" | ")}`);
    assert.ok(problems.length === 0, problems.join("\n"));
  });
}

// A record without the configured issuer is found (step 3) and fails step 5 (API.md: an issuer
// is configured and iss differs), like one started with another environment.issuer.
test("3. RFC 9207 §2.4 (issuer check; issuer configured): a record with the iss field deleted, callback from another issuer is refused (issuer_mismatch, API.md step 5, with the connection's returnTo), consumed (only a completed record without secret is left), and another pending transaction completes", async (t) => {
  // An issuer is configured; the callback claims another one.
  const issuer = `${origin}/issuer`;
  const problems = await tampered(t, ["delete", "iss"], {
    cfg: config({ environment: { authorizationEndpoint: `${origin}/authorize`, issuer } }),
    query: `code=c1&state=STATE&iss=${encodeURIComponent(`${EVIL}/issuer`)}`,
    otherQuery: `code=c2&state=STATE&iss=${encodeURIComponent(issuer)}`,
    want: "issuer_mismatch",
  });
  assert.ok(problems.length === 0, problems.join("\n"));
});

// ------------------------------------------------------------------------------------ 4. storage faults

for (const [member, call] of [
  ["getItem", "authorizationUrl"],
  ["setItem", "authorizationUrl"],
  ["key", "authorizationUrl"],
  ["length", "authorizationUrl"],
  ["getItem", "handleCallback"],
  // The consume writes the completed record over the transaction and removes it only when that
  // write fails: it is impossible only when both refuse (removeItem alone: see the next test).
  ["setItem+removeItem", "handleCallback"],
]) {
  test(`4. API.md Errors (storage_unavailable, never a TypeError): Storage.prototype.${member}${member === "length" ? " getter" : "()"} throwing during ${call} → storage_unavailable naming sessionStorage and what to do; works again afterwards`, async (t) => {
    const { run, problems: escaped } = await open(t);
    const out = ok(
      await run(
        async (m, a) => {
          const settle = (p) => p.then((v) => ({ ok: v }), (e) => ({ err: window.errData(e) }));
          const proto = Storage.prototype;
          const breakMember = (member, error) => {
            const d = Object.getOwnPropertyDescriptor(proto, member);
            const thrower = function () {
              throw error;
            };
            Object.defineProperty(proto, member, member === "length" ? { ...d, get: thrower } : { ...d, value: thrower });
            return () => Object.defineProperty(proto, member, d);
          };
          const pleo = await m.PleoOAuth.create(a.cfg);
          // A pending transaction, so that the sweep reads keys and records.
          const pending = new URL(await pleo.authorizationUrl({ returnTo: "/pending" })).searchParams.get("state");
          // A client's first start sweeps (later ones only when the sweep is due again).
          const fresh = await m.PleoOAuth.create(a.cfg);
          const undos = a.member.split("+").map((member) => breakMember(member, new DOMException("blocked", "SecurityError")));
          const undo = () => undos.forEach((u) => u());
          let outcome;
          try {
            outcome =
              a.call === "authorizationUrl"
                ? await settle(fresh.authorizationUrl())
                : await settle(pleo.handleCallback(`${a.redirectUri}?code=c&state=${pending}`));
          } finally {
            undo();
          }
          const again =
            a.call === "authorizationUrl"
              ? await settle(fresh.authorizationUrl())
              : await settle(pleo.handleCallback(`${a.redirectUri}?code=c&state=${pending}&again=1`));
          return { outcome, again };
        },
        { member, call },
      ),
    );
    const problems = [];
    const o = out.outcome;
    if (!("err" in o) || !o.err.isPleo || o.err.code !== "storage_unavailable") problems.push(`outcome ${show(o)}, want storage_unavailable`);
    else if (!/sessionStorage/.test(o.err.message) || !/(try again|allow|free)/i.test(o.err.message))
      problems.push(`message does not name the storage and what to do: ${o.err.message}`);
    if (!("ok" in out.again)) problems.push(`after the storage works again: ${show(out.again)}`);
    const e = await escaped();
    if (e.length) problems.push(`escaped into the page: ${e.join(" | ")}`);
    assert.ok(problems.length === 0, problems.join("\n"));
  });
}

test("4. API.md step 4 (a transaction is consumed once): Storage.prototype.removeItem() throwing during handleCallback does not keep the transaction — the completed record replaces it (one write): success, and the same callback again is already_handled", async (t) => {
  const { run, problems: escaped } = await open(t);
  const out = ok(
    await run(async (m, a) => {
      const settle = (p) => p.then((v) => ({ ok: v }), (e) => ({ err: window.errData(e) }));
      const pleo = await m.PleoOAuth.create(a.cfg);
      const state = new URL(await pleo.authorizationUrl({ returnTo: "/pending" })).searchParams.get("state");
      const proto = Storage.prototype;
      const d = Object.getOwnPropertyDescriptor(proto, "removeItem");
      let removes = 0;
      Object.defineProperty(proto, "removeItem", { ...d, value: () => { removes++; throw new DOMException("blocked", "SecurityError"); } });
      let first;
      try {
        first = await settle(pleo.handleCallback(`${a.redirectUri}?code=c&state=${state}`));
      } finally {
        Object.defineProperty(proto, "removeItem", d);
      }
      const replay = await settle((await m.PleoOAuth.create(a.cfg)).handleCallback(`${a.redirectUri}?code=c&state=${state}&again=1`));
      const pending = Object.keys(sessionStorage).filter((k) => (sessionStorage.getItem(k) ?? "").includes("verifier"));
      return { first, replay, removes, pending };
    }),
  );
  assert.ok("ok" in out.first, `first: ${show(out.first)}`);
  assert.equal(out.first.ok.handoff.code, "c");
  assert.equal(out.removes, 0, "removeItem is not needed when the write succeeds");
  assert.ok("err" in out.replay && out.replay.err.code === "already_handled", `replay: ${show(out.replay)}`);
  assert.deepEqual(out.pending, [], "no pending transaction (with its verifier) is left");
  assert.deepEqual(await escaped(), []);
});

for (const storage of ["session", "local"]) {
  test(`4. API.md step 4 (a transaction is consumed once), storage: "${storage}": a Storage.prototype.setItem that drops the completed record's write without throwing (a storage shim, a consent blocker) does not keep the transaction — one handoff, and the same callback again hands nothing off (unknown_state)`, async (t) => {
    const { page, run } = await open(t);
    const cfg = config({ storage, handoff: { url: "/api/exchange" } });
    const from = hits.length;
    const first = ok(
      await run(
        async (m, a) => {
          const pleo = await m.PleoOAuth.create(a.cfg);
          const state = new URL(await pleo.authorizationUrl({ returnTo: "/from" })).searchParams.get("state");
          const proto = Storage.prototype;
          const d = Object.getOwnPropertyDescriptor(proto, "setItem");
          // Every write after the start is dropped silently.
          Object.defineProperty(proto, "setItem", { ...d, value: () => {} });
          let outcome;
          try {
            outcome = await pleo.handleCallback(`${a.redirectUri}?code=c0de&state=${state}`).then(() => "ok", (e) => e.code);
          } finally {
            Object.defineProperty(proto, "setItem", d);
          }
          const store = a.cfg.storage == "local" ? localStorage : sessionStorage;
          const left = Object.keys(store).filter((k) => (store.getItem(k) ?? "").includes("verifier"));
          return { state, outcome, left };
        },
        { cfg },
      ),
    );
    assert.equal(first.outcome, "ok");
    assert.deepEqual(first.left, [], "a record with the verifier is left after the callback");
    await page.reload();
    const again = await run(
      (m, a) => m.PleoOAuth.create(a.cfg).then((p) => p.handleCallback(`${a.redirectUri}?code=c0de&state=${a.state}`)).then(() => "ok", (e) => e.code),
      { cfg, state: first.state },
    );
    assert.equal(ok(again), "unknown_state");
    assert.equal(backendHits("/api/exchange", from).length, 1, "the code was handed off twice");
  });
}

test("4. API.md Errors (never a TypeError): Storage.prototype.key() / the length getter throwing during handleCallback (which does not need them) → success or storage_unavailable, never anything else", async (t) => {
  const { run, problems: escaped } = await open(t);
  const out = ok(
    await run(async (m, a) => {
      const settle = (p) => p.then((v) => ({ ok: v }), (e) => ({ err: window.errData(e) }));
      const proto = Storage.prototype;
      const res = {};
      const pleo = await m.PleoOAuth.create(a.cfg);
      for (const member of ["key", "length"]) {
        const state = new URL(await pleo.authorizationUrl({ returnTo: "/r" })).searchParams.get("state");
        const d = Object.getOwnPropertyDescriptor(proto, member);
        const thrower = function () {
          throw new DOMException("blocked", "SecurityError");
        };
        Object.defineProperty(proto, member, member === "length" ? { ...d, get: thrower } : { ...d, value: thrower });
        try {
          res[member] = await settle(pleo.handleCallback(`${a.redirectUri}?code=c&state=${state}`));
        } finally {
          Object.defineProperty(proto, member, d);
        }
      }
      return res;
    }),
  );
  const problems = [];
  for (const [member, o] of Object.entries(out)) {
    if ("ok" in o) continue;
    if (!o.err.isPleo || o.err.code !== "storage_unavailable") problems.push(`${member}: ${show(o)}`);
  }
  const e = await escaped();
  if (e.length) problems.push(`escaped into the page: ${e.join(" | ")}`);
  assert.ok(problems.length === 0, problems.join("\n"));
});

test("4. API.md Errors (storage_unavailable): the sessionStorage getter throwing after create → authorizationUrl and handleCallback reject with storage_unavailable naming sessionStorage", async (t) => {
  const { run } = await open(t);
  const out = ok(
    await run(async (m, a) => {
      const settle = (p) => p.then((v) => ({ ok: v }), (e) => ({ err: window.errData(e) }));
      const pleo = await m.PleoOAuth.create(a.cfg);
      const state = new URL(await pleo.authorizationUrl()).searchParams.get("state");
      const d = Object.getOwnPropertyDescriptor(window, "sessionStorage");
      Object.defineProperty(window, "sessionStorage", {
        configurable: true,
        get() {
          throw new DOMException("blocked", "SecurityError");
        },
      });
      try {
        return {
          start: await settle(pleo.authorizationUrl()),
          callback: await settle(pleo.handleCallback(`${a.redirectUri}?code=c&state=${state}`)),
        };
      } finally {
        Object.defineProperty(window, "sessionStorage", d);
      }
    }),
  );
  for (const [name, o] of Object.entries(out)) {
    const e = err(o, "storage_unavailable");
    assert.match(e.message, /sessionStorage/, name);
  }
});

test("4. API.md step 3 of authorizationUrl (expired transactions dropped): removeItem throwing QuotaExceededError for a stale key during the sweep → storage_unavailable, and the next authorizationUrl sweeps it", async (t) => {
  const { run, problems: escaped } = await open(t);
  const out = ok(
    await run(
      async (m, a) => {
        const settle = (p) => p.then((v) => ({ ok: v }), (e) => ({ err: window.errData(e) }));
        const txKeys = () => Object.keys(sessionStorage).filter((k) => k.startsWith(a.TX)).sort();
        const pleo = await m.PleoOAuth.create({ ...a.cfg, transactionTtlSeconds: 1 });
        const stale = new URL(await pleo.authorizationUrl()).searchParams.get("state");
        const staleKey = a.TX + stale;
        await new Promise((res) => setTimeout(res, 1100));
        const proto = Storage.prototype;
        const removeItem = proto.removeItem;
        const asked = [];
        proto.removeItem = function (key) {
          asked.push(key);
          if (key === staleKey) throw new DOMException("The quota has been exceeded.", "QuotaExceededError");
          return removeItem.call(this, key);
        };
        let outcome;
        try {
          outcome = await settle(pleo.authorizationUrl());
        } finally {
          proto.removeItem = removeItem;
        }
        const keysAfterFault = txKeys();
        const again = await settle(pleo.authorizationUrl());
        return { staleKey, asked, outcome, keysAfterFault, again, keysAfter: txKeys() };
      },
      { TX },
    ),
  );
  const problems = [];
  if (!out.asked.includes(out.staleKey)) problems.push(`the sweep never asked to remove the stale key (asked: ${JSON.stringify(out.asked)})`);
  const o = out.outcome;
  if (!("err" in o) || !o.err.isPleo || o.err.code !== "storage_unavailable") problems.push(`outcome ${show(o)}, want storage_unavailable`);
  else if (!/sessionStorage/.test(o.err.message)) problems.push(`message does not name sessionStorage: ${o.err.message}`);
  if (!("ok" in out.again)) problems.push(`the next authorizationUrl: ${show(out.again)}`);
  else if (out.keysAfter.includes(out.staleKey) || out.keysAfter.length !== 1)
    problems.push(`after the next authorizationUrl the store holds ${JSON.stringify(out.keysAfter)}`);
  const e = await escaped();
  if (e.length) problems.push(`escaped into the page: ${e.join(" | ")}`);
  assert.ok(problems.length === 0, problems.join("\n"));
});

test("4. API.md step 3 of authorizationUrl (several transactions pending at once): with 1,000 pending transactions the 1,001st still starts, and completing one of them leaves the other 999 (and the 1,001st) untouched", async (t) => {
  const { run } = await open(t);
  const t0 = Date.now();
  const out = ok(
    await run(
      async (m, a) => {
        const txEntries = () => Object.keys(sessionStorage).filter((k) => k.startsWith(a.TX)).sort().map((k) => [k, sessionStorage.getItem(k)]);
        const pleo = await m.PleoOAuth.create(a.cfg);
        const states = [];
        const t0 = performance.now();
        for (let i = 0; i < 1000; i++) states.push(new URL(await pleo.authorizationUrl({ returnTo: `/r${i}` })).searchParams.get("state"));
        const ms1000 = performance.now() - t0;
        const stored1000 = txEntries().length;
        const t1 = performance.now();
        const last = new URL(await pleo.authorizationUrl({ returnTo: "/last" })).searchParams.get("state");
        const ms1001 = performance.now() - t1;
        const before = new Map(txEntries());
        const pick = 617; // any one of them
        const done = await pleo.handleCallback(`${a.redirectUri}?code=c&state=${states[pick]}`);
        const after = new Map(txEntries());
        const pickedKey = a.TX + states[pick];
        let changed = 0;
        let missing = 0;
        for (const [k, v] of before) {
          if (k === pickedKey) continue;
          if (!after.has(k)) missing += 1;
          else if (after.get(k) !== v) changed += 1;
        }
        const lastDone = await pleo.handleCallback(`${a.redirectUri}?code=c&state=${last}`);
        return {
          ms1000,
          ms1001,
          stored1000,
          storedBefore: before.size,
          storedAfter: after.size,
          pickedDone: /^v=done&/.test(after.get(pickedKey)),
          missing,
          changed,
          done: done.returnTo,
          lastDone: lastDone.returnTo,
          finally: txEntries().filter(([, v]) => !v.startsWith("v=done&")).length,
        };
      },
      { TX },
    ),
  );
  t.diagnostic(`1,000 authorizationUrl calls: ${Math.round(out.ms1000)} ms; the 1,001st: ${out.ms1001.toFixed(1)} ms; test ${Date.now() - t0} ms`);
  assert.equal(out.stored1000, 1000, "1,000 records pending");
  assert.equal(out.storedBefore, 1001, "the 1,001st is stored too");
  assert.equal(out.done, "/r617");
  assert.equal(out.pickedDone, true, "the picked one is replaced by its completed record");
  assert.equal(out.missing, 0, "no other record removed");
  assert.equal(out.changed, 0, "no other record rewritten");
  assert.equal(out.storedAfter, 1001, "999 of the first thousand + the 1,001st pending, and 1 completed");
  assert.equal(out.lastDone, "/last");
  assert.equal(out.finally, 999, "999 pending");
});

for (const storage of ["session", "local"]) {
  test(`4. API.md step 3 of authorizationUrl (drops only its own expired transactions) with storage: "${storage}": records of other apps and keys outside "pleo-oauth:tx:" (including "pleo-oauth:…" ones) are never read, written or removed`, async (t) => {
    const { run, problems: escaped } = await open(t);
    const out = ok(
      await run(
        async (m, a) => {
          const store = a.storage === "local" ? localStorage : sessionStorage;
          const settle = (p) => p.then((v) => ({ ok: v }), (e) => ({ err: window.errData(e) }));
          const pleo = await m.PleoOAuth.create({ ...a.cfg, storage: a.storage, transactionTtlSeconds: 1 });
          // A genuine record, expired: what a prefix bug would sweep.
          const sample = new URL(await pleo.authorizationUrl()).searchParams.get("state");
          const expired = new URLSearchParams(store.getItem(a.TX + sample));
          expired.set("exp", "1");
          store.removeItem(a.TX + sample);
          const foreign = {
            "other-app:tx:1": expired.toString(),
            "pleo-oauth:other": expired.toString(),
            "pleo-oauth:txlog": "garbage",
            "pleo-oauth:tx": expired.toString(),
            "PLEO-OAUTH:TX:abc": expired.toString(),
            "pleo-oauth:Tx:abc": expired.toString(),
            " pleo-oauth:tx:abc": expired.toString(),
            "x-pleo-oauth:tx:abc": expired.toString(),
            "pleo-oauth:": "",
          };
          for (const [k, v] of Object.entries(foreign)) store.setItem(k, v);
          const proto = Storage.prototype;
          const real = { getItem: proto.getItem, setItem: proto.setItem, removeItem: proto.removeItem, clear: proto.clear };
          const log = [];
          for (const name of Object.keys(real)) {
            proto[name] = function (...args) {
              log.push([name, args[0]]);
              return real[name].apply(this, args);
            };
          }
          const outcomes = {};
          try {
            const s1 = new URL(await pleo.authorizationUrl({ returnTo: "/one" })).searchParams.get("state");
            await new Promise((res) => setTimeout(res, 1100)); // s1 expires
            const s2 = new URL(await pleo.authorizationUrl({ returnTo: "/two" })).searchParams.get("state"); // sweeps s1
            outcomes.completed = await settle(pleo.handleCallback(`${a.redirectUri}?code=c&state=${s2}`));
            outcomes.expired = await settle(pleo.handleCallback(`${a.redirectUri}?code=c&state=${s1}`));
            outcomes.forged = await settle(pleo.handleCallback(`${a.redirectUri}?code=c&state=forged`));
            outcomes.forgedError = await settle(pleo.handleCallback(`${a.redirectUri}?error=access_denied&state=x`));
          } finally {
            Object.assign(proto, real);
          }
          const foreignAfter = Object.fromEntries(Object.keys(foreign).map((k) => [k, real.getItem.call(store, k)]));
          return { foreign, foreignAfter, log, outcomes };
        },
        { storage, TX },
      ),
    );
    const problems = [];
    const touched = out.log.filter(([, key]) => typeof key !== "string" || !key.startsWith(TX));
    if (touched.length) problems.push(`calls on keys outside ${TX}: ${JSON.stringify(touched)}`);
    for (const [k, v] of Object.entries(out.foreign))
      if (out.foreignAfter[k] !== v) problems.push(`${JSON.stringify(k)} was ${JSON.stringify(v)}, now ${JSON.stringify(out.foreignAfter[k])}`);
    if (out.outcomes.completed?.ok?.returnTo !== "/two") problems.push(`the flow → ${show(out.outcomes.completed)}`);
    if (out.outcomes.forged?.err?.code !== "unknown_state") problems.push(`forged → ${show(out.outcomes.forged)}`);
    const e = await escaped();
    if (e.length) problems.push(`escaped into the page: ${e.join(" | ")}`);
    assert.ok(problems.length === 0, problems.join("\n"));
  });
}

test("4. API.md storage: \"local\" (shared by tabs): two tabs sharing localStorage — starting or completing one tab's transaction never removes the other tab's pending transaction, also with different options", async (t) => {
  const context = await browser.newContext();
  t.after(() => context.close());
  const tabA = await newPage(context);
  const tabB = await newPage(context);
  const cfgA = config({ storage: "local" });
  const issuer = `${origin}/issuer`;
  const cfgB = config({ storage: "local", transactionTtlSeconds: 86400, environment: { authorizationEndpoint: `${origin}/authorize`, issuer } });
  const start = async (tab, cfg, returnTo) =>
    new URL(ok(await tab.run(async (m, a) => (await m.PleoOAuth.create(a.cfg)).authorizationUrl({ returnTo: a.returnTo }), { cfg, returnTo }))).searchParams.get("state");
  const finish = (tab, cfg, query) =>
    tab.run(async (m, a) => (await m.PleoOAuth.create(a.cfg)).handleCallback(`${a.redirectUri}?${a.query}`), { cfg, query });
  const has = async (tab, state) => ok(await tab.run((m, a) => localStorage.getItem(a.key) !== null, { key: TX + state }));

  // A starts, B starts (its sweep must leave A's record), A completes (must leave B's).
  const a1 = await start(tabA, cfgA, "/a1");
  const b1 = await start(tabB, cfgB, "/b1");
  assert.equal(await has(tabB, a1), true, "B sees A's pending transaction (shared storage), and its start left it");
  const a1done = ok(await finish(tabA, cfgA, `code=ca&state=${a1}`));
  assert.equal(a1done.returnTo, "/a1");
  assert.equal(await has(tabA, b1), true, "completing A's transaction left B's");
  // B starts another, A starts another; B completes both of its own in the page's address bar.
  const b2 = await start(tabB, cfgB, "/b2");
  const a2 = await start(tabA, cfgA, "/a2");
  await tabB.page.goto(`${origin}/app/callback?code=cb&state=${b1}&iss=${encodeURIComponent(issuer)}`);
  const b1done = ok(await tabB.run(async (m, a) => (await m.PleoOAuth.create(a.cfg)).handleCallback(), { cfg: cfgB }));
  assert.equal(b1done.returnTo, "/b1");
  assert.equal(await has(tabA, a2), true, "completing B's transaction left A's");
  assert.equal(await has(tabA, b2), true, "and B's other one");
  assert.equal(ok(await finish(tabA, cfgA, `code=ca&state=${a2}`)).returnTo, "/a2");
  assert.equal(ok(await finish(tabB, cfgB, `code=cb&state=${b2}&iss=${encodeURIComponent(issuer)}`)).returnTo, "/b2");
  // No pending record is left; the four completed ones remain (without secrets) for already_handled,
  // and one more under the address B's callback in the address bar left, for a reload of it.
  const left = ok(await tabA.run((m, a) => Object.keys(localStorage).filter((k) => k.startsWith(a.TX)).map((k) => [k, localStorage.getItem(k)]), { TX }));
  const byAddress = left.filter(([k]) => k.startsWith(TX + "@"));
  assert.deepEqual(byAddress.map(([k]) => k), [`${TX}@${origin}/app/callback`]);
  assert.equal(left.length - byAddress.length, 4);
  for (const [, record] of left) assert.match(record, /^v=done&exp=\d+&return_to=%2F[ab][12]$/);
});

// ------------------------------------------------------------------------------------ 5. randomness

/**
 * Chi-square critical value for `df` degrees of freedom at upper-tail probability `p`
 * (Wilson–Hilferty; within ~0.5% of the exact value for df ≥ 15). z from the normal tail by
 * bisection on erfc.
 */
function chiSquareCritical(df, p) {
  const erfc = (x) => {
    // Numerical Recipes erfcc, |error| < 1.2e-7.
    const z = Math.abs(x);
    const t = 1 / (1 + 0.5 * z);
    const r =
      t *
      Math.exp(
        -z * z - 1.26551223 + t * (1.00002368 + t * (0.37409196 + t * (0.09678418 + t * (-0.18628806 + t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277)))))))),
      );
    return x >= 0 ? r : 2 - r;
  };
  let lo = 0;
  let hi = 10;
  for (let i = 0; i < 100; i++) {
    const mid = (lo + hi) / 2;
    if (0.5 * erfc(mid / Math.SQRT2) > p) lo = mid;
    else hi = mid;
  }
  const z = (lo + hi) / 2;
  const k = 2 / (9 * df);
  return df * (1 - k + z * Math.sqrt(k)) ** 3;
}

function chiSquare(counts, expected) {
  let x = 0;
  for (const c of counts) x += (c - expected) ** 2 / expected;
  return x;
}

/**
 * 43 base64url characters carry 32 bytes: characters 0–41 hold 6 bits each (252 bits), the
 * 43rd the last 4 bits followed by two zero bits, so it is one of the 16 characters whose
 * alphabet index is a multiple of 4 ("AEIMQUYcgkosw048"). Checks: length and alphabet, the
 * pooled distribution over positions 0–41 (df 63, p = 0.001), each position 0–41 (df 63,
 * p = 0.001 / 42, Bonferroni), and the last position over its 16 values (df 15, p = 0.001).
 */
function randomnessProblems(name, values) {
  const problems = [];
  const N = values.length;
  const bad = values.find((v) => !/^[A-Za-z0-9_-]{43}$/.test(v));
  if (bad !== undefined) return [`${name}: ${JSON.stringify(bad)} is not 43 base64url characters`];
  const distinct = new Set(values).size;
  if (distinct !== N) problems.push(`${name}: ${N - distinct} duplicates among ${N}`);
  const index = new Map([...B64URL].map((c, i) => [c, i]));
  const perPos = Array.from({ length: 42 }, () => new Array(64).fill(0));
  const pooled = new Array(64).fill(0);
  const last = new Array(64).fill(0);
  for (const v of values) {
    for (let i = 0; i < 42; i++) {
      const c = index.get(v[i]);
      perPos[i][c] += 1;
      pooled[c] += 1;
    }
    last[index.get(v[42])] += 1;
  }
  const crit = chiSquareCritical(63, 0.001);
  const critEach = chiSquareCritical(63, 0.001 / 42);
  const critLast = chiSquareCritical(15, 0.001);
  const xPooled = chiSquare(pooled, (42 * N) / 64);
  if (xPooled > crit) problems.push(`${name}: pooled chi-square over positions 0–41 = ${xPooled.toFixed(1)} > ${crit.toFixed(1)}`);
  const xs = perPos.map((c) => chiSquare(c, N / 64));
  xs.forEach((x, i) => {
    if (x > critEach) problems.push(`${name}: position ${i} chi-square = ${x.toFixed(1)} > ${critEach.toFixed(1)}`);
  });
  const lastUsed = last.map((c, i) => [c, i]).filter(([c]) => c > 0);
  const off = lastUsed.filter(([, i]) => i % 4 !== 0);
  if (off.length) problems.push(`${name}: last character outside the 16 possible: ${off.map(([, i]) => B64URL[i]).join("")}`);
  const xLast = chiSquare(last.filter((_, i) => i % 4 === 0), N / 16);
  if (xLast > critLast) problems.push(`${name}: last position chi-square = ${xLast.toFixed(1)} > ${critLast.toFixed(1)} (df 15)`);
  return { problems, stats: { xPooled, crit, maxEach: Math.max(...xs), critEach, xLast, critLast } };
}

test("5. RFC 7636 §4.1 / §7.1 (32 random octets, base64url) and RFC 6749 §10.10 (state unguessable): 100,000 verifiers and 100,000 states — no duplicates, each of the 42 full 6-bit positions uniform over the 64-character alphabet, the 43rd uniform over its 16 values (chi-square)", async (t) => {
  const { run } = await open(t);
  const t0 = Date.now();
  const out = ok(
    await run(async (m) => {
      const verifiers = new Array(100000);
      const states = new Array(100000);
      let challengesOk = true;
      for (let i = 0; i < 100000; i++) {
        const p = await m.createPkce();
        verifiers[i] = p.verifier;
        if (p.method !== "S256" || !/^[A-Za-z0-9_-]{43}$/.test(p.challenge)) challengesOk = false;
        states[i] = await m.generateState();
      }
      return { verifiers, states, challengesOk };
    }),
  );
  const ms = Date.now() - t0;
  const v = randomnessProblems("verifiers", out.verifiers);
  const s = randomnessProblems("states", out.states);
  const problems = [...(v.problems ?? v), ...(s.problems ?? s)];
  const crossed = new Set(out.verifiers);
  const shared = out.states.filter((x) => crossed.has(x)).length;
  if (shared) problems.push(`${shared} values are both a verifier and a state`);
  if (!out.challengesOk) problems.push("a challenge was not 43 base64url characters with method S256");
  for (const [name, r] of [["verifiers", v], ["states", s]])
    if (r.stats)
      t.diagnostic(
        `${name}: pooled χ² ${r.stats.xPooled.toFixed(1)} (crit ${r.stats.crit.toFixed(1)}), worst position χ² ${r.stats.maxEach.toFixed(1)} (crit ${r.stats.critEach.toFixed(1)}), last position χ² ${r.stats.xLast.toFixed(1)} (crit ${r.stats.critLast.toFixed(1)})`,
      );
  t.diagnostic(`200,000 values generated and checked in ${ms} ms`);
  assert.ok(problems.length === 0, problems.join("\n"));
});

test("5. RFC 7636 §7.1 / RFC 6749 §10.10: in 500 authorizationUrl flows the state and the verifier of each flow are distinct, and all 1,000 values are distinct", async (t) => {
  const { run } = await open(t);
  const out = ok(
    await run(async (m, a) => {
      const pleo = await m.PleoOAuth.create(a.cfg);
      const pairs = [];
      for (let i = 0; i < 500; i++) {
        const state = new URL(await pleo.authorizationUrl()).searchParams.get("state");
        const r = await pleo.handleCallback(`${a.redirectUri}?code=c&state=${state}`);
        pairs.push([state, r.handoff.codeVerifier]);
      }
      return pairs;
    }),
  );
  const all = out.flat();
  assert.equal(out.filter(([s, v]) => s === v).length, 0, "a flow's state equals its verifier");
  assert.equal(new Set(all).size, 1000, "1,000 distinct values");
  for (const x of all) assert.match(x, /^[A-Za-z0-9_-]{43}$/);
});

// ------------------------------------------------------------------------------------ 6. address bar before the POST

/**
 * Starts a flow, loads the callback page (variant `variant`) with the code in the address bar,
 * wraps window.fetch to note location.href at the moment of the handoff POST, then runs
 * handleCallback(arg) where arg is "none" (location.href) or "href" (the URL string).
 */
async function addressBarAtPost(t, variant, arg) {
  const { context, page, run } = await open(t);
  const cfg = config({ handoff: { url: "/api/exchange" } });
  const state = new URL(ok(await run(async (m, a) => (await m.PleoOAuth.create(a.cfg)).authorizationUrl(), { cfg }))).searchParams.get("state");
  if (variant === "base") await watchEvil(context, page);
  const code = "SeCrEtCoDe42";
  const q = variant ? `page=${variant}&` : "";
  await page.goto(`${origin}/app/callback?${q}code=${code}&state=${state}`);
  const from = hits.length;
  const r = ok(
    await run(
      async (m, a) => {
        const pleo = await m.PleoOAuth.create(a.cfg);
        const realFetch = window.fetch;
        const seen = [];
        window.fetch = function (input, init) {
          seen.push({ href: location.href, url: String(input), method: init?.method });
          return realFetch.apply(this, arguments);
        };
        try {
          const result = await (a.arg === "href" ? pleo.handleCallback(location.href) : pleo.handleCallback());
          return { result, seen, after: location.href };
        } finally {
          window.fetch = realFetch;
        }
      },
      { cfg, arg },
    ),
  );
  const posts = backendHits("/api/exchange", from);
  return { r, posts, code, expected: `${origin}/app/callback${variant ? `?page=${variant}` : ""}` };
}

for (const [variant, arg, what] of [
  [undefined, "none", "handleCallback() on the callback page"],
  [undefined, "href", "handleCallback(location.href) on the callback page"],
  ["referrer", "none", "handleCallback() on a callback page with the default Referrer-Policy (and the Referer of the POST carries no code)"],
  ["base", "none", "handleCallback() on a callback page with an injected <base href=\"https://evil.example/\">"],
]) {
  test(`6. RFC 9700 §4.1 / §4.2 (the code leaves the address bar before anything is sent): ${what} — location.href has no code or state at the moment of the handoff POST`, async (t) => {
    const { r, posts, code, expected } = await addressBarAtPost(t, variant, arg);
    const problems = [];
    if (r.result.backend?.exchanged !== true) problems.push(`backend answer ${JSON.stringify(r.result)}`);
    if (r.seen.length !== 1) problems.push(`${r.seen.length} fetch calls, want 1`);
    else {
      const at = r.seen[0].href;
      if (at.includes(code) || /[?&](code|state)=/.test(at)) problems.push(`at the POST the address bar was ${at}`);
      if (at !== expected) problems.push(`at the POST the address bar was ${at}, want ${expected}`);
    }
    if (r.after !== expected) problems.push(`afterwards the address bar is ${r.after}, want ${expected}`);
    if (posts.length !== 1) problems.push(`${posts.length} POSTs reached the backend`);
    else {
      const referer = posts[0].headers.referer ?? "";
      if (referer.includes(code)) problems.push(`the POST's Referer carries the code: ${referer}`);
      if (variant === "referrer" && referer !== expected) problems.push(`the POST's Referer is ${JSON.stringify(referer)}, want ${expected}`);
    }
    assert.ok(problems.length === 0, problems.join("\n"));
  });
}
