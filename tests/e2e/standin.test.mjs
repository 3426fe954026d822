// The local stand-in for Pleo's authorization server (www/authserver.mjs) is as strict as Pleo
// documents refresh-token rotation to be: every refresh returns a new refresh token, and a
// second use of one — also at the same instant — is refused and revokes the whole
// authorisation (the new refresh token included). Tests of refresh single flight rely on it:
// with a lenient stand-in, concurrent refreshes would all pass and the race would be invisible.
//
// Run: node --test tests/e2e/standin.test.mjs
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { startAuthServer } from "../../www/authserver.mjs";

const client = { clientId: "standin-test", clientSecret: "standin-secret", redirectUris: ["http://localhost:1/cb"] };
let auth;

before(async () => {
  auth = await startAuthServer({ port: 0, client });
});
after(() => auth?.close());

/** A refresh request with `token`: the HTTP status and the JSON answer. */
async function refresh(token) {
  const res = await fetch(auth.tokenEndpoint, {
    method: "POST",
    headers: {
      authorization: "Basic " + Buffer.from(`${client.clientId}:${client.clientSecret}`).toString("base64"),
      "content-type": "application/x-www-form-urlencoded",
    },
    body: new URLSearchParams({ grant_type: "refresh_token", refresh_token: token }),
  });
  return { status: res.status, body: await res.json() };
}

test("stand-in: a refresh rotates the refresh token; the old one then fails and revokes the grant, the new one included", async () => {
  const first = await auth.mintRefreshToken();
  const a = await refresh(first);
  assert.equal(a.status, 200, JSON.stringify(a.body));
  assert.ok(a.body.refresh_token && a.body.refresh_token !== first, "rotated");
  assert.equal(a.body.token_type.toLowerCase(), "bearer");
  const reuse = await refresh(first);
  assert.equal(reuse.status, 400);
  assert.equal(reuse.body.error, "invalid_grant");
  // The whole authorisation is gone: the rotated-in token no longer works either.
  const after = await refresh(a.body.refresh_token);
  assert.equal(after.status, 400, "the grant was revoked");
  assert.equal(after.body.error, "invalid_grant");
});

test("stand-in: ten simultaneous uses of one refresh token → exactly one success; the grant is then revoked", async () => {
  for (let round = 0; round < 3; round++) {
    const token = await auth.mintRefreshToken();
    const before = auth.stats.refreshRequests;
    const answers = await Promise.all(Array.from({ length: 10 }, () => refresh(token)));
    const ok = answers.filter((r) => r.status === 200);
    assert.equal(ok.length, 1, `round ${round}: ${answers.map((r) => r.status).join(",")}`);
    assert.ok(answers.filter((r) => r.status === 400).every((r) => r.body.error === "invalid_grant"));
    assert.equal(auth.stats.refreshRequests - before, 10, "every request reached the token endpoint");
    // The winner's new refresh token was revoked with the grant by the reuse.
    assert.equal((await refresh(ok[0].body.refresh_token)).status, 400);
  }
});
