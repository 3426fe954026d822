// End-to-end: the demo (www/) in Debian's Chromium, driven by playwright-core, through a real
// OAuth authorization server (oidc-provider configured like Pleo, www/authserver.mjs) and the
// example partner backend. Each scenario runs in a fresh browser context (its own cookies and
// storage), as a new visitor would.
//
// Run: node --test tests/e2e/   (after `make pkg`; `make test` does both)
// Screenshots: test-output/e2e/*.png
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { launchChromium } from "../support/chromium.mjs";
import { startDemo } from "../../www/server.mjs";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const shots = path.join(root, "test-output", "e2e");
let demo, browser;

before(async () => {
  fs.mkdirSync(shots, { recursive: true });
  // Port 0: any free ports, so the suite never collides with a running `make demo`.
  demo = await startDemo({ host: "localhost", port: 0, authPort: 0, env: {}, log: () => {}, recordTokens: true });
  browser = await launchChromium();
});

after(async () => {
  await browser?.close();
  await demo?.close();
});

async function visitor() {
  const context = await browser.newContext({ viewport: { width: 900, height: 820 } });
  const page = await context.newPage();
  const errors = [];
  page.on("pageerror", (e) => errors.push(e));
  return { context, page, errors };
}

async function openApp(page, d = demo) {
  await page.goto(`${d.url}/`);
  await page.waitForSelector("body[data-ready]");
}

/** Clicks Connect and lands on the stand-in's consent screen. */
async function toConsent(page, d = demo) {
  await openApp(page, d);
  await Promise.all([page.waitForURL(`${d.auth.issuer}/interaction/**`), page.click("#connect")]);
  await page.waitForSelector("#approve");
}

/** Approves on the consent screen and returns the callback URL the browser landed on. */
async function approve(page) {
  let callbackUrl;
  page.on("framenavigated", (f) => { if (f === page.mainFrame() && f.url().includes("/pleo/callback?")) callbackUrl ??= f.url(); });
  await page.click("#approve");
  await page.waitForSelector("#badge[data-state=connected], #badge[data-state=error]");
  return callbackUrl;
}

const messageCode = (page) => page.getAttribute("#message", "data-code");

test("connect → approve → connected; the protected call works; no code in the address bar; no token readable by the page", async () => {
  const { context, page, errors } = await visitor();
  const tokensBefore = demo.auth.stats.tokenRequests;
  await toConsent(page);
  const scopes = await page.locator("#scopes li").allTextContents();
  assert.deepEqual(scopes, ["users:read", "export-jobs:read", "companies:read"]);
  await page.screenshot({ path: path.join(shots, "consent.png") });
  const callbackUrl = await approve(page);
  assert.match(callbackUrl, /[?&]code=.+&state=.+&iss=/, "the stand-in sent code, state and iss");

  assert.equal(await page.textContent("#badge"), "Connected");
  assert.equal(await page.textContent("#company"), "Acme ApS");
  assert.equal(await page.getAttribute("#checked", "data-active"), "true", "introspection with the access token succeeded");
  assert.deepEqual(await page.locator("#details #scopes li").allTextContents(), ["users:read", "export-jobs:read", "companies:read"]);
  assert.equal(new URL(page.url()).pathname, "/");
  assert.ok(!page.url().includes("code="), `address bar: ${page.url()}`);
  assert.equal(demo.auth.stats.tokenRequests, tokensBefore + 1);

  // The tokens exist — on the server only, and sealed there (not in the database file in plaintext).
  const issued = demo.issued.at(-1);
  const mine = { accessToken: issued.access_token, refreshToken: issued.refresh_token };
  assert.ok(mine.accessToken && mine.refreshToken);
  const db = Buffer.concat([demo.dbFile, demo.dbFile + "-wal"].filter((f) => fs.existsSync(f)).map((f) => fs.readFileSync(f)));
  for (const secret of [mine.accessToken, mine.refreshToken]) assert.ok(!db.includes(secret), "a token in the database file");
  const visible = await page.evaluate(() => ({
    storage: JSON.stringify({ ...localStorage }) + JSON.stringify({ ...sessionStorage }),
    records: Object.entries(sessionStorage),
    cookies: document.cookie,
    dom: document.documentElement.outerHTML,
  }));
  for (const secret of [mine.accessToken, mine.refreshToken]) {
    for (const [where, text] of Object.entries(visible)) assert.ok(!text.includes(secret), `a token is readable in ${where}`);
  }
  assert.equal(visible.cookies, "", "the session cookie is HttpOnly");
  const cookie = (await context.cookies()).find((c) => c.name === "ledgerly_session");
  assert.equal(cookie.httpOnly, true);
  assert.equal(cookie.sameSite, "Lax");
  // The transaction was consumed: all that is left is the completed-connection record under its
  // state (for already_handled on Back) and the same under the address the callback left (for a
  // reload), which hold no secret.
  assert.equal(visible.records.length, 2, JSON.stringify(visible.records));
  const byState = visible.records.filter(([k]) => /^pleo-oauth:tx:[A-Za-z0-9_-]{43}$/.test(k));
  const byAddress = visible.records.filter(([k]) => k === `pleo-oauth:tx:@${new URL(callbackUrl).origin}/pleo/callback`);
  assert.equal(byState.length, 1, JSON.stringify(visible.records));
  assert.equal(byAddress.length, 1, JSON.stringify(visible.records));
  const sent = new URL(callbackUrl).searchParams.get("code");
  for (const [, record] of visible.records) {
    assert.match(record, /^v=done&exp=\d+&return_to=%2F$/);
    assert.ok(!record.includes(sent) && !record.includes("verifier"), record);
  }

  await page.screenshot({ path: path.join(shots, "connected.png"), fullPage: true });
  assert.deepEqual(errors, []);
  await context.close();
});

test("deny → the page explains access_denied and offers to try again", async () => {
  const { context, page } = await visitor();
  const exchangesBefore = demo.stats.exchanges;
  await toConsent(page);
  await page.click("#deny");
  await page.waitForSelector("#badge[data-state=error]");
  assert.equal(await messageCode(page), "authorization_error");
  assert.match(await page.textContent("#message"), /You declined the connection/);
  assert.ok(await page.isVisible("#retry"));
  assert.equal(await page.isVisible("#details"), false, "no connection details on a denial");
  assert.equal(demo.stats.exchanges, exchangesBefore, "nothing reached the backend");
  await page.screenshot({ path: path.join(shots, "denied.png"), fullPage: true });
  await context.close();
});

test("the callback URL loaded again (Back) → already completed, still connected, and no second request to the token endpoint; in another browser → unknown_state", async () => {
  const { context, page } = await visitor();
  await toConsent(page);
  const callbackUrl = await approve(page);
  const tokens = demo.auth.stats.tokenRequests;
  const exchanges = demo.stats.exchanges;
  await page.goto(callbackUrl);
  await page.waitForSelector("#badge[data-state=connected]");
  assert.match(await page.textContent("#message"), /already completed/);
  assert.equal(new URL(page.url()).pathname, "/", "back where the connection started");
  await page.reload();
  await page.waitForSelector("#badge[data-state=connected]");
  assert.equal(demo.auth.stats.tokenRequests, tokens);
  assert.equal(demo.stats.exchanges, exchanges);
  await context.close();

  const other = await visitor();
  await other.page.goto(callbackUrl);
  await other.page.waitForSelector("#badge[data-state=error]");
  assert.equal(await messageCode(other.page), "unknown_state");
  assert.equal(demo.auth.stats.tokenRequests, tokens);
  await other.context.close();
});

test("a forged callback → unknown_state, and no request reaches the backend", async () => {
  const { context, page } = await visitor();
  const exchanges = demo.stats.exchanges;
  let handoffs = 0;
  page.on("request", (r) => { if (r.url().endsWith("/api/pleo/exchange")) handoffs += 1; });
  await openApp(page);
  await page.click("#connect"); // a real pending transaction exists in this tab …
  await page.waitForURL(`${demo.auth.issuer}/interaction/**`);
  // … but the attacker's link carries another state.
  await page.goto(`${demo.url}/pleo/callback?code=attacker-code&state=forged-state-value`);
  await page.waitForSelector("#badge[data-state=error]");
  assert.equal(await messageCode(page), "unknown_state");
  assert.equal(handoffs, 0);
  assert.equal(demo.stats.exchanges, exchanges);
  await context.close();
});

test("the backend down → handoff_failed shown", async () => {
  const { context, page } = await visitor();
  await page.route("**/api/pleo/exchange", (route) => route.abort("connectionrefused"));
  await toConsent(page);
  await approve(page);
  assert.equal(await messageCode(page), "handoff_failed");
  assert.match(await page.textContent("#message"), /could not be reached/);
  await context.close();
});

test("an expired access token is refreshed with rotation; disconnect forgets the tokens", async () => {
  // A demo whose stand-in issues 2-second access tokens.
  const short = await startDemo({ host: "localhost", port: 0, authPort: 0, env: {}, log: () => {}, accessTokenTtl: 2, recordTokens: true });
  const { context, page } = await visitor();
  try {
    await toConsent(page, short);
    await approve(page);
    const first = short.issued.at(-1);
    const oldRefresh = first.refresh_token;
    const oldAccess = first.access_token;
    await new Promise((r) => setTimeout(r, 2200)); // the access token has expired

    const refreshes = short.stats.refreshes;
    await page.click("#check");
    await page.waitForFunction(() => document.querySelector("#steps").textContent.includes("refreshed"));
    assert.equal(await page.getAttribute("#checked", "data-active"), "true");
    assert.equal(short.stats.refreshes, refreshes + 1, "one refresh");
    const now = short.issued.at(-1);
    assert.notEqual(now.refresh_token, oldRefresh, "a new refresh token");
    assert.notEqual(now.access_token, oldAccess, "a new access token");
    // The old refresh token is dead at the authorization server.
    const reuse = await fetch(short.pleo.tokenEndpoint, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded", authorization: short.clientAuthorization },
      body: new URLSearchParams({ grant_type: "refresh_token", refresh_token: oldRefresh }),
    });
    assert.equal(reuse.status, 400);
    assert.equal((await reuse.json()).error, "invalid_grant");

    await page.click("#disconnect");
    await page.waitForSelector("#badge[data-state=idle]");
    assert.ok(await page.isVisible("#connect"));
    await page.reload();
    await page.waitForSelector("body[data-ready]");
    assert.equal(await page.textContent("#badge"), "Not connected");
  } finally {
    await context.close();
    await short.close();
  }
});

test("the exchange endpoint refuses requests without the pleo-oauth header or JSON", async () => {
  const noHeader = await fetch(`${demo.url}/api/pleo/exchange`, {
    method: "POST", headers: { "content-type": "application/json" }, body: "{}",
  });
  assert.equal(noHeader.status, 403);
  const form = await fetch(`${demo.url}/api/pleo/exchange`, {
    method: "POST", headers: { "content-type": "application/x-www-form-urlencoded", "x-requested-with": "pleo-oauth" }, body: "code=x",
  });
  assert.equal(form.status, 403);
});

/**
 * The attacker's side of a code injection: they connect in their own browser and keep the code,
 * verifier and state that their page was about to hand to the backend.
 */
async function attackerLoot(d) {
  const context = await browser.newContext();
  try {
    const page = await context.newPage();
    let loot;
    await context.route("**/api/pleo/exchange", (route) => {
      const { code, code_verifier, state } = JSON.parse(route.request().postData());
      loot = { code, code_verifier, state };
      return route.abort();
    });
    await page.goto(`${d.url}/`);
    await page.waitForSelector("body[data-ready]");
    await Promise.all([page.waitForURL(`${d.auth.issuer}/interaction/**`), page.click("#connect")]);
    await page.waitForSelector("#approve");
    await page.click("#approve");
    await assertEventually(() => loot !== undefined);
    return loot;
  } finally {
    await context.close();
  }
}

async function assertEventually(f, ms = 10_000) {
  const end = Date.now() + ms;
  while (!f()) {
    if (Date.now() > end) throw new Error("timed out waiting");
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** The victim's browser is made to hand the attacker's code and verifier to the backend. */
async function inject(d, loot) {
  const { context, page } = await visitor();
  try {
    await page.goto(`${d.url}/`);
    await page.waitForSelector("body[data-ready]");
    const status = await page.evaluate(async ([loot, redirectUri]) => {
      const r = await fetch("/api/pleo/exchange", {
        method: "POST",
        headers: { "content-type": "application/json", "x-requested-with": "pleo-oauth" },
        body: JSON.stringify({ ...loot, redirect_uri: redirectUri }),
      });
      return r.status;
    }, [loot, d.redirectUri]);
    const connected = await page.evaluate(async () => (await (await fetch("/api/pleo/status")).json()).connected);
    return { status, connected };
  } finally {
    await context.close();
  }
}

test("RFC 9700 §4.5 code injection: without the bound handoff an attacker's own code and verifier connect a victim's session; with handoff.startUrl the backend refuses them", async () => {
  const unbound = await startDemo({ host: "localhost", port: 0, authPort: 0, env: {}, log: () => {}, bindHandoff: false });
  try {
    const loot = await attackerLoot(unbound);
    assert.equal(loot.code_verifier.length, 43);
    const attack = await inject(unbound, loot);
    assert.deepEqual(attack, { status: 200, connected: true }, "the attack works against a backend that trusts the browser");
  } finally {
    await unbound.close();
  }

  const loot = await attackerLoot(demo);
  const exchanges = demo.stats.exchanges;
  const tokenRequests = demo.auth.stats.tokenRequests;
  const attack = await inject(demo, loot);
  assert.deepEqual(attack, { status: 403, connected: false }, "the bound backend refuses a verifier this browser did not start");
  assert.equal(demo.stats.exchanges, exchanges, "nothing reached the token endpoint");
  assert.equal(demo.auth.stats.tokenRequests, tokenRequests);
});

test("RFC 9700 §4.5 with handoff.startUrl: a verifier swapped in the victim's own storage (no MAC can catch it in the browser) is refused by the backend's challenge check", async () => {
  const { context, page } = await visitor();
  try {
    // Before the callback page's scripts run, rewrite the stored verifier (a well-formed one).
    await context.addInitScript(() => {
      if (location.pathname !== "/pleo/callback") return;
      for (const key of Object.keys(sessionStorage)) {
        if (!key.startsWith("pleo-oauth:tx:")) continue;
        const record = new URLSearchParams(sessionStorage.getItem(key));
        record.set("verifier", "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk");
        sessionStorage.setItem(key, record.toString());
      }
    });
    const exchanges = demo.stats.exchanges;
    await toConsent(page);
    await approve(page);
    assert.equal(await messageCode(page), "handoff_failed", "the backend refused the exchange");
    assert.equal(demo.stats.exchanges, exchanges, "nothing reached the token endpoint");
  } finally {
    await context.close();
  }
});

test("the bound handoff's start endpoint refuses requests without the pleo-oauth header or a challenge", async () => {
  const noHeader = await fetch(`${demo.url}/api/pleo/start`, {
    method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ state: "s", code_challenge: "c".repeat(43) }),
  });
  assert.equal(noHeader.status, 403);
  const noChallenge = await fetch(`${demo.url}/api/pleo/start`, {
    method: "POST", headers: { "content-type": "application/json", "x-requested-with": "pleo-oauth" }, body: JSON.stringify({ state: "s" }),
  });
  assert.equal(noChallenge.status, 400);
});

test("RFC 9700 §4.2.4: the callback page is served with Referrer-Policy: no-referrer and a CSP allowing wasm, base-uri 'none', and loads nothing from another origin", async () => {
  const r = await fetch(`${demo.url}/pleo/callback`);
  assert.equal(r.headers.get("referrer-policy"), "no-referrer");
  const csp = r.headers.get("content-security-policy");
  assert.match(csp, /script-src 'self' 'wasm-unsafe-eval'/);
  assert.match(csp, /default-src 'self'/);
  assert.match(csp, /base-uri 'none'/);
  assert.doesNotMatch(csp, /unsafe-inline|'unsafe-eval'/);
  // Everything the callback page loads (with a callback in its URL) comes from its own origin.
  const { context, page } = await visitor();
  try {
    const requested = [];
    page.on("request", (req) => requested.push(req.url()));
    await page.goto(`${demo.url}/pleo/callback?code=x&state=y`);
    await page.waitForSelector("#badge[data-state=error]");
    const foreign = requested.filter((u) => !u.startsWith(`${demo.url}/`) && !u.startsWith("data:"));
    assert.deepEqual(foreign, [], "no third-party resource");
  } finally {
    await context.close();
  }
});

test("with PLEO_CLIENT_ID/SECRET/ENV the same demo points at Pleo's real endpoints and starts no stand-in", async () => {
  for (const [name, host] of [["staging", "auth.staging.pleo.io"], ["production", "auth.pleo.io"]]) {
    const real = await startDemo({ port: 0, env: { PLEO_CLIENT_ID: "real-client", PLEO_CLIENT_SECRET: "s3cret", PLEO_ENV: name }, log: () => {} });
    try {
      assert.equal(real.auth, undefined, "no local stand-in");
      assert.equal(real.pleo.tokenEndpoint, `https://${host}/oauth/token`);
      assert.equal(real.pleo.introspectionEndpoint, `https://${host}/oauth/token/introspect`);
      const config = await (await fetch(`${real.url}/api/pleo/config`)).json();
      assert.deepEqual(config.environment, name, "the library's preset, not a custom endpoint");
      assert.equal(config.clientId, "real-client");
      assert.ok(!JSON.stringify(config).includes("s3cret"), "the secret never reaches the page");
      const page = await fetch(`${real.url}/`);
      assert.match(page.headers.get("content-security-policy"), new RegExp(`form-action 'self' https://${host.replace(/\./g, "\\.")}`));
    } finally {
      await real.close();
    }
  }
  await assert.rejects(startDemo({ port: 0, env: { PLEO_CLIENT_ID: "c", PLEO_CLIENT_SECRET: "s", PLEO_ENV: "prod" }, log: () => {} }), /PLEO_ENV/);
});

test("refresh single flight in the demo backend: ten concurrent status calls after the access token expired → one refresh request; two instances sharing PostgreSQL (AUTH_SERVER, DATABASE_URL) → 2 × 50 concurrent calls, still one refresh, and the connection survives", async () => {
  const { startPostgres } = await import("../support/postgres.mjs");
  const pg = await startPostgres();
  const logs = [];
  const log = (line) => logs.push(line);
  const a = await startDemo({ host: "localhost", port: 0, authPort: 0, env: { DATABASE_URL: pg.url, PLEO_TOKEN_KEYS: "k1:" + Buffer.alloc(32, 7).toString("base64") }, log, accessTokenTtl: 2, recordTokens: true });
  const b = await startDemo({ host: "localhost", port: 0, env: { DATABASE_URL: pg.url, PLEO_TOKEN_KEYS: "k1:" + Buffer.alloc(32, 7).toString("base64"), AUTH_SERVER: a.auth.issuer }, log });
  const { context, page } = await visitor();
  try {
    await toConsent(page, a);
    await approve(page);
    const cookie = (await context.cookies(a.url)).filter((c) => c.name === "ledgerly_session").map((c) => `${c.name}=${c.value}`).join("; ");
    assert.ok(cookie, "a session cookie");
    const status = (d) => fetch(`${d.url}/api/pleo/status`, { headers: { cookie } }).then((r) => r.json());
    for (const round of ["one instance", "two instances"]) {
      await new Promise((r) => setTimeout(r, 2200)); // expired
      const before = a.auth.stats.refreshRequests;
      const calls = round === "one instance" ? Array.from({ length: 10 }, () => status(a)) : [...Array.from({ length: 50 }, () => status(a)), ...Array.from({ length: 50 }, () => status(b))];
      const answers = await Promise.all(calls);
      assert.equal(a.auth.stats.refreshRequests - before, 1, `${round}: one refresh request`);
      assert.ok(answers.every((x) => x.connected && x.active), `${round}: every call connected with a working token`);
    }
    // No token in any log line of either instance (or of the stand-in, which logs through `log`).
    const secrets = a.issued.flatMap((t) => [t.access_token, t.refresh_token]).filter(Boolean);
    assert.ok(secrets.length >= 3);
    for (const line of logs) for (const secret of secrets) assert.ok(!String(line).includes(secret), `a token in the log: ${line.slice(0, 40)}…`);
  } finally {
    await context.close();
    await b.close();
    await a.close();
    await pg.stop();
  }
});
