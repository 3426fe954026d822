// The 0.2 rules of API.md as a real app meets them, through the package's PUBLIC API in headless
// Chromium: appState (round trip, the 4096-byte limit, values JSON cannot hold, never in the URL),
// returnTo/appState on the errors after step 3, already_handled (reload, Back + Approve again,
// StrictMode, other tabs and browsers), the redirect URI's origin checked at create(), and wasm
// loading failures that name their cause. Harness: tests/support/harness.mjs, plus a fake
// authorization endpoint (/authorize) and copies of the package whose wasm is missing, answered
// by an HTML page, or blocked by the page's CSP (/load/*). A failing test is a finding about the
// package.
//
// Run: node --test tests/package/realapps.test.mjs   (after `make pkg`; PLEO_PKG_DIR=dir for another build)
import { test } from "node:test";
import assert from "node:assert/strict";
import { useHarness, hits, origin, originB, browser, redirectUri, config, open, runner, ok, err, backendHits, servePkgFile, appPage, CSP } from "../support/harness.mjs";

/** Requests that reached the fake authorization endpoint (full URLs). */
const authorizeRequests = [];
/** Per package copy: wasm requests seen, and whether its wasm is (still) broken. */
const copies = {
  "/pkg404/": { wasm: 0, broken: true, fault: "404" },
  "/pkghtml/": { wasm: 0, broken: true, fault: "html" },
  "/pkgcsp/": { wasm: 0, broken: false },
};
const LOAD_PAGES = {
  "/load/404": { pkg: "/pkg404/", csp: CSP },
  "/load/html": { pkg: "/pkghtml/", csp: CSP },
  "/load/no-wasm-eval": { pkg: "/pkgcsp/", csp: "default-src 'self'; script-src 'self'; connect-src 'self'" },
  "/load/no-connect": { pkg: "/pkgcsp/", csp: "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; connect-src 'none'" },
};

useHarness({
  routes(req, res, url) {
    if (url.pathname === "/authorize") {
      // A fake authorization server: approves (code), or denies when login_hint=deny.
      authorizeRequests.push(url.href);
      const back = new URL(url.searchParams.get("redirect_uri"));
      back.searchParams.set("state", url.searchParams.get("state"));
      if (url.searchParams.get("login_hint") === "deny") back.searchParams.set("error", "access_denied");
      else back.searchParams.set("code", `code-${authorizeRequests.length}`);
      res.writeHead(302, { location: back.href }).end();
      return true;
    }
    if (LOAD_PAGES[url.pathname]) {
      appPage(res, { ...LOAD_PAGES[url.pathname], title: "loading test" });
      return true;
    }
    const copy = Object.entries(copies).find(([prefix]) => url.pathname.startsWith(prefix));
    if (!copy) return false;
    const [, c] = copy;
    const noStore = { "cache-control": "no-store" };
    if (url.pathname.endsWith(".wasm")) {
      c.wasm += 1;
      if (c.broken && c.fault === "404") res.writeHead(404, noStore).end();
      // A single-page app's fallback: every unknown path answers its index.html.
      else if (c.broken && c.fault === "html")
        res.writeHead(200, { ...noStore, "content-type": "text/html" }).end("<!doctype html><title>My App</title><div id=root></div>");
      else servePkgFile(res, "pleo_oauth_bg.wasm", noStore);
    } else servePkgFile(res, url.pathname, noStore);
    return true;
  },
});

/** In-page helpers, prepended to a test's function by `inPage`. */
function pageHelpers(m) {
  const errInfo = (e) =>
    typeof e === "object" && e !== null
      ? { ...window.errData(e), hasReturnTo: "returnTo" in e, hasAppState: "appState" in e }
      : window.errData(e);
  const storage = () => {
    const dump = (s) => Object.fromEntries(Object.keys(s).sort().map((k) => [k, s.getItem(k)]));
    return { session: dump(sessionStorage), local: dump(localStorage) };
  };
  return {
    errInfo,
    storage,
    /** `{ ok, keys }` or `{ err }` (error data with hasReturnTo / hasAppState). */
    settle: (p) =>
      p.then(
        (v) => ({ ok: v, keys: v && typeof v === "object" ? Object.keys(v).sort() : null }),
        (e) => ({ err: errInfo(e) }),
      ),
    stateOf: (url) => new URL(url).searchParams.get("state"),
    sleep: (ms) => new Promise((r) => setTimeout(r, ms)),
    json: (v) => JSON.stringify(v),
    m,
  };
}

/** `fn(m, a, h)` with the helpers `h`, as a source string for `run`. */
const inPage = (fn) => `async (m, a) => (${fn})(m, a, (${pageHelpers})(m))`;

/** Asserts an error carries the transaction's returnTo and appState (deep-equal; absent = absent). */
function carries(e, returnTo, appState, what) {
  if (returnTo === undefined) assert.equal(e.hasReturnTo, false, `${what}: no returnTo key, got ${JSON.stringify(e.returnTo)}`);
  else assert.equal(e.returnTo, returnTo, `${what}: returnTo`);
  if (appState === undefined) assert.equal(e.hasAppState, false, `${what}: no appState key, got ${JSON.stringify(e.appState)}`);
  else {
    assert.equal(e.hasAppState, true, `${what}: has an appState key`);
    assert.deepEqual(e.appState, appState, `${what}: appState`);
  }
}

// ------------------------------------------------------------------------------------ appState

test("API.md 0.2 appState: any JSON value round-trips on the success result (deep-equal; null as null; a Date as its JSON string); absent or undefined gives no appState key", async (t) => {
  const { run } = await open(t);
  const r = ok(
    await run(
      inPage(async (m, a, h) => {
        const pleo = await m.PleoOAuth.create(a.cfg);
        const when = new Date(Date.UTC(2024, 1, 29, 12, 30, 5, 7));
        const values = [
          ["object", { tab: "pleo", ids: [1, 2, 3], nested: { on: true, none: null, n: -1.5e-7 } }],
          ["array", [1, "two", null, false, { x: [] }]],
          ["string", "plain"],
          ["unicode string", 'Zürich — 東京 😀 \u2028 "q" \\ \n'],
          ["lone surrogate", "\ud800x"],
          ["number", 42.5],
          ["zero", 0],
          ["false", false],
          ["true", true],
          ["empty string", ""],
          ["empty object", {}],
          ["empty array", []],
          ["null", null],
          ["own __proto__ key", JSON.parse('{"__proto__":{"polluted":"yes"},"k":1}')],
          ["Date", when],
          ["object holding a Date", { when }],
        ];
        const out = [];
        for (const [name, value] of values) {
          const url = await pleo.authorizationUrl({ returnTo: "/r", appState: value });
          const got = await h.settle(pleo.handleCallback(`${a.redirectUri}?code=c&state=${h.stateOf(url)}`));
          out.push({
            name,
            want: JSON.parse(JSON.stringify(value)),
            got,
            // Compared in the page too: what the page itself sees, byte for byte as JSON.
            sameJson: "ok" in got && h.json(got.ok.appState) === h.json(value),
            ownProto: "ok" in got && got.ok.appState !== null && typeof got.ok.appState === "object" && Object.hasOwn(got.ok.appState, "__proto__"),
          });
        }
        const absent = {};
        for (const [name, options] of [
          ["no options", undefined],
          ["returnTo only", { returnTo: "/r" }],
          ["appState: undefined", { returnTo: "/r", appState: undefined }],
        ]) {
          const url = await pleo.authorizationUrl(options);
          absent[name] = await h.settle(pleo.handleCallback(`${a.redirectUri}?code=c&state=${h.stateOf(url)}`));
        }
        return { out, absent, polluted: {}.polluted === undefined ? null : "Object.prototype was polluted", dateJson: when.toJSON() };
      }),
    ),
  );
  for (const { name, want, got, sameJson, ownProto } of r.out) {
    const result = ok(got);
    assert.ok(got.keys.includes("appState"), `${name}: the result has an appState key (${JSON.stringify(got.keys)})`);
    assert.equal(result.returnTo, "/r", name);
    if (name === "own __proto__ key") assert.equal(ownProto, true, "an own __proto__ key stays an own key");
    else assert.deepEqual(result.appState, want, name);
    assert.equal(sameJson, true, `${name}: JSON.stringify of what came back equals JSON.stringify of what went in`);
  }
  const date = r.out.find((o) => o.name === "Date");
  assert.equal(ok(date.got).appState, r.dateJson, "a Date comes back as the string JSON.stringify made of it");
  assert.equal(typeof ok(date.got).appState, "string");
  assert.deepEqual(ok(r.out.find((o) => o.name === "object holding a Date").got).appState, { when: r.dateJson });
  assert.equal(ok(r.out.find((o) => o.name === "null").got).appState, null, "null round-trips as null");
  assert.equal(r.polluted, null);
  for (const [name, got] of Object.entries(r.absent)) {
    ok(got);
    assert.equal(got.keys.includes("appState"), false, `${name}: no appState key on the result (${JSON.stringify(got.keys)})`);
  }
});

test("API.md 0.2 appState: at most 4096 UTF-8 bytes of JSON.stringify — exactly 4096 (2-byte, 4-byte, escaped quotes, an object) is accepted and returned intact; 4097 is invalid_parameter naming 4096 bytes, and nothing is stored", async (t) => {
  const { run } = await open(t);
  const r = ok(
    await run(
      inPage(async (m, a, h) => {
        const pleo = await m.PleoOAuth.create(a.cfg);
        const bytes = (v) => new TextEncoder().encode(JSON.stringify(v)).length;
        const cases = [
          ["2-byte é ×2047", "é".repeat(2047)],
          ["2-byte é ×2047 + a", "é".repeat(2047) + "a"],
          ["emoji ×1023 + é", "😀".repeat(1023) + "é"],
          ["emoji ×1023 + é + a", "😀".repeat(1023) + "éa"],
          ['escaped quote " ×2047', '"'.repeat(2047)],
          ['escaped quote " ×2047 + a', '"'.repeat(2047) + "a"],
          ["ASCII ×4094", "a".repeat(4094)],
          ["ASCII ×4095", "a".repeat(4095)],
          ["object of 4096 bytes", { k: "x".repeat(4088) }],
          ["object of 4097 bytes", { k: "x".repeat(4089) }],
        ];
        const out = [];
        for (const [name, value] of cases) {
          const before = h.storage();
          const started = await h.settle(pleo.authorizationUrl({ returnTo: "/big", appState: value }));
          const storedNothing = h.json(h.storage()) === h.json(before);
          let back = null;
          if ("ok" in started) {
            const result = await h.settle(pleo.handleCallback(`${a.redirectUri}?code=c&state=${h.stateOf(started.ok)}`));
            back = "ok" in result ? { intact: h.json(result.ok.appState) === h.json(value) } : result;
          }
          out.push({ name, bytes: bytes(value), started: "ok" in started ? "ok" : started.err, storedNothing, back });
        }
        return out;
      }),
    ),
  );
  for (const { name, bytes, started, storedNothing, back } of r) {
    assert.ok(bytes === 4096 || bytes === 4097, `test premise: ${name} is ${bytes} bytes of JSON`);
    if (bytes === 4096) {
      assert.equal(started, "ok", `${name} (4096 bytes) is accepted: ${JSON.stringify(started)}`);
      assert.deepEqual(back, { intact: true }, `${name} comes back intact`);
    } else {
      assert.notEqual(started, "ok", `${name} (4097 bytes) must be refused`);
      err({ err: started }, "invalid_parameter");
      assert.match(started.message, /\b4096\b/, `${name}: the message names the limit`);
      assert.match(started.message, /bytes/, `${name}: the message says the limit is in bytes`);
      assert.match(started.message, /appState/, `${name}: the message names the option`);
      assert.equal(storedNothing, true, `${name}: nothing stored`);
    }
  }
});

test("API.md 0.2 appState: what JSON.stringify drops or cannot write (function, {a: undefined}, [undefined], NaN, ±Infinity, bigint, symbol, Map, Set, class instance, cycle, throwing getter, revoked Proxy) is invalid_parameter from authorizationUrl and redirect — nothing stored, no navigation", async (t) => {
  const { run, page, pageErrors } = await open(t);
  const r = ok(
    await run(
      inPage(async (m, a, h) => {
        const revoked = () => {
          const p = Proxy.revocable({}, {});
          p.revoke();
          return p.proxy;
        };
        const cycle = () => {
          const c = { name: "c" };
          c.self = c;
          return c;
        };
        class Draft {
          constructor() {
            this.id = 1;
          }
        }
        const values = [
          ["a function", () => () => 1],
          ["{ a: undefined }", () => ({ a: undefined })],
          ["[undefined]", () => [undefined]],
          ["NaN", () => NaN],
          ["Infinity", () => Infinity],
          ["-Infinity", () => -Infinity],
          ["a bigint", () => 10n],
          ["a symbol", () => Symbol("s")],
          ["a Map", () => new Map([["tab", "pleo"]])],
          ["a Set", () => new Set([1])],
          ["a class instance", () => new Draft()],
          ["URLSearchParams", () => new URLSearchParams("tab=pleo")],
          ["a cycle", cycle],
          ["a getter that throws", () => ({ get x() { throw new Error("getter"); } })],
          ["a revoked Proxy", revoked],
          ["nested: { list: [1, NaN] }", () => ({ list: [1, NaN] })],
          ["nested: { deep: { f() {} } }", () => ({ deep: { f() {} } })],
          ["nested: [new Map()]", () => [new Map()]],
          ["nested: { n: 1n }", () => ({ n: 1n })],
        ];
        const session = await m.PleoOAuth.create(a.cfg);
        const local = await m.PleoOAuth.create({ ...a.cfg, storage: "local" });
        const out = [];
        for (const [name, make] of values) {
          for (const [how, call] of [
            ["authorizationUrl", (o) => session.authorizationUrl(o)],
            ["redirect", (o) => session.redirect(o)],
            ['authorizationUrl, storage: "local"', (o) => local.authorizationUrl(o)],
          ]) {
            const before = h.storage();
            const href = location.href;
            const got = await h.settle(call({ returnTo: "/x", appState: make() }));
            out.push({ name, how, got, storedNothing: h.json(h.storage()) === h.json(before), stayed: location.href === href });
          }
        }
        // An options object whose appState getter throws.
        const before = h.storage();
        const getter = await h.settle(session.authorizationUrl({ returnTo: "/x", get appState() { throw new Error("boom"); } }));
        out.push({ name: "options with a throwing appState getter", how: "authorizationUrl", got: getter, storedNothing: h.json(h.storage()) === h.json(before), stayed: true });
        // And the library still works.
        const url = await session.authorizationUrl({ returnTo: "/after", appState: { fine: true } });
        const after = await session.handleCallback(`${a.redirectUri}?code=c&state=${h.stateOf(url)}`);
        return { out, after };
      }),
    ),
  );
  const problems = [];
  for (const { name, how, got, storedNothing, stayed } of r.out) {
    const what = `${how}({ appState: ${name} })`;
    if (!("err" in got)) problems.push(`${what}: resolved ${JSON.stringify(got.ok)}`);
    else if (!(got.err.isPleo && got.err.code === "invalid_parameter")) problems.push(`${what}: ${JSON.stringify(got.err)}`);
    // The options' own getter throwing makes the whole options unreadable: a getter is named then.
    else if (!/appState|getter/.test(got.err.message)) problems.push(`${what}: the message names neither appState nor the getter: ${got.err.message}`);
    if (!storedNothing) problems.push(`${what}: something was stored`);
    if (!stayed) problems.push(`${what}: the page navigated`);
  }
  assert.ok(problems.length === 0, `refused appState values:\n  ${problems.join("\n  ")}`);
  assert.deepEqual(r.after.appState, { fine: true }, "the library keeps working");
  assert.equal(page.url(), `${origin}/app/start`);
  assert.deepEqual(pageErrors, []);
});

test("API.md 0.2 appState is never in the authorization URL; redirect({ returnTo, appState }) → authorization server → callback page: handleCallback() returns it", async (t) => {
  const { page, run } = await open(t);
  const MARK = "MARK-q7Zx";
  const appState = { draft: MARK, tab: "pleo", n: [1, 2] };
  const cfg = config({ environment: { authorizationEndpoint: `${origin}/authorize` }, handoff: { url: "/api/ok" } });
  const built = ok(
    await run(
      inPage(async (m, a, h) => {
        const pleo = await m.PleoOAuth.create(a.cfg);
        const url = await pleo.authorizationUrl({ returnTo: "/settings", appState: a.appState });
        const utf8 = new TextEncoder().encode(JSON.stringify(a.appState));
        const b64 = btoa(String.fromCharCode(...utf8));
        return { url, names: [...new URL(url).searchParams.keys()], b64, b64url: b64.replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "") };
      }),
      { cfg, appState },
    ),
  );
  assert.deepEqual(
    built.names.sort(),
    ["client_id", "code_challenge", "code_challenge_method", "redirect_uri", "response_type", "scope", "state"],
    "the request parameters and nothing else",
  );
  const forms = [MARK, encodeURIComponent(JSON.stringify(appState)), built.b64, built.b64url, built.b64url.slice(0, 12)];
  for (const f of forms) assert.ok(!built.url.includes(f), `the URL carries no form of appState (${f}): ${built.url}`);

  // The real flow: redirect() navigates to the authorization endpoint, which sends the browser back.
  const fromAuth = authorizeRequests.length;
  const fromApi = hits.length;
  await Promise.all([
    page.waitForURL(/\/app\/callback\?/),
    run((m, a) => m.PleoOAuth.create(a.cfg).then((p) => p.redirect({ returnTo: "/settings", appState: a.appState })), { cfg, appState }).catch(() => {}),
  ]);
  const sent = authorizeRequests.slice(fromAuth);
  assert.equal(sent.length, 1, "one request to the authorization endpoint");
  for (const f of forms) assert.ok(!decodeURIComponent(sent[0]).includes(f) && !sent[0].includes(f), `the request carries no form of appState: ${sent[0]}`);
  const result = ok(await run((m, a) => m.PleoOAuth.create(a.cfg).then((p) => p.handleCallback()), { cfg }));
  assert.equal(result.returnTo, "/settings");
  assert.deepEqual(result.appState, appState);
  assert.equal(result.backend?.connected, true);
  const posts = backendHits("/api/ok", fromApi);
  assert.equal(posts.length, 1);
  assert.ok(!JSON.stringify(posts[0].body).includes(MARK), "appState is not sent to the backend either");
});

// ------------------------------------------------------------------------------------ errors carry the context

test("API.md (new) errors after step 3 carry the transaction's returnTo and appState: expired (4), issuer_mismatch (5, wrong and missing iss), redirect_uri_mismatch (6), authorization_error (7), handoff_failed (10); appState null stays null, none gives no key", async (t) => {
  const { run } = await open(t);
  const r = ok(
    await run(
      inPage(async (m, a, h) => {
        const issuerEnv = { authorizationEndpoint: "https://auth.example.com/oauth/authorize", issuer: "https://auth.example.com" };
        const clients = {
          plain: await m.PleoOAuth.create(a.cfg),
          ttl1: await m.PleoOAuth.create({ ...a.cfg, transactionTtlSeconds: 1 }),
          issuer: await m.PleoOAuth.create({ ...a.cfg, environment: issuerEnv }),
          failing: await m.PleoOAuth.create({ ...a.cfg, handoff: { url: "/api/fail" } }),
        };
        const cases = [
          // [name, client, start options, callback path, query]
          ["expired", "ttl1", { returnTo: "/e", appState: { step: 4, list: [1, "a"] } }, "/app/callback", "code=c&state=S"],
          ["issuer_mismatch (wrong iss)", "issuer", { returnTo: "/i", appState: "text state" }, "/app/callback", "code=c&state=S&iss=https%3A%2F%2Fevil.example"],
          ["issuer_mismatch (no iss)", "issuer", { returnTo: "/i2", appState: [true, false] }, "/app/callback", "code=c&state=S"],
          ["redirect_uri_mismatch", "plain", { returnTo: "/r", appState: 7 }, "/app/elsewhere", "code=c&state=S"],
          ["authorization_error", "plain", { returnTo: "/a", appState: { why: "deny" } }, "/app/callback", "error=access_denied&state=S"],
          ["handoff_failed", "failing", { returnTo: "/h", appState: { tab: "pleo" } }, "/app/callback", "code=c&state=S"],
          ["issuer_mismatch, appState null", "issuer", { returnTo: "/n", appState: null }, "/app/callback", "code=c&state=S&iss=https%3A%2F%2Fevil.example"],
          ["authorization_error, no returnTo or appState", "plain", undefined, "/app/callback", "error=access_denied&state=S"],
          ["handoff_failed, appState null", "failing", { appState: null }, "/app/callback", "code=c&state=S"],
        ];
        const started = [];
        for (const [name, client, options, path, query] of cases) {
          const state = h.stateOf(await clients[client].authorizationUrl(options));
          started.push({ name, client, options, url: `${a.origin}${path}?${query.replace("S", state)}` });
        }
        await h.sleep(1100); // the ttl1 transaction expires; the others (600 s) do not
        const out = [];
        for (const { name, client, options, url } of started) {
          out.push({ name, options: options ?? {}, got: await h.settle(clients[client].handleCallback(url)) });
        }
        return out;
      }),
    ),
  );
  for (const { name, options, got } of r) {
    const code = name.split(/[ ,]/)[0];
    const e = err(got, code);
    carries(e, options.returnTo, "appState" in options ? options.appState : undefined, name);
  }
});

test("API.md steps 3–4: with several pending transactions past their expiry, each one's callback is expired with its own returnTo/appState — handling another callback (expired or successful) first does not turn it into unknown_state", async (t) => {
  const { run } = await open(t);
  const r = ok(
    await run(
      inPage(async (m, a, h) => {
        const ttl1 = await m.PleoOAuth.create({ ...a.cfg, transactionTtlSeconds: 1 });
        const plain = await m.PleoOAuth.create(a.cfg);
        // Slow connections in two tabs sharing storage, or one tab where the user started twice;
        // and one that is still valid. All started before the wait (a later authorizationUrl
        // may drop expired ones: API.md authorizationUrl step 3).
        const A = h.stateOf(await ttl1.authorizationUrl({ returnTo: "/a", appState: "A" }));
        const B = h.stateOf(await ttl1.authorizationUrl({ returnTo: "/b", appState: "B" }));
        const C = h.stateOf(await ttl1.authorizationUrl({ returnTo: "/c", appState: "C" }));
        const F = h.stateOf(await plain.authorizationUrl({ returnTo: "/fresh" }));
        await h.sleep(1100);
        const pending = (s) => sessionStorage.getItem("pleo-oauth:tx:" + s)?.startsWith("v=1&") ?? false;
        const out = [];
        for (const [name, client, s] of [["A", ttl1, A], ["B", ttl1, B], ["fresh", plain, F], ["C", ttl1, C]]) {
          const stored = { B: pending(B), C: pending(C) };
          out.push({ name, storedBefore: stored, got: await h.settle(client.handleCallback(`${a.redirectUri}?code=c&state=${s}`)) });
        }
        return out;
      }),
    ),
  );
  const problems = [];
  for (const { name, storedBefore, got } of r) {
    if (name === "fresh") {
      if (!("ok" in got) || got.ok.returnTo !== "/fresh") problems.push(`fresh: ${JSON.stringify(got)}`);
      continue;
    }
    const e = got.err;
    if (!e || e.code !== "expired" || e.returnTo !== `/${name.toLowerCase()}` || e.appState !== name)
      problems.push(
        `${name}: want expired with returnTo /${name.toLowerCase()} and appState "${name}", got ${e ? `${e.code} (returnTo ${JSON.stringify(e.returnTo)}, appState ${JSON.stringify(e.appState)}): ${e.message}` : JSON.stringify(got)}` +
          ` — pending records of B/C before this callback: ${JSON.stringify(storedBefore)}`,
      );
  }
  assert.ok(problems.length === 0, `expired transactions:\n  ${problems.join("\n  ")}`);
});

test("API.md steps 1–3: errors before the transaction is found (duplicate_parameter, not_a_callback, missing_state, unknown_state) carry no returnTo/appState, even for a real pending state, which stays pending; missing_code (step 8) cannot be reached", async (t) => {
  const { run } = await open(t);
  const r = ok(
    await run(
      inPage(async (m, a, h) => {
        const pleo = await m.PleoOAuth.create(a.cfg);
        const S = h.stateOf(await pleo.authorizationUrl({ returnTo: "/pending", appState: { keep: "me" } }));
        const queries = [
          ["duplicate_parameter", `code=a&code=b&state=${S}`],
          ["duplicate_parameter", `code=a&state=${S}&state=${S}`],
          ["not_a_callback", `state=${S}`],
          ["not_a_callback", `code=&state=${S}`],
          ["not_a_callback", `code=&error=&state=${S}`],
          ["missing_state", "code=a"],
          ["missing_state", "error=access_denied"],
          ["unknown_state", `code=a&state=${await m.generateState()}`],
          ["unknown_state", `error=access_denied&state=${await m.generateState()}`],
        ];
        const out = [];
        for (const [want, q] of queries) out.push({ want, q, got: await h.settle(pleo.handleCallback(`${a.redirectUri}?${q}`)) });
        const still = await h.settle(pleo.handleCallback(`${a.redirectUri}?code=real&state=${S}`));
        return { out, still };
      }),
    ),
  );
  for (const { want, q, got } of r.out) {
    const e = err(got, want);
    carries(e, undefined, undefined, `${want} (?${q.replace(/state=[\w-]{20,}/g, "state=…")})`);
  }
  // A state of a pending transaction with neither code nor error is not_a_callback (step 2),
  // so step 8's missing_code is unreachable through handleCallback.
  const done = ok(r.still);
  assert.equal(done.returnTo, "/pending", "the pending transaction was not consumed by the refused callbacks");
  assert.deepEqual(done.appState, { keep: "me" });
  assert.equal(done.handoff.code, "real");
});

// ------------------------------------------------------------------------------------ already_handled

test("API.md step 2 (new) already_handled: on the callback page handleCallback() cleans the address to /app/callback?keep=1 and a second call (StrictMode) gets the same object; a reload and the original callback URL again are already_handled with returnTo/appState and no second POST; the completed record holds neither code nor verifier; a state never started, and the callback in another browser, are unknown_state", async (t) => {
  const { page, run } = await open(t);
  const cfg = config({ handoff: { url: "/api/ok" } });
  const appState = { tab: "integrations", draft: [1, "two", null] };
  const start = ok(await run((m, a) => m.PleoOAuth.create(a.cfg).then((p) => p.authorizationUrl({ returnTo: "/settings/integrations", appState: a.appState })), { cfg, appState }));
  const state = new URL(start).searchParams.get("state");
  const CODE = "CODE-r3aL-9f3aZq";
  const callbackUrl = `${redirectUri()}?code=${CODE}&state=${state}&keep=1`;
  await page.goto(callbackUrl);
  const from = hits.length;
  const first = ok(
    await run(
      inPage(async (m, a, h) => {
        const pleo = await m.PleoOAuth.create(a.cfg);
        const r1 = await pleo.handleCallback();
        const address = location.pathname + location.search;
        const r2 = await pleo.handleCallback(); // StrictMode's second effect: reads the cleaned address
        const r3 = await (await m.PleoOAuth.create(a.cfg)).handleCallback(); // another client of the page
        const r4 = await h.settle(pleo.handleCallback(a.callbackUrl)); // the original URL, same page
        return {
          r1,
          address,
          same2: r1 === r2,
          same3: r1 === r3,
          same4: "ok" in r4 && r4.ok === r1,
          r4: "ok" in r4 ? null : r4.err,
          record: sessionStorage.getItem("pleo-oauth:tx:" + a.state),
          storage: h.storage(),
        };
      }),
      { cfg, state, callbackUrl },
    ),
  );
  assert.equal(first.r1.returnTo, "/settings/integrations");
  assert.deepEqual(first.r1.appState, appState);
  assert.equal(first.r1.backend?.connected, true);
  assert.equal(first.address, "/app/callback?keep=1", "code and state left the address bar, keep=1 stayed");
  assert.equal(first.same2, true, "a second handleCallback() in the page gets the very same result object, not already_handled");
  assert.equal(first.same3, true, "so does another client of the same page");
  assert.equal(first.same4, true, `so does handleCallback(original URL) in the page: ${JSON.stringify(first.r4)}`);
  const posts = backendHits("/api/ok", from);
  assert.equal(posts.length, 1, "one exchange");
  const verifier = posts[0].body.code_verifier;
  assert.equal(posts[0].body.code, CODE);
  assert.match(verifier, /^[A-Za-z0-9_-]{43}$/);
  assert.ok(first.record !== null, "the completed connection is remembered under pleo-oauth:tx:<state>");
  for (const secret of [CODE, verifier]) {
    assert.ok(!first.record.includes(secret), `the completed record holds no secret: ${first.record}`);
    for (const [area, entries] of Object.entries(first.storage))
      for (const [k, v] of Object.entries(entries)) assert.ok(!v.includes(secret) && !k.includes(secret), `${area}Storage[${k}] holds a secret`);
  }

  // Reload of the cleaned page.
  await page.reload();
  assert.equal(page.url(), `${origin}/app/callback?keep=1`);
  const reload = await run(inPage(async (m, a, h) => h.settle(m.PleoOAuth.create(a.cfg).then((p) => p.handleCallback()))), { cfg });
  carries(err(reload.ok, "already_handled"), "/settings/integrations", appState, "reload");
  // Back, then Approve again: the original callback URL loaded again.
  await page.goto(callbackUrl);
  const again = await run(inPage(async (m, a, h) => h.settle(m.PleoOAuth.create(a.cfg).then((p) => p.handleCallback()))), { cfg });
  carries(err(again.ok, "already_handled"), "/settings/integrations", appState, "the callback URL again");
  assert.equal(backendHits("/api/ok", from).length, 1, "nothing handed off again");

  // A state this browser never started.
  await page.goto(`${redirectUri()}?code=x&state=never-started-${"A".repeat(30)}&keep=1`);
  const unknown = await run(inPage(async (m, a, h) => h.settle(m.PleoOAuth.create(a.cfg).then((p) => p.handleCallback()))), { cfg });
  carries(err(unknown.ok, "unknown_state"), undefined, undefined, "never started");

  // The same callback in another browser (storage "session"): it never started it.
  const elsewhere = await browser.newContext();
  t.after(() => elsewhere.close());
  const other = await elsewhere.newPage();
  await other.goto(callbackUrl);
  const there = await runner(other)(inPage(async (m, a, h) => h.settle(m.PleoOAuth.create(a.cfg).then((p) => p.handleCallback()))), { cfg });
  carries(err(there.ok, "unknown_state"), undefined, undefined, "another browser");
  assert.equal(backendHits("/api/ok", from).length, 1, "never a second exchange");
});

test("API.md step 2 (new) after an authorization_error: a second call in the page gives the same authorization_error (StrictMode), a reload of the error URL and loading it again are already_handled with returnTo/appState", async (t) => {
  const { page, run } = await open(t);
  const appState = { tab: "pleo", attempt: 1 };
  const start = ok(await run((m, a) => m.PleoOAuth.create(a.cfg).then((p) => p.authorizationUrl({ returnTo: "/connect", appState: a.appState })), { appState }));
  const state = new URL(start).searchParams.get("state");
  const errorUrl = `${redirectUri()}?error=access_denied&error_description=The+user+said+no&state=${state}`;
  await page.goto(errorUrl);
  const r = ok(
    await run(
      inPage(async (m, a, h) => {
        const pleo = await m.PleoOAuth.create(a.cfg);
        let e1, e2;
        const x = await pleo.handleCallback().catch((e) => (e1 = e));
        const y = await pleo.handleCallback().catch((e) => (e2 = e));
        return { first: h.errInfo(x), second: h.errInfo(y), sameObject: e1 !== undefined && e1 === e2, href: location.href };
      }),
    ),
  );
  const e1 = err({ err: r.first }, "authorization_error");
  assert.equal(e1.error, "access_denied");
  carries(e1, "/connect", appState, "authorization_error");
  const e2 = err({ err: r.second }, "authorization_error");
  carries(e2, "/connect", appState, "the second call");
  assert.equal(e2.message, e1.message);
  t.diagnostic(`same error object on the second call: ${r.sameObject}; address after the error: ${r.href}`);

  await page.reload();
  const reload = await run(inPage(async (m, a, h) => h.settle(m.PleoOAuth.create(a.cfg).then((p) => p.handleCallback()))));
  carries(err(reload.ok, "already_handled"), "/connect", appState, "reload after the error");
  await page.goto(errorUrl);
  const again = await run(inPage(async (m, a, h) => h.settle(m.PleoOAuth.create(a.cfg).then((p) => p.handleCallback()))));
  carries(err(again.ok, "already_handled"), "/connect", appState, "the error URL loaded again");
});

test('API.md step 2 (new) completed states live in the configured storage: storage "local" — the callback again in another tab is already_handled (no POST), in another browser unknown_state; storage "session" — another tab is unknown_state', async (t) => {
  const { context, page, run } = await open(t);
  const cases = {};
  for (const storage of ["local", "session"]) {
    const cfg = config({ storage, handoff: { url: "/api/ok" } });
    await page.goto(`${origin}/app/start`);
    const start = ok(await run((m, a) => m.PleoOAuth.create(a.cfg).then((p) => p.authorizationUrl({ returnTo: "/t", appState: a.storage })), { cfg, storage }));
    const url = `${redirectUri()}?code=c-${storage}&state=${new URL(start).searchParams.get("state")}`;
    await page.goto(url);
    const from = hits.length;
    ok(await run((m, a) => m.PleoOAuth.create(a.cfg).then((p) => p.handleCallback()), { cfg }));
    const tab = await context.newPage();
    await tab.goto(url);
    const inTab = await runner(tab)(inPage(async (m, a, h) => h.settle(m.PleoOAuth.create(a.cfg).then((p) => p.handleCallback()))), { cfg });
    await tab.close();
    const elsewhere = await browser.newContext();
    const other = await elsewhere.newPage();
    await other.goto(url);
    const inOther = await runner(other)(inPage(async (m, a, h) => h.settle(m.PleoOAuth.create(a.cfg).then((p) => p.handleCallback()))), { cfg });
    await elsewhere.close();
    cases[storage] = { inTab: inTab.ok, inOther: inOther.ok, posts: backendHits("/api/ok", from).length };
  }
  carries(err(cases.local.inTab, "already_handled"), "/t", "local", 'storage "local", another tab');
  carries(err(cases.local.inOther, "unknown_state"), undefined, undefined, 'storage "local", another browser');
  assert.equal(cases.local.posts, 1, 'storage "local": one exchange');
  carries(err(cases.session.inTab, "unknown_state"), undefined, undefined, 'storage "session", another tab');
  carries(err(cases.session.inOther, "unknown_state"), undefined, undefined, 'storage "session", another browser');
  assert.equal(cases.session.posts, 1, 'storage "session": one exchange');
});

// ------------------------------------------------------------------------------------ create()

test("API.md 0.2 create(): a redirectUri on another origin than location.origin is invalid_config naming both origins (localhost vs 127.0.0.1, another port, https, [::1]); the same origin is accepted, also on a page served as localhost", async (t) => {
  const { context, run } = await open(t);
  const port = new URL(origin).port;
  const localhost = `http://localhost:${port}`;
  const attempt = (r, uris) =>
    r(
      inPage(async (m, a, h) => {
        const out = {};
        for (const uri of a.uris) out[uri] = await h.settle(m.PleoOAuth.create({ ...a.cfg, redirectUri: uri }).then(() => "created"));
        return out;
      }),
      { uris },
    );
  const foreign = [`${localhost}/app/callback`, `${originB}/app/callback`, `https://127.0.0.1:${port}/app/callback`, `http://[::1]:${port}/app/callback`];
  const same = [`${origin}/app/callback`, `${origin}/elsewhere/cb`];
  const r = ok(await attempt(run, [...foreign, ...same]));
  for (const uri of foreign) {
    const e = err(r[uri], "invalid_config");
    const theirs = new URL(uri).origin;
    assert.ok(e.message.includes(theirs), `${uri}: the message names the redirect URI's origin ${theirs}: ${e.message}`);
    assert.ok(e.message.includes(origin), `${uri}: the message names the page's origin ${origin}: ${e.message}`);
  }
  for (const uri of same) assert.equal(ok(r[uri]), "created", uri);

  // The same app served as http://localhost:<port>.
  const page2 = await context.newPage();
  await page2.goto(`${localhost}/app/start`);
  const l = ok(await attempt(runner(page2), [`${localhost}/app/callback`, `${origin}/app/callback`]));
  assert.equal(ok(l[`${localhost}/app/callback`]), "created", "localhost page, localhost redirect URI");
  const e = err(l[`${origin}/app/callback`], "invalid_config");
  assert.ok(e.message.includes(origin) && e.message.includes(localhost), `names both origins: ${e.message}`);
});

// ------------------------------------------------------------------------------------ loading

/** Opens a /load/* page and runs: preload(), create() (each must fail), then `after` once fixed. */
async function loadFailure(t, pathname) {
  const { page, run, pageErrors } = await open(t, pathname);
  const attempt = () =>
    run(
      inPage(async (m, a, h) => {
        const violations = [];
        addEventListener("securitypolicyviolation", (e) => violations.push(e.effectiveDirective));
        const preload = await h.settle(m.PleoOAuth.preload());
        const created = await h.settle(m.PleoOAuth.create(a.cfg));
        const helper = await h.settle(m.generateState());
        await h.sleep(50);
        return { preload, created, helper, violations };
      }),
    );
  return { page, run, pageErrors, attempt };
}

function loadError(got, what) {
  const e = err(got, "invalid_config");
  assert.match(e.message, /WebAssembly/, `${what}: says the WebAssembly module did not load`);
  return e;
}

for (const [pathname, prefix, cause, check] of [
  [
    "/load/404",
    "/pkg404/",
    "the wasm answering HTTP 404",
    (e, wasmUrl) => {
      assert.match(e.message, /HTTP 404/);
      assert.ok(e.message.includes(wasmUrl), `names ${wasmUrl}: ${e.message}`);
    },
  ],
  [
    "/load/html",
    "/pkghtml/",
    "the wasm URL answering 200 text/html (an SPA fallback)",
    (e, wasmUrl) => {
      assert.match(e.message, /not WebAssembly/);
      assert.match(e.message, /text\/html/);
      assert.ok(e.message.includes(wasmUrl), `names ${wasmUrl}: ${e.message}`);
    },
  ],
]) {
  test(`API.md 0.2 loading (new URL("pleo_oauth_bg.wasm", import.meta.url)): ${cause} → invalid_config naming the cause from preload(), create() and a helper; each call retries the load, and once the file is served the same page works`, async (t) => {
    const c = copies[prefix];
    c.broken = true;
    t.after(() => (c.broken = true));
    const { run, pageErrors, attempt } = await loadFailure(t, pathname);
    const wasmUrl = `${origin}${prefix}pleo_oauth_bg.wasm`;
    const before = c.wasm;
    const r = ok(await attempt());
    for (const k of ["preload", "created", "helper"]) check(loadError(r[k], `${cause}, ${k}`), wasmUrl);
    assert.equal(c.wasm - before, 3, "every call fetched the module again (a failed load is not cached)");
    c.broken = false;
    const fixed = ok(
      await run(
        inPage(async (m, a, h) => {
          const pleo = await m.PleoOAuth.create(a.cfg);
          const url = await pleo.authorizationUrl({ returnTo: "/ok", appState: 1 });
          return pleo.handleCallback(`${a.redirectUri}?code=c&state=${h.stateOf(url)}`);
        }),
      ),
    );
    assert.equal(fixed.appState, 1, "works in the same page once the file is there");
    assert.equal(c.wasm - before, 4);
    assert.deepEqual(pageErrors, [], "nothing uncaught in the page");
  });
}

test("API.md 0.2 loading: a page whose CSP lacks 'wasm-unsafe-eval' → invalid_config naming 'wasm-unsafe-eval' and script-src; each call tries the load again", async (t) => {
  const c = copies["/pkgcsp/"];
  const { pageErrors, attempt } = await loadFailure(t, "/load/no-wasm-eval");
  const before = c.wasm;
  const r = ok(await attempt());
  for (const k of ["preload", "created", "helper"]) {
    const e = loadError(r[k], k);
    assert.match(e.message, /'wasm-unsafe-eval'/, `${k}: ${e.message}`);
    assert.match(e.message, /script-src/, `${k}: ${e.message}`);
  }
  assert.equal(c.wasm - before, 3, "every call fetched the module again");
  t.diagnostic(`violations seen by the page: ${JSON.stringify(r.violations)}`);
  assert.deepEqual(pageErrors, []);
});

test("API.md 0.2 loading: a page whose CSP connect-src does not allow the wasm (connect-src 'none') → invalid_config naming connect-src and the wasm's origin; each call tries the load again", async (t) => {
  const c = copies["/pkgcsp/"];
  const { pageErrors, attempt } = await loadFailure(t, "/load/no-connect");
  const before = c.wasm;
  const r = ok(await attempt());
  for (const k of ["preload", "created", "helper"]) {
    const e = loadError(r[k], k);
    assert.match(e.message, /connect-src/, `${k}: ${e.message}`);
    assert.ok(e.message.includes(origin), `${k}: names ${origin}: ${e.message}`);
  }
  assert.equal(c.wasm - before, 0, "the request was blocked by the page");
  assert.equal(r.violations.filter((d) => d === "connect-src").length, 3, `every call tried the fetch again: ${JSON.stringify(r.violations)}`);
  assert.deepEqual(pageErrors, []);
});
