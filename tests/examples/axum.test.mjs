// examples/axum-backend (a partner backend in Rust on pleo_oauth::server), built by `make
// examples`, against the strict oidc-provider stand-in (www/authserver.mjs): the bound handoff,
// the exchange, hostile bodies, and refresh single flight — 20 concurrent status requests after
// the access token expired → one refresh request, every request connected.
//
// Run: make examples   (builds the example, then node --test tests/examples/)
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import crypto from "node:crypto";
import path from "node:path";
import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { startAuthServer } from "../../www/authserver.mjs";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const binary = path.join(root, "examples", "axum-backend", "target", "debug", "pleo-oauth-axum-backend");
const CB = "http://localhost:5173/pleo/callback";
const client = { clientId: "axum-client", clientSecret: crypto.randomBytes(32).toString("base64url"), redirectUris: [CB] };
let auth, backend, origin;

before(async () => {
  auth = await startAuthServer({ port: 0, client, accessTokenTtl: 2 });
  backend = spawn(binary, [], {
    env: { ...process.env, PORT: "0", PLEO_CLIENT_ID: client.clientId, PLEO_CLIENT_SECRET: client.clientSecret, PLEO_REDIRECT_URI: CB, PLEO_TOKEN_ENDPOINT: auth.tokenEndpoint },
    stdio: ["ignore", "pipe", "pipe"],
  });
  backend.stderr.on("data", (d) => (backend.log = (backend.log ?? "") + d));
  origin = await new Promise((resolve, reject) => {
    backend.once("error", reject);
    backend.stdout.on("data", (d) => {
      const m = String(d).match(/listening on (http:\/\/\S+)/);
      if (m) resolve(m[1]);
    });
  });
});

after(async () => {
  backend?.kill();
  await auth?.close();
});

const ours = { "content-type": "application/json", "x-requested-with": "pleo-oauth" };

/** A browser's cookie jar, by hand. */
function visitor() {
  const jar = new Map();
  return async (pathname, init = {}) => {
    const res = await fetch(origin + pathname, { ...init, headers: { ...init.headers, cookie: [...jar].map(([k, v]) => `${k}=${v}`).join("; ") } });
    for (const c of res.headers.getSetCookie()) {
      const [kv] = c.split(";");
      const [k, v] = kv.split("=");
      jar.set(k, v);
    }
    return { status: res.status, body: await res.json().catch(() => null) };
  };
}

async function flow(send) {
  const verifier = crypto.randomBytes(32).toString("base64url");
  const challenge = crypto.createHash("sha256").update(verifier).digest("base64url");
  const state = crypto.randomBytes(32).toString("base64url");
  const reg = await send("/api/pleo/start", { method: "POST", headers: ours, body: JSON.stringify({ state, code_challenge: challenge }) });
  assert.equal(reg.status, 200);
  const code = await auth.mintAuthorizationCode({ codeChallenge: challenge, redirectUri: CB });
  return { verifier, state, code, body: JSON.stringify({ code, code_verifier: verifier, redirect_uri: CB, state }) };
}

test("axum example: the bound handoff, the exchange through the stand-in, and a refused injection from another session", async () => {
  const victim = visitor();
  const f = await flow(victim);
  // The same handoff from a browser that did not register it: refused before the token endpoint.
  const before = auth.stats.tokenRequests;
  const attacker = visitor();
  const stolen = await attacker("/api/pleo/exchange", { method: "POST", headers: ours, body: f.body });
  assert.deepEqual(stolen, { status: 403, body: { error: "unknown_state" } });
  assert.equal(auth.stats.tokenRequests, before);
  // Without the pleo-oauth header: refused.
  assert.equal((await victim("/api/pleo/exchange", { method: "POST", headers: { "content-type": "application/json" }, body: f.body })).status, 403);
  const ok = await victim("/api/pleo/exchange", { method: "POST", headers: ours, body: f.body });
  assert.deepEqual(ok, { status: 200, body: { connected: true } });
  assert.equal((await victim("/api/pleo/status")).body.connected, true);
});

test("axum example: hostile handoff bodies are refused with invalid_handoff (400)", async () => {
  const send = visitor();
  const f = await flow(send);
  const good = JSON.parse(f.body);
  for (const body of [f.body.replace("{", '{"code":"x",'), JSON.stringify({ ...good, extra: 1 }), JSON.stringify({ ...good, code: 1 }), JSON.stringify({ ...good, redirect_uri: "https://evil.example/cb" }), "[]"]) {
    assert.deepEqual(await send("/api/pleo/exchange", { method: "POST", headers: ours, body }), { status: 400, body: { error: "invalid_handoff" } });
  }
});

test("axum example: 20 concurrent status requests after the access token expired → exactly one refresh request, all connected; the connection survives the next expiry", async () => {
  const send = visitor();
  const f = await flow(send);
  assert.equal((await send("/api/pleo/exchange", { method: "POST", headers: ours, body: f.body })).status, 200);
  for (let round = 0; round < 2; round++) {
    await new Promise((r) => setTimeout(r, 2200));
    const before = auth.stats.refreshRequests;
    const answers = await Promise.all(Array.from({ length: 20 }, () => send("/api/pleo/status")));
    assert.equal(auth.stats.refreshRequests - before, 1, `round ${round}: one refresh request`);
    assert.ok(answers.every((a) => a.status === 200 && a.body.connected === true), JSON.stringify(answers.find((a) => !a.body?.connected)));
    assert.equal(answers.filter((a) => a.body.refreshed).length, 1);
  }
});
