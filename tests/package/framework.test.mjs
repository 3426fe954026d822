// Framework fit (issue 18), through the package's PUBLIC API in headless Chromium:
//   - the address bar is cleaned after every completed callback, error or success (a Deny
//     leaves no error, state or iss in it; other parameters, the hash and history.state stay);
//     a callback whose connection this browser never started is left as it is.
// Harness: tests/support/harness.mjs.
//
// Run: node --test tests/package/framework.test.mjs   (after `make pkg`)
import { test } from "node:test";
import assert from "node:assert/strict";
import { useHarness, origin, open, ok } from "../support/harness.mjs";

useHarness();

/** Handles the callback in the page's address bar twice (StrictMode) and reports the address. */
async function afterCallback(page, run, query) {
  const start = ok(await run(async (m, a) => (await m.PleoOAuth.create(a.cfg)).authorizationUrl({ returnTo: "/settings" })));
  const state = new URL(start).searchParams.get("state");
  await page.goto(`${origin}/app/callback?tab=a%20b&${query.replace("STATE", state)}&keep=1#section`);
  return ok(
    await run(async (m, a) => {
      history.replaceState("router-state", "", location.href);
      const length = history.length;
      const pleo = await m.PleoOAuth.create(a.cfg);
      const settle = (p) => p.then((v) => ({ ok: v }), (e) => ({ code: e.code, returnTo: e.returnTo, error: e.error }));
      const first = pleo.handleCallback();
      const second = pleo.handleCallback(); // StrictMode: may read the cleaned address bar
      const [x, y] = [await settle(first), await settle(second)];
      // A later call that reads the cleaned address gets the same outcome too.
      const later = await settle(pleo.handleCallback());
      return {
        x,
        same: JSON.stringify(x) === JSON.stringify(y) && JSON.stringify(x) === JSON.stringify(later),
        address: location.pathname + location.search + location.hash,
        state: history.state,
        lengthUnchanged: history.length === length,
      };
    }),
  );
}

test("Deny: authorization_error with the connection's returnTo, and the address bar loses error, error_description, state and iss — other parameters, the hash and history.state stay; the same outcome for every call", async (t) => {
  const { page, run } = await open(t);
  const r = await afterCallback(page, run, "error=access_denied&error_description=The%20user%20denied&state=STATE&iss=x");
  assert.deepEqual(r.x, { code: "authorization_error", returnTo: "/settings", error: "access_denied" });
  assert.equal(r.same, true);
  assert.equal(r.address, "/app/callback?tab=a%20b&keep=1#section");
  assert.equal(r.state, "router-state");
  assert.equal(r.lengthUnchanged, true, "replaced, not pushed");
  // A reload of the cleaned address: already_handled, with where the connection started.
  await page.reload();
  const reload = ok(await run(async (m, a) => (await m.PleoOAuth.create(a.cfg)).handleCallback().then(() => null, (e) => ({ code: e.code, returnTo: e.returnTo }))));
  assert.deepEqual(reload, { code: "already_handled", returnTo: "/settings" });
});

test("a callback no connection of this browser matches (forged or replayed state): unknown_state, and the address is left as it is", async (t) => {
  const { page, run } = await open(t);
  await page.goto(`${origin}/app/callback?error=access_denied&state=forged#x`);
  const r = ok(
    await run(async (m, a) => {
      const pleo = await m.PleoOAuth.create(a.cfg);
      const code = await pleo.handleCallback().then(() => "resolved", (e) => e.code);
      return { code, address: location.pathname + location.search + location.hash };
    }),
  );
  assert.equal(r.code, "unknown_state");
  assert.equal(r.address, "/app/callback?error=access_denied&state=forged#x");
});
