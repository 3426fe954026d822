// The demo: a fictional partner app ("Ledgerly") with a Connect-to-Pleo page and the example
// partner backend that exchanges the code — plus, unless real Pleo credentials are given, a
// local stand-in for Pleo's authorization server on its own origin (authserver.mjs).
//
//   node www/server.mjs            # stand-in mode: everything local
//   PLEO_CLIENT_ID=… PLEO_CLIENT_SECRET=… PLEO_ENV=staging node www/server.mjs   # real Pleo
//
// The backend is pleo-oauth/server (pkg/server.js): the bound handoff, the code exchange and
// refresh single flight, with the tokens sealed (AES-256-GCM) in SQLite — a fresh file per run
// — or, with DATABASE_URL=postgres://…, in PostgreSQL, where several instances of this backend
// share the sessions and connections. The browser holds only HttpOnly cookies; the page only
// ever sees what /api/pleo/* chooses to tell it (never a token).
//
//   PLEO_ACCESS_TOKEN_TTL=5      the stand-in's access-token lifetime in seconds (default 900)
//   AUTH_SERVER=http://127.0.0.1:3001   join a stand-in already running (another demo's)
//   DATABASE_URL=postgres://…    PostgreSQL instead of a fresh SQLite file
//   PLEO_TOKEN_KEYS=k1:<base64>  the key that seals the tokens (instances sharing a database
//                                must share it; default: a new random key per run)
import http from "node:http";
import crypto from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

const here = path.dirname(fileURLToPath(import.meta.url));
const PUBLIC = path.join(here, "public");
const PKG = path.resolve(here, "../pkg");

/** Pleo's real endpoints (../shared/PLEO_OAUTH.md). */
const PLEO = {
  production: { auth: "https://auth.pleo.io", api: "https://external.pleo.io" },
  staging: { auth: "https://auth.staging.pleo.io", api: "https://external.staging.pleo.io" },
};
const SCOPES = ["users:read", "export-jobs:read", "companies:read"];
const SESSION_COOKIE = "ledgerly_session";
// How long the bound handoff's registration (RFC 9700 §4.5) lasts.
const PENDING_TTL_MS = 10 * 60 * 1000;

const STATIC = {
  "/": ["index.html", "text/html; charset=utf-8"],
  "/pleo/callback": ["index.html", "text/html; charset=utf-8"],
  // What a partner registers with Pleo besides the redirect URI: the Initiation URI (Pleo sends a
  // user who clicks "Connect" inside Pleo there) and the Settings URI (Pleo links to it).
  "/pleo/start": ["index.html", "text/html; charset=utf-8"],
  "/pleo/settings": ["index.html", "text/html; charset=utf-8"],
  "/app.js": ["app.js", "text/javascript; charset=utf-8"],
  "/style.css": ["style.css", "text/css; charset=utf-8"],
};
const PKG_FILES = { "index.js": "text/javascript", "popup.js": "text/javascript", "messages.js": "text/javascript", "pleo_oauth_bg.wasm": "application/wasm" };

/**
 * Starts the demo.
 * @param {{ host?: string, port?: number, authPort?: number, env?: NodeJS.ProcessEnv, log?: (s: string) => void,
 *           accessTokenTtl?: number }} [options]
 */
export async function startDemo({ host = "localhost", port = 3000, authPort = 3001, env = process.env, log = console.log, accessTokenTtl = Number(env.PLEO_ACCESS_TOKEN_TTL ?? 900), bindHandoff = true, callbackCoop = false, recordTokens = false } = {}) {
  const realPleo = Boolean(env.PLEO_CLIENT_ID && env.PLEO_CLIENT_SECRET);
  const pleoEnv = env.PLEO_ENV ?? "staging";
  if (realPleo && !PLEO[pleoEnv]) throw new Error(`PLEO_ENV must be "staging" or "production", not "${pleoEnv}"`);
  const server = http.createServer((req, res) => {
    handle(req, res).catch((err) => {
      log(`demo: ${req.method} ${req.url} failed: ${err.message}`);
      if (!res.headersSent) json(res, 500, { error: "internal_error" });
    });
  });
  await new Promise((resolve, reject) => server.once("error", reject).listen(port, host, resolve));
  const origin = `http://${host}:${server.address().port}`;
  const redirectUri = env.PLEO_REDIRECT_URI ?? `${origin}/pleo/callback`;
  const secure = origin.startsWith("https:") || redirectUri.startsWith("https:");

  // ------------------------------------------------------------------ which authorization server
  let pleo, auth;
  if (realPleo) {
    const name = pleoEnv;
    const urls = PLEO[name];
    pleo = {
      mode: `Pleo ${name}`, clientId: env.PLEO_CLIENT_ID, clientSecret: env.PLEO_CLIENT_SECRET,
      environment: name, tokenEndpoint: `${urls.auth}/oauth/token`, introspectionEndpoint: `${urls.auth}/oauth/token/introspect`,
    };
  } else if (env.AUTH_SERVER) {
    // Another demo's stand-in (a second instance of this backend): its client, read from it.
    const joined = await (await fetch(new URL("/demo/client", env.AUTH_SERVER))).json();
    pleo = {
      mode: "local stand-in (joined)", clientId: joined.clientId, clientSecret: joined.clientSecret,
      environment: { authorizationEndpoint: joined.authorizationEndpoint, issuer: joined.issuer },
      tokenEndpoint: joined.tokenEndpoint, introspectionEndpoint: joined.introspectionEndpoint,
    };
  } else {
    const { startAuthServer } = await import("./authserver.mjs");
    const clientId = "3f6c2a1e-9d4b-4c7e-8a55-0d1e2f3a4b5c";
    const clientSecret = crypto.randomBytes(32).toString("base64url");
    // The stand-in knows the redirect URIs of a second instance too (PORT=3002 with AUTH_SERVER).
    const redirectUris = [redirectUri, ...[3000, 3002, 3003].map((p) => `http://localhost:${p}/pleo/callback`)].filter((u, i, all) => all.indexOf(u) === i);
    auth = await startAuthServer({ port: authPort, client: { clientId, clientSecret, redirectUris }, accessTokenTtl, log, share: true });
    pleo = {
      mode: "local stand-in", clientId, clientSecret,
      environment: { authorizationEndpoint: auth.authorizationEndpoint, issuer: auth.issuer },
      tokenEndpoint: auth.tokenEndpoint, introspectionEndpoint: auth.introspectionEndpoint,
    };
  }
  const authOrigin = typeof pleo.environment === "string" ? PLEO[pleo.environment].auth : new URL(pleo.environment.authorizationEndpoint).origin;

  // ------------------------------------------------------------------ pleo-oauth/server
  const { createPleoServer, sqliteStore, postgresStore, keysFromEnv, toNodeHandler } = await import(path.join(PKG, "server.js"));
  const dbFile = env.DATABASE_URL ? null : path.join(fs.mkdtempSync(path.join(os.tmpdir(), "ledgerly-")), "ledgerly.db");
  const store = env.DATABASE_URL ? await postgresStore(env.DATABASE_URL) : await sqliteStore(dbFile);
  const stats = { exchanges: 0, refreshes: 0 };
  /** For the tests only (`recordTokens`): every token response the backend received. */
  const issued = [];
  const server_ = createPleoServer({
    clientId: pleo.clientId,
    clientSecret: pleo.clientSecret,
    redirectUri,
    environment: typeof pleo.environment === "string" ? pleo.environment : { tokenEndpoint: pleo.tokenEndpoint },
    store,
    encryption: keysFromEnv(env.PLEO_TOKEN_KEYS ?? `demo:${crypto.randomBytes(32).toString("base64")}`),
    bound: bindHandoff,
    registrationTtlSeconds: PENDING_TTL_MS / 1000,
    // Counts what reaches the token endpoint (the tests compare it with the stand-in's count).
    fetch: async (url, init) => {
      if (String(init.body).startsWith("grant_type=authorization_code")) stats.exchanges += 1;
      else stats.refreshes += 1;
      const response = await fetch(url, init);
      if (recordTokens && response.ok) issued.push(await response.clone().json().catch(() => null));
      return response;
    },
  });
  /** Display only, per process: when a connection was made here, and the access token last shown. */
  const shown = new Map();

  const basic = "Basic " + Buffer.from(`${encodeURIComponent(pleo.clientId)}:${encodeURIComponent(pleo.clientSecret)}`).toString("base64");

  /** Uses the access token on a protected endpoint (introspection): proves it works. */
  async function describe(connectionId) {
    const accessToken = await server_.getAccessToken(connectionId);
    const seen = shown.get(connectionId) ?? { connectedAt: null, token: accessToken };
    const refreshedAt = seen.token !== accessToken ? new Date().toISOString() : seen.refreshedAt ?? null;
    shown.set(connectionId, { ...seen, token: accessToken, refreshedAt });
    const r = await fetch(pleo.introspectionEndpoint, {
      method: "POST",
      headers: { authorization: basic, "content-type": "application/x-www-form-urlencoded", accept: "application/json" },
      body: new URLSearchParams({ token: accessToken }),
      signal: AbortSignal.timeout(10_000),
    });
    const info = await r.json().catch(() => ({}));
    return {
      connected: true,
      active: info.active === true,
      company: info.company_name ?? info.company_id ?? null,
      companyId: info.company_id ?? null,
      subject: info.sub ?? null,
      scopes: String(info.scope ?? "").split(" ").filter(Boolean),
      accessTokenExpiresAt: info.exp ? new Date(info.exp * 1000).toISOString() : null,
      connectedAt: seen.connectedAt,
      refreshedAt,
      mode: pleo.mode,
    };
  }

  // ------------------------------------------------------------------ HTTP
  function securityHeaders(extra = {}) {
    return {
      "content-security-policy": `default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; style-src 'self'; img-src 'self' data:; connect-src 'self'; form-action 'self' ${authOrigin}; frame-ancestors 'none'; base-uri 'none'; object-src 'none'`,
      "referrer-policy": "no-referrer",
      "x-content-type-options": "nosniff",
      "cache-control": "no-store",
      ...extra,
    };
  }

  function json(res, status, body, headers = {}) {
    res.writeHead(status, { "content-type": "application/json", "cache-control": "no-store", ...headers }).end(JSON.stringify(body));
  }

  function cookie(req, name) {
    for (const part of (req.headers.cookie ?? "").split(";")) {
      const [k, ...v] = part.trim().split("=");
      if (k === name) return v.join("=");
    }
    return undefined;
  }

  function sessionCookie(sid, maxAge) {
    return `${SESSION_COOKIE}=${sid}; Path=/; HttpOnly; SameSite=Lax; Max-Age=${maxAge}${secure ? "; Secure" : ""}`;
  }

  /** CSRF defence for state-changing API calls: JSON from our own script only. */
  function fromOurScript(req) {
    return req.headers["x-requested-with"] === "pleo-oauth" && /^application\/json\b/.test(req.headers["content-type"] ?? "");
  }

  // POST /api/pleo/start (handoff.startUrl) and POST /api/pleo/exchange (handoff.url): the
  // library's routes — the pleo-oauth header and JSON checks, the 16 KiB limit, the visitor's
  // pre-connection session cookie, the bound check and the exchange. The demo only says what to
  // do once connected: keep the connection id in the session cookie, show what the page may see.
  const routes = server_.routes({
    secure,
    async onConnected(connectionId, request) {
      const old = (request.headers.get("cookie") ?? "").split(";").map((c) => c.trim().split("=")).find(([k]) => k === SESSION_COOKIE)?.[1];
      if (old) await server_.disconnect(old);
      shown.set(connectionId, { connectedAt: new Date().toISOString(), token: null, refreshedAt: null });
      const body = JSON.stringify(await describe(connectionId));
      return new Response(body, { headers: { "content-type": "application/json", "cache-control": "no-store", "set-cookie": sessionCookie(connectionId, 60 * 60 * 24 * 30) } });
    },
  });
  const start = toNodeHandler(routes.start);
  const exchange = toNodeHandler(routes.exchange);

  async function status(req, res) {
    const connectionId = cookie(req, SESSION_COOKIE);
    if (!connectionId) return json(res, 200, { connected: false, mode: pleo.mode });
    try {
      return json(res, 200, await describe(connectionId));
    } catch (e) {
      if (e?.name !== "PleoServerError") throw e;
      const reason = e.code === "not_connected" ? undefined : "The Pleo authorisation ended (refresh refused). Connect again.";
      return json(res, 200, { connected: false, mode: pleo.mode, ...(reason ? { reason } : {}) }, { "set-cookie": sessionCookie("", 0) });
    }
  }

  async function disconnect(req, res) {
    if (!fromOurScript(req)) return json(res, 403, { error: "forbidden" });
    const connectionId = cookie(req, SESSION_COOKIE);
    if (connectionId) await server_.disconnect(connectionId);
    return json(res, 200, { connected: false, mode: pleo.mode }, { "set-cookie": sessionCookie("", 0) });
  }

  async function handle(req, res) {
    const url = new URL(req.url, origin);
    const route = `${req.method} ${url.pathname}`;
    if (route === "GET /api/pleo/config") {
      const handoff = bindHandoff ? { url: "/api/pleo/exchange", startUrl: "/api/pleo/start" } : { url: "/api/pleo/exchange" };
      return json(res, 200, { clientId: pleo.clientId, redirectUri, scopes: SCOPES, environment: pleo.environment, handoff });
    }
    if (route === "POST /api/pleo/start" && bindHandoff) return start(req, res);
    if (route === "POST /api/pleo/exchange") return exchange(req, res);
    if (route === "GET /api/pleo/status") return status(req, res);
    if (route === "POST /api/pleo/disconnect") return disconnect(req, res);
    if (req.method === "GET" && STATIC[url.pathname]) {
      const [file, type] = STATIC[url.pathname];
      // callbackCoop: the redirect-URI page isolates itself (Cross-Origin-Opener-Policy), which
      // severs a popup from its opener; pleo-oauth's popup then completes over a BroadcastChannel.
      const coop = callbackCoop && url.pathname === "/pleo/callback" ? { "cross-origin-opener-policy": "same-origin" } : {};
      return res.writeHead(200, securityHeaders({ "content-type": type, ...coop })).end(fs.readFileSync(path.join(PUBLIC, file)));
    }
    const pkgFile = req.method === "GET" && url.pathname.startsWith("/pkg/") && url.pathname.slice(5);
    if (pkgFile && PKG_FILES[pkgFile]) {
      const file = path.join(PKG, pkgFile);
      if (!fs.existsSync(file)) return res.writeHead(404, { "content-type": "text/plain" }).end("pkg/ is not built: run `make pkg`.");
      return res.writeHead(200, { "content-type": PKG_FILES[pkgFile], "cache-control": "no-cache" }).end(fs.readFileSync(file));
    }
    res.writeHead(404, { "content-type": "text/plain" }).end("Not found");
  }

  return {
    url: origin,
    redirectUri,
    auth,
    pleo: { mode: pleo.mode, tokenEndpoint: pleo.tokenEndpoint, introspectionEndpoint: pleo.introspectionEndpoint },
    /** The HTTP Basic client authentication header (for tests that talk to the token endpoint). */
    clientAuthorization: basic,
    /** With `recordTokens` (tests only): the token responses the backend received, in order. */
    issued,
    stats,
    /** The SQLite file (none with DATABASE_URL): what tests search for plaintext. */
    dbFile,
    close: async () => {
      server.closeAllConnections?.();
      await new Promise((r) => server.close(r));
      await store.close();
      await auth?.close();
    },
  };
}

// Command line: start and print the URL; Ctrl-C stops everything.
if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const port = Number(process.env.PORT ?? 3000);
  const authPort = Number(process.env.AUTH_PORT ?? 3001);
  const demo = await startDemo({ port, authPort });
  console.log(`\n  Ledgerly × Pleo demo (${demo.pleo.mode})`);
  console.log(`  Open ${demo.url}/ in your browser.`);
  console.log(`  Registered with Pleo: redirect URI ${demo.redirectUri}, Initiation URI ${demo.url}/pleo/start, Settings URI ${demo.url}/pleo/settings`);
  if (demo.auth) console.log(`  Local stand-in for Pleo's authorization server: ${demo.auth.issuer}`);
  console.log("  Ctrl-C stops it.\n");
  const stop = async () => { await demo.close(); process.exit(0); };
  process.on("SIGINT", stop);
  process.on("SIGTERM", stop);
}
