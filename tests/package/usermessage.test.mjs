// PleoOAuthError.userMessage through the package's PUBLIC API in headless Chromium: every error
// code, raised the way an app meets it, carries one sentence for the end user that is not the
// developer's `message` and quotes nothing of the request — the callback's parameters
// (error_description, error_uri, error, state, code), the options, the handoff URL — however
// hostile. The user's Deny at Pleo (authorization_error, access_denied) reads "You cancelled the
// connection to Pleo.". Harness: tests/support/harness.mjs.
//
// Run: node --test tests/package/usermessage.test.mjs   (after `make pkg`)
import { test } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { useHarness, open, ok, err, pkgDir } from "../support/harness.mjs";

useHarness();

/** In every input the cases control; no user sentence may contain any part of it. */
const MARKER = "HOSTILE7f3a";
const HOSTILE = `${MARKER} <img src=x onerror=alert(1)> https://evil.example/${MARKER}`;
/** The sentence of an error made with the constructor, or where messages.js cannot load. */
const GENERAL = "Connecting to Pleo did not work. Please try again.";

/** The codes of the published PleoOAuthErrorCode union (pkg/index.d.ts). */
function publishedCodes() {
  const dts = fs.readFileSync(path.join(pkgDir, "index.d.ts"), "utf8");
  const union = /export type PleoOAuthErrorCode =([^;]*);/.exec(dts);
  assert.ok(union, "pkg/index.d.ts declares PleoOAuthErrorCode");
  return [...union[1].matchAll(/"([a-z_]+)"/g)].map((m) => m[1]);
}

test("userMessage: every error code, raised through the public API, has its own end-user sentence — not the message, nothing of the request in it; a Deny reads 'You cancelled the connection to Pleo.'", async (t) => {
  const { context, run } = await open(t);
  // Popups open without a click here (as under automation); each is closed with the context.
  const r = ok(
    await run(
      async (m, { cfg, origin, hostile }) => {
        const out = [];
        const record = async (label, f) => {
          try {
            await f();
            out.push({ label, resolved: true });
          } catch (e) {
            out.push({ label, code: e.code, message: e.message, userMessage: e.userMessage, own: Object.hasOwn(e, "userMessage"), isPleo: e instanceof m.PleoOAuthError });
          }
        };
        const cb = `${origin}/app/callback`;
        const q = (params) => `${cb}?${new URLSearchParams(params)}`;
        const pleo = await m.PleoOAuth.create(cfg);
        const stateOf = async (client, options) => new URL(await client.authorizationUrl(options)).searchParams.get("state");

        await record("invalid_config (an option)", () => m.PleoOAuth.create({ ...cfg, scopes: [hostile] }));
        await record("invalid_parameter", () => pleo.authorizationUrl({ returnTo: "//" + hostile }));
        await record("storage_unavailable", async () => {
          const setItem = Storage.prototype.setItem;
          Storage.prototype.setItem = () => {
            throw new DOMException(hostile, "QuotaExceededError");
          };
          try {
            await pleo.authorizationUrl({ returnTo: "/x" });
          } finally {
            Storage.prototype.setItem = setItem;
          }
        });
        await record("not_a_callback", () => pleo.handleCallback(q({ foo: hostile })));
        await record("duplicate_parameter", () => pleo.handleCallback(`${cb}?code=${encodeURIComponent(hostile)}&code=b&state=${encodeURIComponent(hostile)}`));
        await record("missing_state", () => pleo.handleCallback(q({ code: hostile })));
        await record("unknown_state", () => pleo.handleCallback(q({ code: hostile, state: hostile })));
        {
          const state = await stateOf(pleo, { returnTo: "/later" });
          const now = Date.now;
          Date.now = () => now() + 3600_000;
          try {
            await record("expired", () => pleo.handleCallback(q({ code: hostile, state })));
          } finally {
            Date.now = now;
          }
        }
        {
          const withIssuer = await m.PleoOAuth.create({ ...cfg, environment: { authorizationEndpoint: `${origin}/authorize`, issuer: "https://issuer.example" } });
          const state = await stateOf(withIssuer);
          await record("issuer_mismatch", () => withIssuer.handleCallback(q({ code: hostile, state, iss: hostile })));
        }
        {
          const state = await stateOf(pleo);
          await record("redirect_uri_mismatch", () => pleo.handleCallback(`${origin}/app/elsewhere?${new URLSearchParams({ code: hostile, state })}`));
        }
        {
          const state = await stateOf(pleo);
          await record("authorization_error (access_denied: Deny)", () =>
            pleo.handleCallback(q({ error: "access_denied", error_description: hostile, error_uri: `https://evil.example/${hostile}`, state })),
          );
        }
        {
          const state = await stateOf(pleo);
          await record("authorization_error (another error)", () => pleo.handleCallback(q({ error: hostile, error_description: hostile, state })));
        }
        {
          const withHandoff = await m.PleoOAuth.create({ ...cfg, handoff: { url: `/api/fail?${encodeURIComponent(hostile)}` } });
          const state = await stateOf(withHandoff);
          await record("handoff_failed (the exchange)", () => withHandoff.handleCallback(q({ code: hostile, state })));
          const bound = await m.PleoOAuth.create({ ...cfg, handoff: { url: "/api/ok", startUrl: `/api/fail?${encodeURIComponent(hostile)}` } });
          await record("handoff_failed (the bound handoff's start)", () => bound.authorizationUrl());
        }
        {
          const state = await stateOf(pleo, { returnTo: "/done" });
          const url = q({ code: hostile, state });
          await pleo.handleCallback(url);
          // Back, then Approve again: the same callback for a completed connection, by a client
          // that has not seen this URL in this page (another client's outcome is its own).
          const again = await m.PleoOAuth.create({ ...cfg, transactionTtlSeconds: 601 });
          await record("already_handled", () => again.handleCallback(url));
        }
        {
          const popups = await m.PleoOAuth.create({ ...cfg, environment: { authorizationEndpoint: `${origin}/authorize` } });
          const open = window.open;
          window.open = () => null;
          try {
            await record("popup_blocked", () => popups.popup());
          } finally {
            window.open = open;
          }
          // A second popup() supersedes the first (popup_closed); it times out itself.
          const first = record("popup_closed", () => popups.popup({ timeoutMs: 60_000 }));
          await new Promise((resolve) => setTimeout(resolve, 200));
          await record("popup_timeout", () => popups.popup({ timeoutMs: 300 }));
          await first;
        }
        return out;
      },
      { hostile: HOSTILE },
    ),
  );
  await context.close();

  const problems = [];
  const seen = new Set();
  for (const o of r) {
    const label = o.label;
    const want = label.split(" ")[0];
    if (o.resolved) {
      problems.push(`${label}: resolved`);
      continue;
    }
    seen.add(o.code);
    if (!o.isPleo || o.code !== want) problems.push(`${label}: got ${o.code} (${o.message})`);
    if (typeof o.userMessage !== "string" || !o.userMessage.trim()) problems.push(`${label}: no userMessage`);
    else {
      if (!o.own) problems.push(`${label}: userMessage is not the error's own property`);
      if (o.userMessage === o.message) problems.push(`${label}: userMessage is the developer message`);
      if (o.userMessage === GENERAL) problems.push(`${label}: only the general sentence`);
      for (const bad of [MARKER, "evil", "<", "http", "access_denied", "/api/", "state", "code"]) {
        if (o.userMessage.includes(bad)) problems.push(`${label}: userMessage contains ${JSON.stringify(bad)}: ${o.userMessage}`);
      }
    }
  }
  // The inputs reached the library: the developer's message quotes the server's description.
  const deny = r.find((o) => o.label.startsWith("authorization_error (access_denied"));
  assert.ok(deny?.message.includes(MARKER), `the Deny's message quotes error_description: ${deny?.message}`);
  assert.equal(deny.userMessage, "You cancelled the connection to Pleo.");
  const other = r.find((o) => o.label.startsWith("authorization_error (another"));
  assert.notEqual(other.userMessage, deny.userMessage, "only access_denied says the user cancelled");
  assert.deepEqual(problems, []);

  // Every published code was met, but missing_code: API.md check 8 is unreachable in this
  // version (check 2 refuses a callback with neither code nor error first); its sentence is
  // held by src/messages.rs's tests like every other.
  const missing = publishedCodes().filter((c) => !seen.has(c));
  assert.deepEqual(missing, ["missing_code"]);
});

test("userMessage: an error made with the constructor has the general sentence, or the one its details give; it is an own, enumerable property", async (t) => {
  const { run } = await open(t);
  const r = ok(
    await run((m) => {
      const plain = new m.PleoOAuthError("expired", "developer text");
      const given = new m.PleoOAuthError("expired", "developer text", { userMessage: "Try again tomorrow." });
      // A polluted prototype does not become an error's sentence (own fields only).
      Object.prototype.userMessage = "polluted";
      let polluted;
      try {
        polluted = new m.PleoOAuthError("expired", "developer text", {});
      } finally {
        delete Object.prototype.userMessage;
      }
      return { plain: plain.userMessage, given: given.userMessage, polluted: polluted.userMessage, keys: Object.keys(plain) };
    }),
  );
  assert.equal(r.plain, GENERAL);
  assert.equal(r.given, "Try again tomorrow.");
  assert.equal(r.polluted, GENERAL);
  assert.ok(r.keys.includes("userMessage"), `own keys: ${r.keys}`);
});
