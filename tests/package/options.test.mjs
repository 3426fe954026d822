// How the wrapper reads callers' options, through the PUBLIC API in headless Chromium: own
// properties only, checked against the options tables of src/boundary.rs (generated into
// pkg-template/src/ops.ts) — unknown names (with a hint for a near miss), wrong types and values
// JSON could not hold are refused here with the core's messages, before the core judges the
// values. These are the cases the core's JSON reader tested before the boundary became a form
// (src/options.rs); the rules on values stay tested in src/config.rs and src/request.rs.
//
// Run: node --test tests/package/options.test.mjs   (after `make pkg`)
import { test } from "node:test";
import assert from "node:assert/strict";
import { useHarness, open, ok } from "../support/harness.mjs";

useHarness();

/**
 * Runs every case in the page: `cases` maps a label to the source of a function `(m, cfg) =>
 * promise`; answers label → { code, message } of the rejection, or { ok: true }.
 */
async function outcomes(run, cases) {
  return ok(
    await run(
      `async (m, { cfg }) => {
        const out = {};
        const cases = { ${Object.entries(cases).map(([k, f]) => `${JSON.stringify(k)}: ${f}`).join(",\n")} };
        for (const [label, f] of Object.entries(cases)) {
          try { await f(m, cfg); out[label] = { ok: true }; }
          catch (e) { out[label] = { code: e.code, message: e.message, pleo: e instanceof m.PleoOAuthError }; }
        }
        return out;
      }`,
    ),
  );
}

const UNREADABLE = "a value that could not be read (a getter or Proxy trap threw)";

test("create(): names and types are checked first, with the messages the core's reader gave", async (t) => {
  const { run } = await open(t);
  const create = (expr) => `(m, cfg) => m.PleoOAuth.create(${expr})`;
  const r = await outcomes(run, {
    undefined: create("undefined"),
    null: create("null"),
    string: create('"client"'),
    array: create("[]"),
    function: create("() => {}"),
    map: create("new Map()"),
    typo: create('{ ...cfg, redirectURI: "x" }'),
    scope: create('{ ...cfg, scope: ["users:read"] }'),
    clientIds: create('{ ...cfg, clientIds: "x" }'),
    ttl: create('{ ...cfg, ttl: 5 }'),
    envNumber: create("{ ...cfg, environment: 42 }"),
    envUnknown: create('{ ...cfg, environment: { endpoint: "x" } }'),
    handoffUnknown: create('{ ...cfg, handoff: { url: "/x", timeout: 1 } }'),
    handoffString: create('{ ...cfg, handoff: "/x" }'),
    ttlString: create('{ ...cfg, transactionTtlSeconds: "600" }'),
    scopesString: create('{ ...cfg, scopes: "users:read" }'),
    scopeItem: create('{ ...cfg, scopes: ["users:read", 1] }'),
    header: create('{ ...cfg, handoff: { url: "/x", headers: { k: true } } }'),
    headersMap: create('{ ...cfg, handoff: { url: "/x", headers: new Headers({ a: "b" }) } }'),
    symbol: create("{ ...cfg, clientId: Symbol() }"),
    bigint: create("{ ...cfg, clientId: 1n }"),
    getter: create('{ ...cfg, get clientId() { throw new Error("no") } }'),
    nan: create("{ ...cfg, transactionTtlSeconds: NaN }"),
    infinity: create("{ ...cfg, handoff: { url: '/x', timeoutMs: Infinity } }"),
    nullIsAbsent: create("{ ...cfg, handoff: null, environment: undefined, storage: null }"),
  });
  const message = (label) => r[label].message;
  for (const [label, v] of Object.entries(r)) if (label != "nullIsAbsent") assert.equal(v.code, "invalid_config", `${label}: ${JSON.stringify(v)}`);
  for (const [label, v] of Object.entries(r)) if (v.code) assert.equal(v.pleo, true, label);
  assert.match(message("undefined"), /needs an options object with clientId, redirectUri and scopes/);
  assert.match(message("null"), /needs an options object/);
  assert.equal(message("string"), "PleoOAuth.create must be an object, not string.");
  assert.equal(message("array"), "PleoOAuth.create must be an object, not array.");
  assert.equal(message("function"), "PleoOAuth.create must be an object, not function.");
  assert.match(message("map"), /^PleoOAuth\.create must be an object, not an instance of a class/);
  assert.match(message("typo"), /unknown option "redirectURI"\. Did you mean "redirectUri"\?/);
  assert.match(message("scope"), /unknown option "scope"\. Did you mean "scopes"\?/);
  assert.match(message("clientIds"), /unknown option "clientIds"\. Did you mean "clientId"\?/);
  assert.match(message("ttl"), /unknown option "ttl"\. The options are clientId, redirectUri, scopes, environment, handoff, storage, transactionTtlSeconds\./);
  assert.doesNotMatch(message("ttl"), /Did you mean/);
  assert.match(message("envNumber"), /environment must be "production", "staging" or \{ authorizationEndpoint, issuer\? \}/);
  assert.match(message("envUnknown"), /environment: unknown option "endpoint"/);
  assert.match(message("handoffUnknown"), /handoff: unknown option "timeout"\. Did you mean "timeoutMs"\?/);
  assert.equal(message("handoffString"), "handoff must be an object, not string.");
  assert.equal(message("ttlString"), "transactionTtlSeconds must be a number, not string.");
  assert.equal(message("scopesString"), "scopes must be an array of strings, not string.");
  assert.equal(message("scopeItem"), "scopes[1] must be a string, not number.");
  assert.equal(message("header"), 'handoff.headers["k"] must be a string, not boolean.');
  assert.match(message("headersMap"), /^handoff\.headers must be an object of strings, not an instance of a class/);
  assert.equal(message("symbol"), "clientId must be a string, not symbol.");
  assert.equal(message("bigint"), "clientId must be a string, not bigint.");
  assert.equal(message("getter"), `clientId must be a string, not ${UNREADABLE}.`);
  assert.match(message("nan"), /transactionTtlSeconds must be a whole number of seconds from 1 to 86400/);
  assert.match(message("infinity"), /handoff\.timeoutMs must be a whole number of milliseconds from 1 to 600000/);
  assert.deepEqual(r.nullIsAbsent, { ok: true });
});

test("create(): any unknown name is refused, naming it (the names of the table are the only ones)", async (t) => {
  const { run } = await open(t);
  const names = ["x", "clientSecret", "redirect_uri", "SCOPES", "handoffUrl", "__proto__x", "constructor", "toString", "é", "a b", "0", ""];
  const r = await outcomes(
    run,
    Object.fromEntries(names.map((n) => [n, `(m, cfg) => m.PleoOAuth.create({ ...cfg, ${JSON.stringify(n)}: "v" })`])),
  );
  for (const n of names) {
    assert.equal(r[n].code, "invalid_config", n);
    assert.ok(r[n].message.includes(`unknown option ${JSON.stringify(n)}`), `${n}: ${r[n].message}`);
  }
});

test("authorizationUrl() / popup(): names and types checked the same way (invalid_parameter)", async (t) => {
  const { run } = await open(t);
  const url = (expr) => `async (m, cfg) => (await m.PleoOAuth.create(cfg)).authorizationUrl(${expr})`;
  const r = await outcomes(run, {
    timeoutMs: url("{ timeoutMs: 1 }"),
    returnTo: url('{ return_to: "/x" }'),
    extra: url("{ extraParams: { n: 1 } }"),
    extraMap: url("{ extraParams: new URLSearchParams('a=b') }"),
    returnToNumber: url("{ returnTo: 5 }"),
    string: url('"/x"'),
    fine: url('{ returnTo: "/x", extraParams: { prompt: "consent" }, appState: { a: 1 } }'),
    popupTimeout: `async (m, cfg) => { const p = await m.PleoOAuth.create(cfg); return p.popup({ timeoutMs: "5" }); }`,
  });
  assert.match(r.timeoutMs.message, /^authorizationUrl: unknown option "timeoutMs"\. The options are returnTo, extraParams, appState\./);
  assert.match(r.returnTo.message, /authorizationUrl: unknown option "return_to"/);
  assert.equal(r.extra.message, 'extraParams["n"] must be a string, not number.');
  assert.match(r.extraMap.message, /^extraParams must be an object of strings, not an instance of a class/);
  assert.equal(r.returnToNumber.message, "returnTo must be a string, not number.");
  assert.equal(r.string.message, "authorizationUrl must be an object, not string.");
  assert.equal(r.popupTimeout.message, "timeoutMs must be a number, not string.");
  for (const k of ["timeoutMs", "returnTo", "extra", "extraMap", "returnToNumber", "string", "popupTimeout"]) assert.equal(r[k].code, "invalid_parameter", k);
  assert.deepEqual(r.fine, { ok: true });
});

test("strings of any content reach the core as they are: NUL, &, =, %, +, line breaks, lone surrogates (as U+FFFD)", async (t) => {
  const { run } = await open(t);
  const got = ok(
    await run(async (m, { cfg }) => {
      const pleo = await m.PleoOAuth.create(cfg);
      const weird = "a\u0000b&c=d%e+f\ng\ud800h";
      const url = new URL(await pleo.authorizationUrl({ extraParams: { [weird]: weird } }));
      const params = [...url.searchParams].filter(([k]) => k.startsWith("a"));
      // A clientId with a NUL is the core's to refuse (not a framing error).
      let clientId;
      try {
        await m.PleoOAuth.create({ ...cfg, clientId: "a\u0000b" });
      } catch (e) {
        clientId = e.message;
      }
      return { params, clientId };
    }),
  );
  assert.deepEqual(got.params, [["a\u0000b&c=d%e+f\ng\ufffdh", "a\u0000b&c=d%e+f\ng\ufffdh"]]);
  assert.match(got.clientId, /^clientId contains characters a client ID cannot have/);
});
