// Findings of a held-out security run, through the package's PUBLIC API in headless Chromium:
//   1. a polluted Object.prototype (prototype pollution in any dependency of the page) must not
//      reach the flow: options, the core's replies and error details are read as OWN properties;
//   2. a crypto.getRandomValues that throws is a PleoOAuthError (invalid_config), and nothing is
//      stored;
//   2b. Web Crypto's SHA-256 missing (crypto.subtle deleted: a page that is no secure context) or
//      failing (digest throwing or rejecting) is a PleoOAuthError (invalid_config, naming
//      crypto.subtle.digest and the secure context), nothing is stored, no navigation; a bad
//      verifier is still invalid_parameter first;
//   3. a callback whose pending record was started under another configured issuer is
//      issuer_mismatch (API.md step 5), consumed and with the connection's returnTo/appState —
//      not unknown_state.
// Harness: tests/support/harness.mjs, plus a fake authorization endpoint (/authorize, answering
// 204 so that a redirect leaves the page where it is) and a page (/app/react) whose import map
// points "react" at a stub, to drive pleo-oauth/react's hooks without React.
//
// Run: node --test tests/package/findings.test.mjs   (after `make pkg`; PLEO_PKG_DIR=dir for another build)
import { test } from "node:test";
import assert from "node:assert/strict";
import crypto from "node:crypto";
import { useHarness, hits, origin, config, open, ok, err, backendHits, CSP, s256 } from "../support/harness.mjs";

/** Requests that reached the fake authorization endpoint (full URLs). */
const authorizeRequests = [];

// The React stub: hooks as plain functions (state setters record what they were given).
const REACT_STUB = `
  export const useState = (v) => [v, (x) => (window.__reactSet ??= []).push(x)];
  export const useRef = (v) => ({ current: v });
  export const useCallback = (f) => f;
  export const useEffect = (f) => void f();`;
const IMPORT_MAP = JSON.stringify({ imports: { react: "/app/react-stub.js" } });
const IMPORT_MAP_HASH = `'sha256-${crypto.createHash("sha256").update(IMPORT_MAP).digest("base64")}'`;

useHarness({
  routes(req, res, url) {
    if (url.pathname === "/authorize") {
      authorizeRequests.push(url.href);
      res.writeHead(204).end(); // a navigation answered 204 does not leave the page
      return true;
    }
    if (url.pathname === "/app/react-stub.js") {
      res.writeHead(200, { "content-type": "text/javascript" }).end(REACT_STUB);
      return true;
    }
    if (url.pathname === "/app/react") {
      const csp = CSP.replace("script-src 'self'", `script-src 'self' ${IMPORT_MAP_HASH}`);
      res
        .writeHead(200, { "content-type": "text/html", "content-security-policy": csp, "referrer-policy": "no-referrer" })
        .end(`<!doctype html><meta charset=utf-8><title>react test</title><script type=importmap>${IMPORT_MAP}</script><body><script type=module src="/app/boot.js"></script>`);
      return true;
    }
    return false;
  },
});

/** In-page helpers, prepended to a test's function by `inPage`. */
function pageHelpers(m) {
  const settle = (p) =>
    Promise.resolve(p).then(
      (v) => ({ ok: v }),
      (e) => ({ err: { ...window.errData(e), ownKeys: typeof e === "object" && e !== null ? Object.keys(e).sort() : null } }),
    );
  /** Runs `f` with `pollution` set on Object.prototype (as a polluting merge does), then removes it. */
  const polluted = async (pollution, f) => {
    for (const [k, v] of Object.entries(pollution)) Object.prototype[k] = v;
    try {
      return await settle(f());
    } finally {
      for (const k of Object.keys(pollution)) delete Object.prototype[k];
    }
  };
  /** What the page can tell about a value: own keys only, and the own value of each. */
  const own = (v) =>
    v === null || typeof v !== "object"
      ? v
      : Array.isArray(v)
        ? v.map(own)
        : Object.fromEntries(Object.keys(v).sort().map((k) => [k, own(v[k])]));
  const records = () => Object.keys(sessionStorage).filter((k) => k.startsWith("pleo-oauth:")).sort().map((k) => [k, sessionStorage.getItem(k)]);
  const stateOf = (url) => new URL(url).searchParams.get("state");
  /**
   * Each of `calls` run under a fault: `fault()` before it, `mend()` after it, with popup()'s
   * window a stand-in (no real popup needed). Per call: its outcome, what it stored, whether the
   * address bar stayed, and the stand-in windows it opened.
   */
  const underFault = async (calls, fault, mend) => {
    const realOpen = window.open;
    const fakes = [];
    window.open = () => {
      const fake = { closed: false, replaced: null, written: [], close() { this.closed = true; }, location: { replace: (u) => (fake.replaced = u) }, sessionStorage: { setItem: (k) => fake.written.push(k) } };
      fakes.push(fake);
      return fake;
    };
    const out = {};
    try {
      for (const [name, call] of Object.entries(calls)) {
        sessionStorage.clear();
        const before = location.href;
        const fakesBefore = fakes.length;
        fault();
        let outcome;
        try {
          outcome = await settle(call());
        } finally {
          mend();
        }
        out[name] = {
          outcome,
          stored: records(),
          addressKept: location.href === before,
          popups: fakes.slice(fakesBefore).map((f) => ({ closed: f.closed, replaced: f.replaced, written: f.written })),
        };
      }
    } finally {
      window.open = realOpen;
    }
    return out;
  };
  return { settle, polluted, own, records, stateOf, underFault, m };
}

/** `fn(m, a, h)` with the helpers `h`, as a source string for `run`. */
const inPage = (fn) => `async (m, a) => (${fn})(m, a, (${pageHelpers})(m))`;

/** Polls `f` until it is truthy (or `ms` passed). */
async function eventually(f, ms = 3000) {
  const end = Date.now() + ms;
  while (!f() && Date.now() < end) await new Promise((r) => setTimeout(r, 50));
  return f();
}

// ------------------------------------------------------------------------------------ 1. prototype pollution

// The same flow is run unpolluted and polluted in one page; the polluted run must give what the
// unpolluted one gave (random states and codes aside), and reach no polluted URL.

test("finding 1: Object.prototype.handoff, or the handoff's own members (url, startUrl, credentials, headers, timeoutMs: what configure answers), on a client configured WITHOUT handoff → the code is not POSTed anywhere; the result still carries handoff, not backend", async (t) => {
  const { run } = await open(t);
  const from = hits.length;
  const r = ok(
    await run(
      inPage(async (m, a, h) => {
        const flow = async () => {
          const pleo = await m.PleoOAuth.create(a.cfg);
          const state = h.stateOf(await pleo.authorizationUrl({ returnTo: "/r" }));
          const result = await pleo.handleCallback(`${a.redirectUri}?code=c0de&state=${state}`);
          return { ...h.own(result), handoff: { ...h.own(result.handoff), state: "S", codeVerifier: result.handoff.codeVerifier.length } };
        };
        const clean = await h.settle(flow());
        const dirty = await h.polluted(
          {
            handoff: { url: "/api/evil-exchange", startUrl: "/api/evil-start", credentials: "include", headers: [["X-Polluted", "1"]], timeoutMs: 2000 },
            url: "/api/evil-exchange",
            startUrl: "/api/evil-start",
            credentials: "include",
            headers: [["X-Polluted", "1"]],
            timeoutMs: 2000,
          },
          flow,
        );
        return { clean, dirty };
      }),
    ),
  );
  assert.deepEqual(ok(r.clean), { returnTo: "/r", handoff: { code: "c0de", codeVerifier: 43, redirectUri: config().redirectUri, state: "S" } });
  assert.equal(backendHits("/api/evil-exchange", from).length, 0, "the code was POSTed to the polluted handoff.url");
  assert.equal(backendHits("/api/evil-start", from).length, 0, "a bind was POSTed to the polluted handoff.startUrl");
  assert.equal(hits.length, from, `no request to any backend: ${JSON.stringify(hits.slice(from).map((x) => x.path))}`);
  assert.deepEqual(r.dirty, r.clean);
});

test("finding 1: Object.prototype.returnTo / appState / clean → a connection started without them comes back without them (no own key), its stored record holds no polluted appState, the address bar is left alone, errors and new PleoOAuthErrors carry no polluted context", async (t) => {
  const { run } = await open(t, "/app/start?tab=1");
  const r = ok(
    await run(
      inPage(async (m, a, h) => {
        const flow = async () => {
          sessionStorage.clear();
          const before = location.href;
          const pleo = await m.PleoOAuth.create(a.cfg);
          const state = h.stateOf(await pleo.authorizationUrl({}));
          const stored = h.records().map(([, v]) => v.replace(/verifier=[^&]+|exp=\d+/g, "_"));
          // An explicit URL that is not this page's address: step 9 leaves the address bar alone.
          const result = await pleo.handleCallback(`${a.redirectUri}?code=c0de&state=${state}`);
          const unknown = await h.settle(pleo.handleCallback(`${a.redirectUri}?code=c0de&state=forged`));
          const fresh = new m.PleoOAuthError("invalid_config", "made by the app");
          return {
            stored,
            resultKeys: Object.keys(result).sort(),
            ownReturnTo: Object.hasOwn(result, "returnTo"),
            ownAppState: Object.hasOwn(result, "appState"),
            unknown: { code: unknown.err.code, ownKeys: unknown.err.ownKeys },
            fresh: Object.keys(fresh).sort(),
            addressKept: location.href === before,
          };
        };
        const clean = await h.settle(flow());
        const dirty = await h.polluted({ returnTo: "/evil", appState: { marker: "polluted-app-state" }, clean: "/polluted-clean" }, flow);
        // The core replies with appState as a JSON string: a polluted string is none of it either.
        const dirtyText = await h.polluted({ appState: '{"marker":"polluted-app-state"}' }, flow);
        const dirtyBroken = await h.polluted({ appState: "[1," }, flow);
        return { clean, dirty, dirtyText, dirtyBroken };
      }),
    ),
  );
  const clean = ok(r.clean);
  assert.deepEqual(clean.resultKeys, ["handoff"]);
  assert.equal(clean.addressKept, true);
  assert.equal(clean.unknown.code, "unknown_state");
  assert.ok(!clean.unknown.ownKeys.includes("returnTo") && !clean.unknown.ownKeys.includes("appState"), JSON.stringify(clean.unknown));
  // Its own keys: the code, the name and the end user's sentence (the general one), no context.
  assert.deepEqual(clean.fresh, ["code", "name", "userMessage"]);
  const dirty = ok(r.dirty);
  assert.ok(!dirty.stored.join("\n").includes("polluted-app-state"), `the polluted appState was stored: ${dirty.stored}`);
  assert.equal(dirty.ownReturnTo, false, "the polluted returnTo was handed back as the result's own returnTo");
  assert.equal(dirty.ownAppState, false, "the polluted appState was handed back as the result's own appState");
  assert.equal(dirty.addressKept, true, "the polluted clean address was written to the address bar");
  assert.deepEqual(dirty, clean);
  assert.deepEqual(ok(r.dirtyText), clean, "Object.prototype.appState as JSON text");
  assert.deepEqual(ok(r.dirtyBroken), clean, "Object.prototype.appState as text that is no JSON");
});

test("finding 1: Object.prototype.err / ok / store, or an error's members (code, msg, args: an error reply's own) → every call behaves as unpolluted (create, authorizationUrl, handleCallback, createPkce, generateState, codeChallenge, parseCallback)", async (t) => {
  const { run } = await open(t);
  const r = ok(
    await run(
      inPage(async (m, a, h) => {
        const flow = async () => {
          sessionStorage.clear();
          const pleo = await m.PleoOAuth.create(a.cfg);
          const state = h.stateOf(await pleo.authorizationUrl({ returnTo: "/r", appState: { n: 1 } }));
          const result = await pleo.handleCallback(`${a.redirectUri}?code=c0de&state=${state}`);
          const pkce = await m.createPkce();
          return {
            result: { ...h.own(result), handoff: Object.keys(result.handoff).sort() },
            left: h.records().length,
            pkce: [Object.keys(pkce).sort(), pkce.verifier.length, pkce.method],
            state: (await m.generateState()).length,
            challenge: await m.codeChallenge("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"),
            parsed: h.own(await m.parseCallback(`${a.redirectUri}?code=c&state=s`)),
          };
        };
        const clean = await h.settle(flow());
        const dirty = await h.polluted(
          {
            err: { code: "unknown_state", message: "polluted" },
            ok: { url: "https://evil.example/" },
            store: [["pleo-oauth:tx:polluted", "v=1"]],
            code: "unknown_state",
            msg: 0,
            args: ["polluted"],
          },
          flow,
        );
        return { clean, dirty };
      }),
    ),
  );
  const clean = ok(r.clean);
  assert.deepEqual(clean.result, { returnTo: "/r", appState: { n: 1 }, handoff: ["code", "codeVerifier", "redirectUri", "state"] });
  assert.equal(clean.challenge, "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM");
  assert.deepEqual(r.dirty, r.clean);
});

test("finding 1: Object.prototype.bind / startUrl with handoff configured without startUrl → no request to the polluted startUrl; the exchange goes to handoff.url only", async (t) => {
  const { run } = await open(t);
  const from = hits.length;
  const r = ok(
    await run(
      inPage(async (m, a, h) => {
        const cfg = { ...a.cfg, handoff: { url: "/api/ok" } };
        const flow = async () => {
          const pleo = await m.PleoOAuth.create(cfg);
          const state = h.stateOf(await pleo.authorizationUrl({ returnTo: "/r" }));
          return h.own(await pleo.handleCallback(`${a.redirectUri}?code=c0de&state=${state}`));
        };
        const clean = await h.settle(flow());
        const dirty = await h.polluted({ bind: '{"state":"s","code_challenge":"c"}', startUrl: "/api/evil-start" }, flow);
        return { clean, dirty };
      }),
    ),
  );
  assert.deepEqual(ok(r.clean), { returnTo: "/r", backend: { connected: true, company: "Acme", cookie: null } });
  assert.equal(backendHits("/api/evil-start", from).length, 0, "a bind was POSTed to the polluted startUrl");
  assert.deepEqual(
    hits.slice(from).map((x) => `${x.method} ${x.path}`),
    ["POST /api/ok", "POST /api/ok"],
  );
  assert.deepEqual(r.dirty, r.clean);
});

test("finding 1: Object.prototype.integrity / referrerPolicy / mode → the handoff request is made as unpolluted (fetch's init has no prototype)", async (t) => {
  const { run } = await open(t);
  const from = hits.length;
  const r = ok(
    await run(
      inPage(async (m, a, h) => {
        const cfg = { ...a.cfg, handoff: { url: "/api/ok" } };
        const flow = async () => {
          const pleo = await m.PleoOAuth.create(cfg);
          const state = h.stateOf(await pleo.authorizationUrl({ returnTo: "/r" }));
          return h.own(await pleo.handleCallback(`${a.redirectUri}?code=c0de&state=${state}`));
        };
        const clean = await h.settle(flow());
        const dirty = await h.polluted(
          { integrity: "sha256-AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=", referrerPolicy: "unsafe-url", mode: "no-cors" },
          flow,
        );
        return { clean, dirty };
      }),
    ),
  );
  assert.deepEqual(ok(r.clean), { returnTo: "/r", backend: { connected: true, company: "Acme", cookie: null } });
  assert.deepEqual(r.dirty, r.clean);
  const posts = hits.slice(from).filter((x) => x.method === "POST");
  assert.equal(posts.length, 2);
  for (const p of posts) {
    assert.equal(p.headers.referer, undefined, "a polluted referrerPolicy sent the page's address");
    assert.equal(p.headers["x-requested-with"], "pleo-oauth");
  }
});

test("finding 1: a hole in a caller's array (scopes) with Object.prototype[0] polluted → read as the hole it is (invalid_config, as unpolluted), not as the polluted scope", async (t) => {
  const { run } = await open(t);
  const r = ok(
    await run(
      inPage(async (m, a, h) => {
        // eslint-disable-next-line no-sparse-arrays
        const flow = async () => (await m.PleoOAuth.create({ ...a.cfg, scopes: [, "users:read"] })).authorizationUrl();
        const clean = await h.settle(flow());
        const dirty = await h.polluted({ 0: "evil:write" }, flow);
        return { clean, dirty };
      }),
    ),
  );
  assert.equal(r.clean.err?.code, "invalid_config", JSON.stringify(r.clean));
  assert.deepEqual(r.dirty, r.clean);
});

test("finding 1: pleo-oauth/react connect() with Object.prototype.popup = true → redirects as asked (no popup opened)", async (t) => {
  const { run } = await open(t, "/app/react");
  const before = authorizeRequests.length;
  const r = ok(
    await run(
      inPage(async (m, a, h) => {
        const react = await import("/pkg/react.js");
        const realOpen = window.open;
        const opened = [];
        window.open = (...args) => (opened.push(args[0]), null);
        window.__reactSet = [];
        const cfg = { ...a.cfg, environment: { authorizationEndpoint: `${a.origin}/authorize` } };
        try {
          const outcome = await h.polluted({ popup: true }, () => react.usePleoConnect(cfg).connect({ returnTo: "/r" }));
          return { outcome, opened, set: window.__reactSet.map((x) => (x && typeof x === "object" ? x.code : x)) };
        } finally {
          window.open = realOpen;
        }
      }),
    ),
  );
  assert.deepEqual(r.opened, [], "connect() opened a popup");
  assert.ok(!r.set.some((x) => typeof x === "string"), `an error was set: ${JSON.stringify(r.set)}`);
  assert.ok(await eventually(() => authorizeRequests.length > before), "the page was not sent to the authorization endpoint");
  assert.match(authorizeRequests.at(-1), /[?&]state=[^&]+/);
});

// ------------------------------------------------------------------------------------ 2. a throwing CSPRNG

/** In the page: every call with crypto.getRandomValues throwing from its `failFrom`-th use on. */
const throwingCsprng = inPage(async (m, a, h) => {
  const pleo = await m.PleoOAuth.create({ ...a.cfg, environment: { authorizationEndpoint: `${a.origin}/authorize` } });
  const calls = {
    authorizationUrl: () => pleo.authorizationUrl({ returnTo: "/r" }),
    redirect: () => pleo.redirect({ returnTo: "/r" }),
    popup: () => pleo.popup({ returnTo: "/r", timeoutMs: 1000 }),
    createPkce: () => m.createPkce(),
    generateState: () => m.generateState(),
  };
  const out = await h.underFault(
    calls,
    () => {
      let uses = 0;
      crypto.getRandomValues = function (array) {
        if (++uses >= a.failFrom) throw new DOMException("The quota has been exceeded.", "QuotaExceededError");
        return Crypto.prototype.getRandomValues.call(crypto, array);
      };
    },
    () => delete crypto.getRandomValues,
  );
  // With the CSPRNG back, the library works again.
  out.after = await h.settle(pleo.authorizationUrl().then((u) => h.stateOf(u).length));
  return out;
});

for (const failFrom of [1, 2]) {
  const which =
    failFrom === 1
      ? "from its first use in a call) → authorizationUrl, redirect, popup, createPkce, generateState reject"
      : "from its second use in a call) → popup, which draws twice (the relay's nonce, the request), rejects (the others succeed)";
  test(`finding 2: crypto.getRandomValues throwing (QuotaExceededError, ${which} with invalid_config naming crypto.getRandomValues; nothing is stored, no navigation, the popup is closed; the library works again afterwards`, async (t) => {
    const { run } = await open(t);
    const before = authorizeRequests.length;
    const r = ok(await run(throwingCsprng, { failFrom }));
    // Calls that need the CSPRNG once (createPkce, generateState, authorizationUrl, redirect)
    // succeed when it only fails from its second use; popup() needs it twice.
    const needsTwo = ["popup"];
    for (const [name, got] of Object.entries(r)) {
      if (name === "after") continue;
      if (failFrom === 2 && !needsTwo.includes(name)) {
        assert.ok(!("err" in got.outcome), `${name}: ${JSON.stringify(got.outcome)}`);
        continue;
      }
      const e = err(got.outcome, "invalid_config");
      assert.match(e.message, /crypto\.getRandomValues/, `${name}: ${e.message}`);
      assert.match(e.message, /failed/, `${name}: says it failed: ${e.message}`);
      assert.doesNotMatch(e.message, /quota/i, `${name}: ${e.message}`);
      assert.deepEqual(got.stored, [], `${name}: nothing stored`);
      assert.equal(got.addressKept, true, name);
      if (name === "popup") assert.deepEqual(got.popups, [{ closed: true, replaced: null, written: [] }], name);
    }
    if (failFrom === 1) assert.equal(authorizeRequests.length, before, "redirect() navigated");
    assert.equal(ok(r.after), 43);
  });
}

// ------------------------------------------------------------------------------------ 2b. no Web Crypto SHA-256

/** In the page: every call with crypto.subtle deleted, or its digest throwing or rejecting. */
const noDigest = inPage(async (m, a, h) => {
  const pleo = await m.PleoOAuth.create({ ...a.cfg, environment: { authorizationEndpoint: `${a.origin}/authorize` } });
  const subtle = crypto.subtle;
  const breaks = {
    // As in a page that is no secure context (plain http on a non-loopback host).
    deleted: () => Object.defineProperty(crypto, "subtle", { value: undefined, configurable: true }),
    throwing: () => (subtle.digest = () => { throw new DOMException("The operation is not supported.", "NotSupportedError"); }),
    rejecting: () => (subtle.digest = () => Promise.reject(new DOMException("The operation failed.", "OperationError"))),
  };
  const restore = () => {
    delete crypto.subtle;
    delete subtle.digest;
  };
  const calls = {
    authorizationUrl: () => pleo.authorizationUrl({ returnTo: "/r" }),
    redirect: () => pleo.redirect({ returnTo: "/r" }),
    popup: () => pleo.popup({ returnTo: "/r", timeoutMs: 1000 }),
    createPkce: () => m.createPkce(),
    codeChallenge: () => m.codeChallenge(a.verifier),
    badVerifier: () => m.codeChallenge("short"),
    generateState: () => m.generateState(),
  };
  const out = {};
  for (const [mode, broken] of Object.entries(breaks)) out[mode] = await h.underFault(calls, broken, restore);
  // With Web Crypto back, the library works again.
  out.after = await h.settle(
    (async () => {
      const url = await pleo.authorizationUrl();
      const p = await m.createPkce();
      return { state: h.stateOf(url).length, challenge: new URL(url).searchParams.get("code_challenge").length, pkce: p, recomputed: await m.codeChallenge(p.verifier), rfc: await m.codeChallenge(a.verifier) };
    })(),
  );
  return out;
});

test("finding 2b: Web Crypto's SHA-256 missing (crypto.subtle deleted, as in a page that is no secure context) or failing (digest throwing or rejecting) → authorizationUrl, redirect, popup, createPkce, codeChallenge reject with a PleoOAuthError (invalid_config naming crypto.subtle.digest and the secure context); codeChallenge of a bad verifier is still invalid_parameter; generateState needs no digest; nothing is stored, no navigation, the popup is closed; the library works again afterwards", async (t) => {
  const { run } = await open(t);
  const before = authorizeRequests.length;
  const r = ok(await run(noDigest, { verifier: "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk" }));
  for (const mode of ["deleted", "throwing", "rejecting"]) {
    for (const [name, got] of Object.entries(r[mode])) {
      const what = `${mode}: ${name}: ${JSON.stringify(got.outcome)}`;
      if (name === "generateState") {
        assert.match(ok(got.outcome), /^[A-Za-z0-9_-]{43}$/, what);
        continue;
      }
      if (name === "badVerifier") {
        err(got.outcome, "invalid_parameter");
        continue;
      }
      const e = err(got.outcome, "invalid_config");
      assert.match(e.message, /crypto\.subtle\.digest/, what);
      assert.match(e.message, /secure context/, what);
      assert.match(e.message, /https/, what);
      assert.match(e.message, /localhost/, what);
      assert.doesNotMatch(e.message, /TypeError|DOMException|not supported|operation failed/i, what);
      assert.deepEqual(got.stored, [], `${what}: nothing stored`);
      assert.equal(got.addressKept, true, what);
      if (name === "popup") assert.deepEqual(got.popups, [{ closed: true, replaced: null, written: [] }], what);
    }
  }
  assert.equal(authorizeRequests.length, before, "redirect() navigated");
  const after = ok(r.after);
  assert.equal(after.state, 43);
  assert.equal(after.challenge, 43);
  assert.equal(after.pkce.challenge, after.recomputed);
  assert.equal(after.pkce.challenge, s256(after.pkce.verifier));
  assert.equal(after.rfc, "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM");
});

test("finding 2c: a crypto.getRandomValues that answers another array than the one it was given (a broken polyfill; 96 bytes would read as 64 random bytes and a digest) → authorizationUrl, createPkce, generateState reject with invalid_config naming crypto.getRandomValues; nothing stored; works again afterwards", async (t) => {
  const { run } = await open(t);
  const r = ok(
    await run(
      inPage(async (m, a, h) => {
        const pleo = await m.PleoOAuth.create({ ...a.cfg, environment: { authorizationEndpoint: `${a.origin}/authorize` } });
        const out = await h.underFault(
          { authorizationUrl: () => pleo.authorizationUrl(), createPkce: () => m.createPkce(), generateState: () => m.generateState() },
          () => (crypto.getRandomValues = () => new Uint8Array(96).fill(7)),
          () => delete crypto.getRandomValues,
        );
        const pkce = await m.createPkce();
        out.after = { verifier: pkce.verifier.length, challenge: pkce.challenge.length };
        return out;
      }),
    ),
  );
  for (const name of ["authorizationUrl", "createPkce", "generateState"]) {
    const e = err(r[name].outcome, "invalid_config");
    assert.match(e.message, /crypto\.getRandomValues/, name);
    assert.deepEqual(r[name].stored, [], `${name}: nothing stored`);
  }
  assert.deepEqual(r.after, { verifier: 43, challenge: 43 });
});

// ------------------------------------------------------------------------------------ 3. issuer

test("finding 3 (API.md step 5): a callback for a connection started with environment.issuer A, handled by a client configured with issuer B → issuer_mismatch (whatever iss says), with the connection's returnTo and appState; consumed (a second try is already_handled)", async (t) => {
  const { run } = await open(t);
  const r = ok(
    await run(
      inPage(async (m, a, h) => {
        const env = (issuer) => ({ ...a.cfg, environment: { authorizationEndpoint: `${a.origin}/authorize`, issuer } });
        const issuerA = `${a.origin}/issuer-a`;
        const issuerB = `${a.origin}/issuer-b`;
        const pleoA = await m.PleoOAuth.create(env(issuerA));
        const pleoB = await m.PleoOAuth.create(env(issuerB));
        const out = [];
        for (const iss of [issuerA, issuerB, null]) {
          const state = h.stateOf(await pleoA.authorizationUrl({ returnTo: "/settings", appState: { tab: "pleo" } }));
          const url = `${a.redirectUri}?code=SECRETCODE&state=${state}${iss ? `&iss=${encodeURIComponent(iss)}` : ""}`;
          const first = await h.settle(pleoB.handleCallback(url));
          const pending = h.records().filter(([, v]) => v.includes("verifier="));
          const again = await h.settle(pleoA.handleCallback(url));
          out.push({ iss, first: first.err ?? first, pending, again: again.err ?? again });
        }
        return out;
      }),
    ),
  );
  for (const { iss, first, pending, again } of r) {
    const what = `iss=${iss}`;
    assert.equal(first.isPleo, true, `${what}: ${JSON.stringify(first)}`);
    assert.equal(first.code, "issuer_mismatch", `${what}: ${first.message}`);
    assert.equal(first.returnTo, "/settings", what);
    assert.deepEqual(first.appState, { tab: "pleo" }, what);
    assert.doesNotMatch(first.message, /SECRETCODE|verifier=/, what);
    assert.deepEqual(pending, [], `${what}: the pending transaction was consumed`);
    assert.equal(again.code, "already_handled", `${what}: ${JSON.stringify(again)}`);
    assert.equal(again.returnTo, "/settings", what);
  }
});
