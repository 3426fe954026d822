// The demo: a fictional partner app ("Ledgerly") with a Connect-to-Pleo page and the example
// partner backend that exchanges the code — plus, unless real Pleo credentials are given, a
// local stand-in for Pleo's authorization server on its own origin (authserver.mjs).
//
//   node www/server.mjs            # stand-in mode: everything local
//   PLEO_CLIENT_ID=… PLEO_CLIENT_SECRET=… PLEO_ENV=staging node www/server.mjs   # real Pleo
//
// The backend keeps tokens server-side, in memory, keyed by an HttpOnly session cookie; the
// page only ever sees what /api/pleo/* chooses to tell it (never a token).
import http from "node:http";
import crypto from "node:crypto";
import fs from "node:fs";
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
// The visitor's pre-connection session: which { state, code_challenge } this browser started
// (bound handoff, RFC 9700 §4.5). Separate from the connected session, short-lived.
const PENDING_COOKIE = "ledgerly_pending";
const PENDING_TTL_MS = 10 * 60 * 1000;
const MAX_BODY = 16 * 1024;

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
export async function startDemo({ host = "localhost", port = 3000, authPort = 3001, env = process.env, log = console.log, accessTokenTtl = 900, bindHandoff = true, callbackCoop = false } = {}) {
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
  } else {
    const { startAuthServer } = await import("./authserver.mjs");
    const clientId = "3f6c2a1e-9d4b-4c7e-8a55-0d1e2f3a4b5c";
    const clientSecret = crypto.randomBytes(32).toString("base64url");
    auth = await startAuthServer({ port: authPort, client: { clientId, clientSecret, redirectUris: [redirectUri] }, accessTokenTtl, log });
    pleo = {
      mode: "local stand-in", clientId, clientSecret,
      environment: { authorizationEndpoint: auth.authorizationEndpoint, issuer: auth.issuer },
      tokenEndpoint: auth.tokenEndpoint, introspectionEndpoint: auth.introspectionEndpoint,
    };
  }
  const authOrigin = typeof pleo.environment === "string" ? PLEO[pleo.environment].auth : new URL(pleo.environment.authorizationEndpoint).origin;

  /** sid → { tokens: { accessToken, refreshToken, expiresAt, scope }, connectedAt } */
  const sessions = new Map();
  /** pending sid → Map(state → { challenge, expires }) */
  const pending = new Map();
  const stats = { exchanges: 0, refreshes: 0 };

  // ------------------------------------------------------------------ the token endpoint, server-side
  const basic = "Basic " + Buffer.from(`${encodeURIComponent(pleo.clientId)}:${encodeURIComponent(pleo.clientSecret)}`).toString("base64");

  async function formPost(url, form) {
    const r = await fetch(url, {
      method: "POST",
      headers: { authorization: basic, "content-type": "application/x-www-form-urlencoded", accept: "application/json" },
      body: new URLSearchParams(form),
      signal: AbortSignal.timeout(10_000),
    });
    let body = {};
    try { body = await r.json(); } catch { /* not JSON */ }
    return { ok: r.ok, status: r.status, body };
  }

  function keep(tokens) {
    return {
      accessToken: tokens.access_token,
      refreshToken: tokens.refresh_token,
      expiresAt: Date.now() + Number(tokens.expires_in ?? 900) * 1000,
      scope: tokens.scope ?? "",
    };
  }

  /** Uses the access token on a protected endpoint (introspection): proves it works. */
  async function describe(session) {
    const r = await formPost(pleo.introspectionEndpoint, { token: session.tokens.accessToken });
    const info = r.body;
    return {
      connected: true,
      active: info.active === true,
      company: info.company_name ?? info.company_id ?? null,
      companyId: info.company_id ?? null,
      subject: info.sub ?? null,
      scopes: String(info.scope ?? session.tokens.scope).split(" ").filter(Boolean),
      accessTokenExpiresAt: new Date(session.tokens.expiresAt).toISOString(),
      connectedAt: session.connectedAt,
      refreshedAt: session.refreshedAt ?? null,
      mode: pleo.mode,
    };
  }

  /** Refresh with rotation: the new refresh token replaces the old one, which is discarded. */
  async function refresh(session) {
    stats.refreshes += 1;
    const r = await formPost(pleo.tokenEndpoint, { grant_type: "refresh_token", refresh_token: session.tokens.refreshToken });
    if (!r.ok || !r.body.access_token) return false;
    session.tokens = keep({ ...r.body, refresh_token: r.body.refresh_token ?? session.tokens.refreshToken });
    session.refreshedAt = new Date().toISOString();
    return true;
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

  async function readJson(req) {
    let size = 0;
    const chunks = [];
    for await (const c of req) {
      size += c.length;
      if (size > MAX_BODY) throw Object.assign(new Error("body too large"), { status: 413 });
      chunks.push(c);
    }
    return JSON.parse(Buffer.concat(chunks).toString("utf8") || "null");
  }

  /**
   * POST /api/pleo/start (handoff.startUrl): remember { state, code_challenge } in this
   * visitor's pending session, so that the exchange accepts only a verifier this browser started.
   */
  async function start(req, res) {
    if (!fromOurScript(req)) return json(res, 403, { error: "forbidden", message: "Send JSON with X-Requested-With: pleo-oauth." });
    let body;
    try { body = await readJson(req); } catch (e) { return json(res, e.status ?? 400, { error: "bad_request" }); }
    const { state, code_challenge: challenge } = body ?? {};
    if (typeof state !== "string" || !/^[\w-]{43}$/.test(challenge ?? "")) return json(res, 400, { error: "bad_request" });
    let sid = cookie(req, PENDING_COOKIE);
    const headers = {};
    if (!sid || !pending.has(sid)) {
      sid = crypto.randomBytes(32).toString("base64url");
      pending.set(sid, new Map());
      headers["set-cookie"] = `${PENDING_COOKIE}=${sid}; Path=/api/pleo; HttpOnly; SameSite=Lax; Max-Age=${PENDING_TTL_MS / 1000}${secure ? "; Secure" : ""}`;
    }
    const started = pending.get(sid);
    for (const [s, v] of started) if (v.expires < Date.now()) started.delete(s);
    // Bounded, evicting the oldest: refusing new ones instead would let any site that loads the
    // Initiation URI 20 times in a victim's browser block the victim's real connection.
    while (started.size >= 20) started.delete(started.keys().next().value);
    started.set(state, { challenge, expires: Date.now() + PENDING_TTL_MS });
    return json(res, 200, { registered: true }, headers);
  }

  /** The bound handoff's check: this browser registered this state and S256(verifier); forget it. */
  function startedHere(req, state, verifier) {
    const started = pending.get(cookie(req, PENDING_COOKIE) ?? "");
    const entry = typeof state === "string" && started?.get(state);
    if (!entry) return false;
    started.delete(state);
    const challenge = crypto.createHash("sha256").update(verifier).digest("base64url");
    return entry.expires >= Date.now() && crypto.timingSafeEqual(Buffer.from(challenge), Buffer.from(entry.challenge));
  }

  async function exchange(req, res) {
    if (!fromOurScript(req)) return json(res, 403, { error: "forbidden", message: "Send JSON with X-Requested-With: pleo-oauth." });
    let body;
    try { body = await readJson(req); } catch (e) { return json(res, e.status ?? 400, { error: "bad_request" }); }
    const { code, code_verifier: verifier, redirect_uri: redirect, state } = body ?? {};
    if (typeof code !== "string" || typeof verifier !== "string" || redirect !== redirectUri) {
      return json(res, 400, { error: "bad_request", message: "code, code_verifier and the registered redirect_uri are required." });
    }
    if (bindHandoff && !startedHere(req, state, verifier)) {
      return json(res, 403, { error: "not_started_here", message: "This connection was not started in this browser session." });
    }
    stats.exchanges += 1;
    const r = await formPost(pleo.tokenEndpoint, { grant_type: "authorization_code", code, redirect_uri: redirectUri, code_verifier: verifier });
    if (!r.ok || !r.body.access_token) {
      log(`demo: token request refused: HTTP ${r.status} ${r.body.error ?? ""}`);
      return json(res, 502, { error: "token_exchange_failed", message: `Pleo refused the code (${r.body.error ?? `HTTP ${r.status}`}).` });
    }
    const old = cookie(req, SESSION_COOKIE);
    if (old) sessions.delete(old);
    const sid = crypto.randomBytes(32).toString("base64url");
    const session = { tokens: keep(r.body), connectedAt: new Date().toISOString() };
    sessions.set(sid, session);
    return json(res, 200, await describe(session), { "set-cookie": sessionCookie(sid, 60 * 60 * 24 * 30) });
  }

  async function status(req, res) {
    const sid = cookie(req, SESSION_COOKIE);
    const session = sid && sessions.get(sid);
    if (!session) return json(res, 200, { connected: false, mode: pleo.mode });
    if (session.tokens.expiresAt <= Date.now() + 5_000 && !(await refresh(session))) {
      sessions.delete(sid);
      return json(res, 200, { connected: false, mode: pleo.mode, reason: "The Pleo authorisation ended (refresh refused). Connect again." }, { "set-cookie": sessionCookie("", 0) });
    }
    return json(res, 200, await describe(session));
  }

  async function disconnect(req, res) {
    if (!fromOurScript(req)) return json(res, 403, { error: "forbidden" });
    const sid = cookie(req, SESSION_COOKIE);
    if (sid) sessions.delete(sid);
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
    sessions,
    stats,
    close: async () => {
      server.closeAllConnections?.();
      await new Promise((r) => server.close(r));
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
