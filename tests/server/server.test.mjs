// pleo-oauth/server (the packed pkg/server.js and its server wasm) against the local stand-in for
// Pleo's authorization server (www/authserver.mjs), which is strict about refresh-token rotation:
// a second use of a refresh token is refused and revokes the whole authorisation
// (tests/e2e/standin.test.mjs proves it). Every test runs against both stores: SQLite files in a
// temporary directory, and a PostgreSQL cluster the tests start themselves
// (tests/support/postgres.mjs).
//
// Run: node --test tests/server/   (after `make pkg`)
import { describe, test, before, after } from "node:test";
import assert from "node:assert/strict";
import crypto from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { spawn } from "node:child_process";
import http from "node:http";
import { fileURLToPath } from "node:url";
import { startAuthServer } from "../../www/authserver.mjs";
import { startPostgres } from "../support/postgres.mjs";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const { createPleoServer, sqliteStore, postgresStore, keysFromEnv, PleoServerError, toNodeHandler } = await import(path.join(root, "pkg", "server.js"));

const CB = "http://localhost:5173/pleo/callback";
const client = { clientId: "3f6c2a1e-test", clientSecret: crypto.randomBytes(32).toString("base64url"), redirectUris: [CB] };
const TTL = 2; // seconds: the stand-in's access tokens
const KEY = "k1:" + crypto.randomBytes(32).toString("base64");
let auth, dir, pg;

before(async () => {
  auth = await startAuthServer({ port: 0, client, accessTokenTtl: TTL });
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "pleo-server-"));
  pg = await startPostgres();
});
after(async () => {
  await auth?.close();
  await pg?.stop();
  fs.rmSync(dir, { recursive: true, force: true });
});

let files = 0;

/** What differs between the stores: where one lives, how to open it, how to look inside it. */
const STORES = {
  sqlite: {
    fresh: () => path.join(dir, `t${++files}.db`),
    open: (where) => sqliteStore(where),
    opener: "sqliteStore",
    /** Every byte the database keeps on disk. */
    async bytes(where) {
      return Buffer.concat([where, where + "-wal"].filter((p) => fs.existsSync(p)).map((p) => fs.readFileSync(p)));
    },
    async sql(where, text, values) {
      const { default: Database } = await import("better-sqlite3");
      const db = new Database(where);
      try {
        return /^\s*select/i.test(text) ? db.prepare(text).all(...values) : (db.prepare(text).run(...values), []);
      } finally {
        db.close();
      }
    },
  },
  postgres: {
    fresh: () => pg.url,
    open: (where) => postgresStore(where),
    opener: "postgresStore",
    async bytes() {
      await STORES.postgres.sql(pg.url, "CHECKPOINT", []);
      const all = [];
      const walk = (d) => {
        for (const e of fs.readdirSync(d, { withFileTypes: true })) {
          const p = path.join(d, e.name);
          if (e.isDirectory()) walk(p);
          else all.push(fs.readFileSync(p));
        }
      };
      walk(pg.dataDir());
      return Buffer.concat(all);
    },
    async sql(where, text, values) {
      const { default: pgModule } = await import("pg");
      const c = new pgModule.Client({ connectionString: where });
      await c.connect();
      try {
        return (await c.query(text.replace(/\?/g, (() => { let i = 0; return () => `$${++i}`; })()), values)).rows;
      } finally {
        await c.end();
      }
    },
  },
};

/** The store kind of the tests being defined. */
let kind = STORES.sqlite;
const opened = [];
after(async () => {
  for (const s of opened) await s.close().catch(() => {});
});

async function server(extra = {}, where = kind.fresh()) {
  const store = await kind.open(where);
  opened.push(store);
  const srv = createPleoServer({
    clientId: client.clientId,
    clientSecret: client.clientSecret,
    redirectUri: CB,
    environment: { tokenEndpoint: auth.tokenEndpoint },
    store,
    encryption: keysFromEnv(KEY),
    refreshSkewMs: 200,
    ...extra,
  });
  return { srv, store, file: where };
}

/** What the browser would do: a PKCE pair and a state, registered from `session` (bound handoff). */
async function startFlow(srv, session = "session-1") {
  const verifier = crypto.randomBytes(32).toString("base64url");
  const challenge = crypto.createHash("sha256").update(verifier).digest("base64url");
  const state = crypto.randomBytes(32).toString("base64url");
  await srv.register(session, JSON.stringify({ state, code_challenge: challenge }));
  const code = await auth.mintAuthorizationCode({ codeChallenge: challenge, redirectUri: CB });
  const body = JSON.stringify({ code, code_verifier: verifier, redirect_uri: CB, state });
  return { verifier, challenge, state, code, body };
}

async function introspect(token) {
  const res = await fetch(auth.introspectionEndpoint, {
    method: "POST",
    headers: { authorization: "Basic " + Buffer.from(`${client.clientId}:${client.clientSecret}`).toString("base64"), "content-type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({ token }),
  });
  return res.json();
}

const expire = () => new Promise((r) => setTimeout(r, TTL * 1000 + 100));

/** Rejects with a PleoServerError of `code`, whose message holds none of `secrets`. */
async function rejects(promise, code, secrets = []) {
  try {
    await promise;
  } catch (e) {
    assert.ok(e instanceof PleoServerError, String(e));
    assert.equal(e.code, code, e.message);
    for (const s of secrets) assert.ok(!e.message.includes(s), `${code}: the message holds a secret`);
    return e;
  }
  assert.fail(`resolved; want ${code}`);
}

for (const [name, store] of Object.entries(STORES)) {
  describe(`store: ${name}`, () => {
    before(() => {
      kind = store;
    });
    test("exchange: the bound handoff registered from the session, the code exchanged through the stand-in (HTTP Basic, PKCE), the tokens stored sealed; the access token works", async () => {
      const { srv } = await server();
      const f = await startFlow(srv);
      const { connectionId, scope } = await srv.exchange("session-1", f.body);
      assert.match(connectionId, /^[0-9a-f-]{36}$/);
      assert.equal(scope, "users:read");
      const token = await srv.getAccessToken(connectionId);
      assert.equal((await introspect(token)).active, true);
      // One use: the same handoff again finds no registration (and the code is spent anyway).
      await rejects(srv.exchange("session-1", f.body), "unknown_state", [f.code, f.verifier]);
    });

    test("RFC 9700 §4.5: a handoff from another session, with another verifier, or after the registration expired is refused before the token endpoint is asked", async () => {
      const { srv } = await server({ registrationTtlSeconds: 1 });
      const asked = () => auth.stats.tokenRequests;
      const a = await startFlow(srv, "victim");
      const n = asked();
      await rejects(srv.exchange("attacker", a.body), "unknown_state", [a.code, a.verifier]);
      // A code injected with the attacker's own verifier into the victim's session.
      const b = await startFlow(srv, "victim");
      const otherVerifier = crypto.randomBytes(32).toString("base64url");
      const injected = JSON.stringify({ code: b.code, code_verifier: otherVerifier, redirect_uri: CB, state: b.state });
      await rejects(srv.exchange("victim", injected), "challenge_mismatch", [b.code, otherVerifier]);
      const c = await startFlow(srv, "victim");
      await new Promise((r) => setTimeout(r, 1100));
      await rejects(srv.exchange("victim", c.body), "expired", [c.code, c.verifier]);
      assert.equal(asked(), n, "nothing reached the token endpoint");
    });

    test("hostile handoff bodies (duplicate keys, extra fields, 1 MB strings, wrong types, another redirect URI) are refused with invalid_handoff, naming no secret", async () => {
      const { srv } = await server();
      const f = await startFlow(srv);
      const good = JSON.parse(f.body);
      const bodies = [
        f.body.replace("{", `{"code":"other",`),
        JSON.stringify({ ...good, client_secret: "x" }),
        JSON.stringify({ ...good, code: "c".repeat(1 << 20) }),
        JSON.stringify({ ...good, state: "s".repeat(1 << 20) }),
        JSON.stringify({ ...good, code: 42 }),
        JSON.stringify({ ...good, state: null }),
        JSON.stringify({ ...good, code_verifier: "short" }),
        JSON.stringify({ ...good, redirect_uri: "https://evil.example/cb" }),
        JSON.stringify([good]),
        "code=x&state=y",
        "",
      ];
      for (const body of bodies) await rejects(srv.exchange("session-1", body), "invalid_handoff", [f.code, f.verifier]);
      await rejects(srv.register("session-1", JSON.stringify({ state: "s", code_challenge: "short" })), "invalid_handoff");
      // The real one still works afterwards (nothing was consumed by the refusals).
      assert.ok((await srv.exchange("session-1", f.body)).connectionId);
    });

    test("refresh single flight, one process: 100 concurrent getAccessToken for an expired connection → exactly one refresh request reaches the stand-in, every caller gets the same working token, and the connection survives the next expiry", async () => {
      const { srv } = await server();
      const f = await startFlow(srv);
      const { connectionId } = await srv.exchange("session-1", f.body);
      const first = await srv.getAccessToken(connectionId);
      await expire();
      const before = auth.stats.refreshRequests;
      const tokens = await Promise.all(Array.from({ length: 100 }, () => srv.getAccessToken(connectionId)));
      assert.equal(auth.stats.refreshRequests - before, 1, "one refresh request");
      assert.equal(new Set(tokens).size, 1);
      assert.notEqual(tokens[0], first);
      assert.equal((await introspect(tokens[0])).active, true);
      await expire();
      const again = await srv.getAccessToken(connectionId);
      assert.equal((await introspect(again)).active, true, "the rotated refresh token was kept: the connection survives");
      assert.equal(auth.stats.refreshRequests - before, 2);
    });

    /** A second process on the same SQLite file: `n` concurrent getAccessToken; prints the tokens. */
    function otherProcess(file, connectionId, n) {
      const script = `
        const m = await import(${JSON.stringify(path.join(root, "pkg", "server.js"))});
        const { createPleoServer, keysFromEnv } = m;
        const store = await m.${kind.opener}(${JSON.stringify(file)});
        const srv = createPleoServer({ clientId: ${JSON.stringify(client.clientId)}, clientSecret: ${JSON.stringify(client.clientSecret)},
          redirectUri: ${JSON.stringify(CB)}, environment: { tokenEndpoint: ${JSON.stringify(auth.tokenEndpoint)} }, store,
          encryption: keysFromEnv(${JSON.stringify(KEY)}), refreshSkewMs: 200 });
        process.stdin.once("data", async () => {
          const tokens = await Promise.all(Array.from({ length: ${n} }, () => srv.getAccessToken(${JSON.stringify(connectionId)})));
          process.stdout.write(JSON.stringify(tokens));
          await store.close();
        });
        process.stdout.write("ready\\n");`;
      const child = spawn(process.execPath, ["--input-type=module", "-e", script], { stdio: ["pipe", "pipe", "inherit"] });
      let out = "";
      const ready = new Promise((r) => child.stdout.on("data", (d) => ((out += d), out.startsWith("ready\n") && r())));
      const done = new Promise((r) => child.on("exit", () => r(JSON.parse(out.slice("ready\n".length)))));
      return { ready, go: () => child.stdin.end("go\n"), done };
    }

    test("refresh single flight, two processes on one database: 2 × 50 concurrent getAccessToken for an expired connection → exactly one refresh request, every caller gets the same working token", async () => {
      const { srv, file } = await server();
      const f = await startFlow(srv);
      const { connectionId } = await srv.exchange("session-1", f.body);
      await srv.getAccessToken(connectionId);
      await expire();
      const other = otherProcess(file, connectionId, 50);
      await other.ready;
      const before = auth.stats.refreshRequests;
      other.go();
      const mine = await Promise.all(Array.from({ length: 50 }, () => srv.getAccessToken(connectionId)));
      const theirs = await other.done;
      assert.equal(auth.stats.refreshRequests - before, 1, "one refresh request across both processes");
      assert.equal(new Set([...mine, ...theirs]).size, 1);
      assert.equal((await introspect(mine[0])).active, true);
    });

    test("tokens at rest: the database file holds no token in plaintext; a wrong key and a tampered row give tokens_unreadable, an unknown key id key_unavailable", async () => {
      const { srv, store, file } = await server();
      const f = await startFlow(srv);
      const { connectionId } = await srv.exchange("session-1", f.body);
      await expire();
      const token = await srv.getAccessToken(connectionId); // a refresh: the rotated refresh token is stored too
      await store.close();
      opened.splice(opened.indexOf(store), 1);
      const bytes = await kind.bytes(file);
      assert.ok(!bytes.includes(token), "no access token in the database file");
      assert.ok(!bytes.includes(client.clientSecret));
      // Every refresh token the stand-in issued for this grant is opaque random text: look for any
      // 43-character base64url run that introspects as active.
      const runs = new Set(bytes.toString("latin1").match(/[A-Za-z0-9_-]{40,}/g) ?? []);
      for (const run of runs) assert.notEqual((await introspect(run)).active, true, "a live token in the file");

      const wrongKey = await server({ encryption: keysFromEnv("k1:" + crypto.randomBytes(32).toString("base64")) }, file);
      const e1 = await rejects(wrongKey.srv.getAccessToken(connectionId), "tokens_unreadable", [token]);
      assert.match(e1.message, /connect again/);
      const otherId = await server({ encryption: keysFromEnv("k2:" + crypto.randomBytes(32).toString("base64")) }, file);
      await rejects(otherId.srv.getAccessToken(connectionId), "key_unavailable", [token]);

      // A row changed outside the library: one byte of the sealed tokens flipped.
      const [row] = await kind.sql(file, "SELECT sealed FROM pleo_connections WHERE id = ?", [connectionId]);
      const sealed = Buffer.from(row.sealed);
      const flipped = Buffer.from(sealed);
      flipped[flipped.length - 1] ^= 1;
      await kind.sql(file, "UPDATE pleo_connections SET sealed = ? WHERE id = ?", [flipped, connectionId]);
      const again = await server({}, file);
      await rejects(again.srv.getAccessToken(connectionId), "tokens_unreadable", [token]);
      // The intact row copied under another id does not open either (the id is the cipher's
      // additional data).
      await kind.sql(file, "INSERT INTO pleo_connections (id, version, key_id, sealed, lease_until) VALUES (?, 0, 'k1', ?, 0)", ["copied-" + connectionId, sealed]);
      await rejects(again.srv.getAccessToken("copied-" + connectionId), "tokens_unreadable", [token]);
    });

    test("a refresh refused with invalid_grant (Pleo revoked the authorisation) → reconnect_required and the connection removed; an unreachable token endpoint → token_endpoint_unreachable, and the next call refreshes; disconnect forgets a connection", async () => {
      const { srv, file } = await server();
      const f = await startFlow(srv);
      const { connectionId } = await srv.exchange("session-1", f.body);
      await expire();
      // The same database, a token endpoint that cannot be reached: the lease is released at once.
      const down = await server({ fetch: async () => { throw new TypeError("fetch failed"); } }, file);
      await rejects(down.srv.getAccessToken(connectionId), "token_endpoint_unreachable");
      const token = await srv.getAccessToken(connectionId);
      assert.equal((await introspect(token)).active, true, "the next call refreshed");
      await expire();
      // A token endpoint that refuses the refresh token (invalid_grant).
      const revoked = await server({
        fetch: async () => new Response('{"error":"invalid_grant","error_description":"grant revoked"}', { status: 400, headers: { "content-type": "application/json" } }),
      }, file);
      const e = await rejects(revoked.srv.getAccessToken(connectionId), "reconnect_required", [token]);
      assert.equal(e.oauth?.error, "invalid_grant");
      await rejects(srv.getAccessToken(connectionId), "not_connected");
      // disconnect
      const g = await startFlow(srv);
      const second = await srv.exchange("session-1", g.body);
      await srv.disconnect(second.connectionId);
      await rejects(srv.getAccessToken(second.connectionId), "not_connected");
    });
  });
}

describe("routes (Fetch API handlers, and node:http through toNodeHandler)", () => {
  before(() => {
    kind = STORES.sqlite;
  });

  test("start sets the session cookie and registers; exchange in the same session connects and calls onConnected; a request without the pleo-oauth header, with a text body, over 16 KiB, or from another session is refused", async () => {
    const { srv } = await server();
    const connected = [];
    const routes = srv.routes({ onConnected: (id, request, scope) => void connected.push({ id, scope, path: new URL(request.url).pathname }) });
    const app = http.createServer((req, res) => (req.url === "/api/pleo/start" ? toNodeHandler(routes.start) : toNodeHandler(routes.exchange))(req, res));
    await new Promise((r) => app.listen(0, "127.0.0.1", r));
    const base = `http://127.0.0.1:${app.address().port}`;
    try {
      const ours = { "content-type": "application/json", "x-requested-with": "pleo-oauth" };
      const verifier = crypto.randomBytes(32).toString("base64url");
      const challenge = crypto.createHash("sha256").update(verifier).digest("base64url");
      const state = crypto.randomBytes(32).toString("base64url");
      const start = await fetch(`${base}/api/pleo/start`, { method: "POST", headers: ours, body: JSON.stringify({ state, code_challenge: challenge }) });
      assert.equal(start.status, 200);
      const [setCookie] = start.headers.getSetCookie();
      assert.match(setCookie, /^pleo_oauth_session=[\w-]{43}; Path=\/; HttpOnly; SameSite=Lax; Max-Age=600$/);
      const cookie = setCookie.split(";")[0];
      const code = await auth.mintAuthorizationCode({ codeChallenge: challenge, redirectUri: CB });
      const body = JSON.stringify({ code, code_verifier: verifier, redirect_uri: CB, state });
      const post = (headers, b = body) => fetch(`${base}/api/pleo/exchange`, { method: "POST", headers, body: b });
      assert.equal((await post({ "content-type": "application/json", cookie })).status, 403, "no pleo-oauth header");
      assert.equal((await post({ "content-type": "text/plain", "x-requested-with": "pleo-oauth", cookie })).status, 403, "not JSON");
      assert.equal((await post({ ...ours, cookie }, "x".repeat(20_000))).status, 413);
      const other = await post(ours); // another browser: no session cookie
      assert.equal(other.status, 403);
      assert.deepEqual(await other.json(), { error: "unknown_state" });
      const ok = await post({ ...ours, cookie });
      assert.equal(ok.status, 200);
      assert.deepEqual(await ok.json(), { connected: true });
      assert.equal(connected.length, 1);
      assert.equal(connected[0].path, "/api/pleo/exchange");
      assert.equal((await introspect(await srv.getAccessToken(connected[0].id))).active, true);
      // The same handoff again: the registration was used.
      const again = await post({ ...ours, cookie });
      assert.deepEqual([again.status, await again.json()], [403, { error: "unknown_state" }]);
    } finally {
      app.close();
    }
  });

  test("a refusal is told on the server, not only as the browser's bare code: a wrong client secret is 502 token_error, and onError gets the token endpoint's invalid_client; the default is one console.error line naming them, with no code, verifier or secret", async () => {
    const secret = "wrong-secret-" + crypto.randomBytes(8).toString("hex");
    const { srv } = await server({ clientSecret: secret });
    const ours = { "content-type": "application/json", "x-requested-with": "pleo-oauth" };
    const flow = async (routes) => {
      const verifier = crypto.randomBytes(32).toString("base64url");
      const challenge = crypto.createHash("sha256").update(verifier).digest("base64url");
      const state = crypto.randomBytes(32).toString("base64url");
      const start = await routes.start(new Request("https://app.example.com/api/pleo/start", { method: "POST", headers: ours, body: JSON.stringify({ state, code_challenge: challenge }) }));
      const code = await auth.mintAuthorizationCode({ codeChallenge: challenge, redirectUri: CB });
      const res = await routes.exchange(new Request("https://app.example.com/api/pleo/exchange", {
        method: "POST",
        headers: { ...ours, cookie: start.headers.getSetCookie()[0].split(";")[0] },
        body: JSON.stringify({ code, code_verifier: verifier, redirect_uri: CB, state }),
      }));
      return { res, code, verifier };
    };
    const told = [];
    const custom = await flow(srv.routes({ onConnected: () => undefined, onError: (e, route, status) => told.push({ code: e.code, oauth: e.oauth?.error, route, status }) }));
    assert.deepEqual([custom.res.status, await custom.res.json()], [502, { error: "token_error" }]);
    assert.deepEqual(told, [{ code: "token_error", oauth: "invalid_client", route: "exchange", status: 502 }]);
    const lines = [];
    const original = console.error;
    console.error = (...args) => lines.push(args.join(" "));
    let byDefault;
    try {
      byDefault = await flow(srv.routes({ onConnected: () => undefined }));
    } finally {
      console.error = original;
    }
    assert.equal(byDefault.res.status, 502);
    assert.equal(lines.length, 1, lines.join("\n"));
    assert.match(lines[0], /^pleo-oauth\/server: exchange answered 502 token_error: .*\(token endpoint: invalid_client, HTTP 401\)$/);
    for (const secretValue of [secret, byDefault.code, byDefault.verifier]) assert.ok(!lines[0].includes(secretValue), "a secret in the log line");
  });

  test("Fetch API directly (a Next.js route handler): onConnected's Response is the answer; the cookie is Secure on https", async () => {
    const { srv } = await server();
    const routes = srv.routes({ onConnected: (id) => new Response(JSON.stringify({ mine: true }), { headers: { "set-cookie": `app_session=${id}; HttpOnly` } }) });
    const ours = { "content-type": "application/json", "x-requested-with": "pleo-oauth" };
    const verifier = crypto.randomBytes(32).toString("base64url");
    const challenge = crypto.createHash("sha256").update(verifier).digest("base64url");
    const state = crypto.randomBytes(32).toString("base64url");
    const start = await routes.start(new Request("https://app.example.com/api/pleo/start", { method: "POST", headers: ours, body: JSON.stringify({ state, code_challenge: challenge }) }));
    const [setCookie] = start.headers.getSetCookie();
    assert.match(setCookie, /; Secure$/);
    const code = await auth.mintAuthorizationCode({ codeChallenge: challenge, redirectUri: CB });
    const res = await routes.exchange(new Request("https://app.example.com/api/pleo/exchange", {
      method: "POST",
      headers: { ...ours, cookie: setCookie.split(";")[0] },
      body: JSON.stringify({ code, code_verifier: verifier, redirect_uri: CB, state }),
    }));
    assert.deepEqual(await res.json(), { mine: true });
    assert.match(res.headers.get("set-cookie"), /^app_session=[0-9a-f-]{36}; HttpOnly$/);
    const bad = await routes.exchange(new Request("https://app.example.com/x", { method: "POST", headers: ours, body: "{}" }));
    assert.deepEqual([bad.status, await bad.json()], [400, { error: "invalid_handoff" }]);
  });
});
