// A local stand-in for Pleo's authorization server: the npm package oidc-provider, configured
// the way ../shared/PLEO_OAUTH.md describes Pleo — /oauth/authorize and /oauth/token, PKCE
// required and S256 only, client_secret_basic, exact redirect URIs, scopes in
// resource:permission form for the resource server https://external.pleo.io, opaque access
// tokens (15 minutes), refresh tokens that rotate on every use, and token introspection at
// /oauth/token/introspect. It also sends `iss` on every authorisation response (RFC 9207),
// which Pleo does not document.
//
// Its sign-in and consent screen has Approve and Deny buttons that a person and a test can
// both press. Consent is asked on every authorisation, so the demo can be replayed.
import http from "node:http";
import crypto from "node:crypto";

// oidc-provider warns at import and construction about things that are deliberate here: Node 20
// ("Unsupported runtime"; it works regardless), the in-memory adapter and the generated signing
// keys (this stand-in keeps nothing across restarts and issues opaque tokens only). Those known
// lines are dropped so the demo's output stays readable; any other warning still shows.
const KNOWN_WARNINGS = /^oidc-provider WARNING: (Unsupported runtime|a quick start development-only in-memory adapter|quick start development-only signing keys)/;
const warn = console.warn;
console.warn = (...args) => {
  if (!KNOWN_WARNINGS.test(String(args[0]).replace(/\x1b\[[0-9;]*m/g, ""))) warn(...args);
};
const { default: Provider, errors } = await import("oidc-provider");

/** Pleo's documented scope catalogue, plus `test:test`. */
export const PLEO_SCOPES = [
  "users:read", "users:write", "accounts:read", "export-jobs:read", "export-jobs:write",
  "export-items:read", "companies:read", "tag-groups:read", "test:test",
];
export const RESOURCE = "https://external.pleo.io";

/** The demo's one customer: who "signs in" on the consent screen. */
const ACCOUNT = { id: "demo-user-7f3a", name: "Dana Demo", company: { id: "acme-aps-1042", name: "Acme ApS" } };

const escapeHtml = (s) =>
  String(s).replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]);

/**
 * Starts the stand-in on host:port (port 0 = any free port).
 * @param {{ host?: string, port?: number, client: { clientId: string, clientSecret: string, redirectUris: string[] },
 *           accessTokenTtl?: number, log?: (line: string) => void }} options
 */
export async function startAuthServer({ host = "127.0.0.1", port = 0, client, accessTokenTtl = 900, log = () => {}, share = false }) {
  let handler = (_req, res) => res.writeHead(503).end();
  const server = http.createServer((req, res) => handler(req, res));
  await new Promise((resolve, reject) => server.once("error", reject).listen(port, host, resolve));
  const issuer = `http://${host}:${server.address().port}`;
  const stats = { tokenRequests: 0, refreshRequests: 0, authorizationRequests: 0 };

  const provider = new Provider(issuer, {
    clients: [{
      client_id: client.clientId,
      client_secret: client.clientSecret,
      client_name: "Demo Partner",
      redirect_uris: client.redirectUris,
      grant_types: ["authorization_code", "refresh_token"],
      response_types: ["code"],
      token_endpoint_auth_method: "client_secret_basic",
    }],
    routes: {
      authorization: "/oauth/authorize",
      token: "/oauth/token",
      introspection: "/oauth/token/introspect",
      revocation: "/oauth/token/revoke",
      jwks: "/oauth/jwks",
      end_session: "/oauth/logout",
      userinfo: "/oauth/userinfo",
    },
    scopes: ["openid", "offline_access"],
    claims: { openid: ["sub"] },
    pkce: { required: () => true }, // oidc-provider 9 accepts only S256.
    features: {
      devInteractions: { enabled: false },
      // A token may be introspected only by the client it was issued to.
      introspection: { enabled: true, allowedPolicy: (_ctx, caller, token) => token.clientId === caller.clientId },
      revocation: { enabled: false },
      resourceIndicators: {
        enabled: true,
        // Clients need not send `resource`: every scope belongs to Pleo's API.
        defaultResource: () => RESOURCE,
        useGrantedResource: () => true,
        getResourceServerInfo: (_ctx, indicator) => {
          if (indicator !== RESOURCE) throw new errors.InvalidTarget();
          return { scope: PLEO_SCOPES.join(" "), audience: RESOURCE, accessTokenTTL: accessTokenTtl, accessTokenFormat: "opaque" };
        },
      },
    },
    // Every refresh returns a new refresh token; the old one stops working (Pleo's rule).
    issueRefreshToken: async (_ctx, c) => c.grantTypeAllowed("refresh_token"),
    rotateRefreshToken: () => true,
    ttl: { AccessToken: accessTokenTtl, AuthorizationCode: 60, RefreshToken: 60 * 24 * 3600, Interaction: 600, Session: 3600, Grant: 60 * 24 * 3600 },
    extraTokenClaims: () => ({ company_id: ACCOUNT.company.id, company_name: ACCOUNT.company.name }),
    findAccount: (_ctx, sub) => (sub === ACCOUNT.id ? { accountId: sub, claims: () => ({ sub }) } : undefined),
    // Ask for consent on every authorisation (only a consent given just now counts).
    loadExistingGrant: async (ctx) => {
      const grantId = ctx.oidc.result?.consent?.grantId;
      return grantId ? ctx.oidc.provider.Grant.find(grantId) : undefined;
    },
    interactions: { url: (_ctx, interaction) => `/interaction/${interaction.uid}` },
    cookies: { keys: [crypto.randomBytes(32).toString("base64url")] },
    renderError: (ctx, out) => {
      ctx.type = "html";
      ctx.body = `<!doctype html><meta charset=utf-8><title>Error</title><h1>${escapeHtml(out.error)}</h1><p>${escapeHtml(out.error_description ?? "")}</p>`;
    },
  });
  provider.on("server_error", (_ctx, err) => log(`auth server error: ${err.message}`));
  // Every refresh request the token endpoint handled, granted or refused.
  const refreshes = (ctx) => ctx.oidc?.params?.grant_type === "refresh_token" && (stats.refreshRequests += 1);
  provider.on("grant.success", refreshes);
  provider.on("grant.error", refreshes);

  const app = provider.callback();

  async function interaction(req, res, uid, action) {
    const details = await provider.interactionDetails(req, res);
    if (details.uid !== uid) throw new errors.SessionNotFound("interaction mismatch");
    const { prompt, params, session } = details;
    const requested = String(params.scope ?? "").split(" ").filter((s) => PLEO_SCOPES.includes(s));
    if (action === "deny") {
      return provider.interactionFinished(req, res, { error: "access_denied", error_description: "The user denied the connection" }, { mergeWithLastSubmission: false });
    }
    if (action === "approve") {
      const accountId = session?.accountId ?? ACCOUNT.id;
      const grant = new provider.Grant({ accountId, clientId: params.client_id });
      grant.addResourceScope(RESOURCE, requested.join(" "));
      const result = { consent: { grantId: await grant.save() } };
      if (prompt.name === "login") result.login = { accountId };
      return provider.interactionFinished(req, res, result, { mergeWithLastSubmission: true });
    }
    // The screen. No CSP form-action here: Chromium would abort the redirect back to the app.
    const scopes = requested.map((s) => `<li><code>${escapeHtml(s)}</code></li>`).join("");
    res.writeHead(200, { "content-type": "text/html; charset=utf-8", "cache-control": "no-store" }).end(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>Pleo (local stand-in) — connect Demo Partner</title>
<style>
 body{font-family:system-ui,sans-serif;background:#f4f1ec;margin:0;display:grid;place-items:center;min-height:100vh;color:#1d1d1b}
 main{background:#fff;border-radius:12px;padding:32px 36px;max-width:420px;box-shadow:0 4px 24px #0001}
 .brand{font-weight:800;font-size:22px;letter-spacing:-.5px} .tag{font-size:12px;color:#886;margin-left:6px}
 ul{padding-left:20px} code{background:#f1eee8;padding:1px 5px;border-radius:4px}
 .row{display:flex;gap:12px;margin-top:24px} button{flex:1;font-size:16px;padding:10px;border-radius:8px;border:1px solid #1d1d1b;cursor:pointer}
 #approve{background:#1d1d1b;color:#fff} #deny{background:#fff}
</style></head><body><main>
<div class="brand">pleo<span class="tag">local stand-in</span></div>
<p>${prompt.name === "login" ? `Signed in as <b>${escapeHtml(ACCOUNT.name)}</b> at <b>${escapeHtml(ACCOUNT.company.name)}</b>.` : `You are signed in at <b>${escapeHtml(ACCOUNT.company.name)}</b>.`}</p>
<p><b>Demo Partner</b> wants to connect to your Pleo account and be able to:</p>
<ul id="scopes">${scopes}</ul>
<div class="row">
 <form method="post" action="/interaction/${escapeHtml(uid)}/deny" style="flex:1;display:flex"><button id="deny" type="submit">Deny</button></form>
 <form method="post" action="/interaction/${escapeHtml(uid)}/approve" style="flex:1;display:flex"><button id="approve" type="submit">Approve</button></form>
</div></main></body></html>`);
  }

  // Token requests are served one at a time, so that a refresh token's "already used" check and
  // its consumption are one atomic step: oidc-provider reads a token, awaits, then marks it
  // consumed, so requests arriving together all passed. Now a second use of a refresh token —
  // also at the same instant — is refused (invalid_grant) and revokes the whole grant, the new
  // refresh token included: what Pleo documents for a rotated-away refresh token.
  let tokenQueue = Promise.resolve();
  const serialized = (req, res) => {
    const turn = tokenQueue.then(
      () =>
        new Promise((done) => {
          res.once("finish", done);
          res.once("close", done);
          app(req, res);
        }),
    );
    tokenQueue = turn;
    return turn;
  };

  handler = async (req, res) => {
    const url = new URL(req.url, issuer);
    // `share` (make demo): a second demo instance started with AUTH_SERVER=<this issuer> reads
    // the client it must use here. A local stand-in's made-up secret, on loopback only.
    if (share && url.pathname === "/demo/client" && req.method === "GET") {
      return res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({
        clientId: client.clientId, clientSecret: client.clientSecret, issuer,
        authorizationEndpoint: `${issuer}/oauth/authorize`, tokenEndpoint: `${issuer}/oauth/token`, introspectionEndpoint: `${issuer}/oauth/token/introspect`,
      }));
    }
    if (url.pathname === "/oauth/token" && req.method === "POST") {
      stats.tokenRequests += 1;
      return serialized(req, res);
    }
    if (url.pathname === "/oauth/authorize") stats.authorizationRequests += 1;
    const m = url.pathname.match(/^\/interaction\/([\w-]+)(?:\/(approve|deny))?$/);
    if (m) {
      const action = m[2];
      if ((action && req.method !== "POST") || (!action && req.method !== "GET")) return res.writeHead(405).end();
      try {
        return await interaction(req, res, m[1], action);
      } catch (err) {
        log(`interaction failed: ${err.message}`);
        return res.writeHead(400, { "content-type": "text/plain" }).end("This sign-in has expired. Go back to the app and start again.");
      }
    }
    return app(req, res);
  };

  /**
   * For tests of the stand-in itself: a refresh token for the demo's customer, as if they had
   * just approved `scope` (no browser needed).
   */
  async function mintRefreshToken(scope = "users:read") {
    const grant = new provider.Grant({ accountId: ACCOUNT.id, clientId: client.clientId });
    grant.addResourceScope(RESOURCE, scope);
    const grantId = await grant.save();
    const c = await provider.Client.find(client.clientId);
    const token = new provider.RefreshToken({ accountId: ACCOUNT.id, client: c, grantId, gty: "authorization_code", scope, resource: RESOURCE });
    return token.save();
  }

  /**
   * For tests of a backend: an authorization code for the demo's customer, as if they had just
   * approved `scope` in a flow started with `codeChallenge` (S256) and `redirectUri`.
   */
  async function mintAuthorizationCode({ codeChallenge, redirectUri, scope = "users:read" }) {
    const grant = new provider.Grant({ accountId: ACCOUNT.id, clientId: client.clientId });
    grant.addResourceScope(RESOURCE, scope);
    const grantId = await grant.save();
    const c = await provider.Client.find(client.clientId);
    const code = new provider.AuthorizationCode({
      accountId: ACCOUNT.id, client: c, grantId, redirectUri, scope, resource: RESOURCE,
      codeChallenge, codeChallengeMethod: "S256", authTime: Math.floor(Date.now() / 1000),
    });
    return code.save();
  }

  return {
    issuer,
    mintRefreshToken,
    mintAuthorizationCode,
    authorizationEndpoint: `${issuer}/oauth/authorize`,
    tokenEndpoint: `${issuer}/oauth/token`,
    introspectionEndpoint: `${issuer}/oauth/token/introspect`,
    stats,
    close: () => new Promise((r) => { server.closeAllConnections?.(); server.close(r); }),
  };
}
