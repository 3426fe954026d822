// The package as partners get it: `npm pack` of pkg/, installed into the fixture project
// (tests/consumers/, with `npm install --no-save <tarball>` — no path alias), then used four ways:
// a Vite production build and a plain <script type="module"> page, both driven in Chromium; a
// Node import as an SSR framework does; and a TypeScript consumer checked with tsc --strict.
//
// Run: node --test tests/consumers/   (after `make pkg`)
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { spawnSync, execFileSync } from "node:child_process";
import http from "node:http";
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { launchChromium } from "../support/chromium.mjs";

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, "../..");
const work = path.join(root, "target", "consumers");
const bin = (name) => path.join(root, "node_modules", ".bin", name);
const run = (cmd, args, cwd = here) => execFileSync(cmd, args, { cwd, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });

/** What the tarball must hold, and nothing else. */
const EXPECTED_FILES = ["CHANGELOG.md", "LICENSE", "README.md", "index.d.ts", "index.js", "messages.js", "package.json", "pleo_oauth_bg.wasm", "pleo_oauth_server.wasm", "popup.js", "react.d.ts", "react.js", "react.server.js", "server.d.ts", "server.js"];

let packed, browser;
const servers = [];

before(async () => {
  fs.rmSync(work, { recursive: true, force: true });
  fs.mkdirSync(work, { recursive: true });
  [packed] = JSON.parse(run("npm", ["pack", path.join(root, "pkg"), "--json", "--pack-destination", work], root));
  run("npm", ["install", "--no-save", "--no-audit", "--no-fund", path.join(work, packed.filename)]);
  browser = await launchChromium();
});

after(async () => {
  await browser?.close();
  for (const s of servers) s.close();
});

/** A static file server for `dir` on loopback; returns its origin. */
async function serveStatic(dir) {
  const types = { ".html": "text/html", ".js": "text/javascript", ".wasm": "application/wasm", ".json": "application/json" };
  const server = http.createServer((req, res) => {
    let file = path.join(dir, decodeURIComponent(new URL(req.url, "http://x").pathname));
    if (!file.startsWith(dir)) return res.writeHead(403).end();
    if (fs.existsSync(file) && fs.statSync(file).isDirectory()) file = path.join(file, "index.html");
    if (!fs.existsSync(file)) return res.writeHead(404).end();
    res.writeHead(200, { "content-type": types[path.extname(file)] ?? "application/octet-stream" }).end(fs.readFileSync(file));
  });
  servers.push(server);
  await new Promise((r) => server.listen(0, "127.0.0.1", r));
  return `http://127.0.0.1:${server.address().port}`;
}

/** Opens `pageUrl`, starts a flow, comes back with a simulated callback; returns both reports. */
async function roundTrip(pageUrl) {
  const context = await browser.newContext();
  const page = await context.newPage();
  const errors = [];
  page.on("pageerror", (e) => errors.push(e.message));
  const read = async () => {
    await page.waitForSelector("#out[data-done]", { state: "attached" });
    return JSON.parse(await page.textContent("#out"));
  };
  await page.goto(pageUrl);
  const start = await read();
  assert.equal(start.error, undefined, `start failed: ${start.message}`);
  const state = new URL(start.url).searchParams.get("state");
  await page.goto(`${pageUrl}?code=simulated-code&state=${state}&iss=ignored`);
  const back = await read();
  await context.close();
  assert.deepEqual(errors, []);
  return { start, back };
}

function assertPleoFlow({ start, back }, pageUrl) {
  const url = new URL(start.url);
  assert.equal(`${url.origin}${url.pathname}`, "https://auth.pleo.io/oauth/authorize");
  assert.equal(url.searchParams.get("redirect_uri"), pageUrl);
  assert.equal(url.searchParams.get("code_challenge_method"), "S256");
  assert.equal(url.searchParams.get("scope"), "users:read export-jobs:read");
  assert.equal(back.error, undefined, `callback failed: ${back.message}`);
  assert.equal(back.phase, "callback");
  assert.equal(back.code, "simulated-code");
  assert.equal(back.verifierLength, 43);
  assert.equal(back.returnTo, "/done");
  assert.equal(back.href, pageUrl, "the address bar lost the OAuth parameters");
}

test("npm pack holds only what a consumer needs", () => {
  assert.deepEqual(packed.files.map((f) => f.path).sort(), EXPECTED_FILES);
  const manifest = JSON.parse(fs.readFileSync(path.join(here, "node_modules", "pleo-oauth", "package.json"), "utf8"));
  assert.equal(manifest.type, "module");
  assert.equal(manifest.sideEffects, false);
  assert.equal(manifest.exports["."].types, "./index.d.ts");
  assert.deepEqual(manifest.exports["./react"], { types: "./react.d.ts", "react-server": "./react.server.js", default: "./react.js" });
  // pleo-oauth/server is Node's only: no default condition a browser bundle could pick up.
  assert.deepEqual(manifest.exports["./server"], { types: "./server.d.ts", node: "./server.js" });
  assert.ok(!Object.keys(manifest.exports).some((k) => k.includes("popup")), "popup.js is loaded by index.js, no public entry");
  assert.ok(!Object.keys(manifest.exports).some((k) => k.includes("messages")), "messages.js is loaded by index.js, no public entry");
  // React for pleo-oauth/react, the databases for pleo-oauth/server's stores: all optional.
  assert.deepEqual(manifest.peerDependenciesMeta, { react: { optional: true }, "better-sqlite3": { optional: true }, pg: { optional: true } });
  assert.doesNotMatch(fs.readFileSync(path.join(here, "node_modules", "pleo-oauth", "index.js"), "utf8"), /from\s*"react"/, "nothing React-specific in the main entry");
  assert.equal(manifest.license, "MIT");
  for (const f of packed.files) console.log(`  ${String(f.size).padStart(7)}  ${f.path}`);
  console.log(`  tarball ${packed.size} bytes, unpacked ${packed.unpackedSize} bytes`);
});

test("Vite: the production build loads the wasm, builds a Pleo URL and completes a callback", async () => {
  const dist = path.join(work, "vite-dist");
  run(path.join(here, "node_modules", ".bin", "vite"), ["build", "vite-app", "--outDir", dist, "--emptyOutDir", "--logLevel", "warn"]);
  const assets = fs.readdirSync(path.join(dist, "assets"));
  assert.ok(assets.some((f) => f.endsWith(".wasm")), `the wasm is emitted as an asset: ${assets}`);
  // Vite followed index.js's import("./popup.js"): the popup code is a chunk of its own, which
  // this page (it only redirects) never loads.
  const js = assets.filter((f) => f.endsWith(".js")).map((f) => [f, fs.readFileSync(path.join(dist, "assets", f), "utf8")]);
  const popupChunks = js.filter(([, text]) => text.includes("BroadcastChannel"));
  assert.equal(popupChunks.length, 1, `one chunk holds the popup code: ${js.map(([f]) => f)}`);
  const html = fs.readFileSync(path.join(dist, "index.html"), "utf8");
  assert.ok(!html.includes(popupChunks[0][0]), "the page does not load (or preload) the popup chunk");
  const origin = await serveStatic(dist);
  assertPleoFlow(await roundTrip(`${origin}/`), `${origin}/`);
});

test("plain <script type=module> with an import map, no bundler", async () => {
  const origin = await serveStatic(here);
  const pageUrl = `${origin}/plain-esm/`;
  assertPleoFlow(await roundTrip(pageUrl), pageUrl);
});

test("Node (SSR) import touches no browser global; create() rejects with a PleoOAuthError", () => {
  const out = run(process.execPath, [path.join(here, "node-ssr", "check.mjs")]);
  assert.match(out, /node-ssr: ok/);
  // A React Server Component that imports the hooks (the "react-server" condition, as Next.js
  // resolves it) fails at once, naming the fix.
  const rsc = spawnSync(process.execPath, ["--conditions=react-server", "--input-type=module", "-e", 'import "pleo-oauth/react";'], { cwd: here, encoding: "utf8" });
  assert.notEqual(rsc.status, 0);
  assert.match(rsc.stderr, /Add 'use client' at the top of the file that uses them/);
});

test("TypeScript: every public name and option type-checks under --strict; wrong names and codes do not", () => {
  for (const config of ["tsconfig.json", "tsconfig.nodenext.json"]) {
    try {
      run(bin("tsc"), ["-p", path.join(here, "typescript", config)]);
    } catch (e) {
      assert.fail(`tsc -p typescript/${config} failed:\n${e.stdout}${e.stderr}`);
    }
  }
});

// ------------------------------------------------------------------------------------ React

/**
 * The React fixture (react-app/, pleo-oauth/react under <StrictMode>), built by `vite build`
 * and served with a partner backend whose /api/pleo/exchange makes the real token request to
 * the oidc-provider stand-in of www/ (Pleo's configuration). Returns what the test drives.
 */
async function reactApp() {
  const { startAuthServer } = await import("../../www/authserver.mjs");
  const dist = path.join(work, "react-dist");
  run(path.join(here, "node_modules", ".bin", "vite"), ["build", "react-app", "--outDir", dist, "--emptyOutDir", "--logLevel", "warn"]);
  const exchanges = [];
  let origin;
  const client = { clientId: "react-fixture", clientSecret: "react-fixture-secret", redirectUris: [] };
  const app = http.createServer(async (req, res) => {
    const url = new URL(req.url, origin);
    if (url.pathname === "/config.json") {
      return res.writeHead(200, { "content-type": "application/json" }).end(
        JSON.stringify({ clientId: client.clientId, environment: { authorizationEndpoint: `${auth.issuer}/oauth/authorize`, issuer: auth.issuer } }),
      );
    }
    if (url.pathname === "/api/pleo/exchange" && req.method === "POST") {
      let raw = "";
      for await (const chunk of req) raw += chunk;
      const body = JSON.parse(raw);
      exchanges.push(body);
      // The partner backend's token request (client secret stays here).
      const token = await fetch(`${auth.issuer}/oauth/token`, {
        method: "POST",
        headers: { authorization: "Basic " + Buffer.from(`${client.clientId}:${client.clientSecret}`).toString("base64"), "content-type": "application/x-www-form-urlencoded" },
        body: new URLSearchParams({ grant_type: "authorization_code", code: body.code, code_verifier: body.code_verifier, redirect_uri: body.redirect_uri }),
      });
      const tokens = await token.json();
      if (!token.ok) return res.writeHead(502, { "content-type": "application/json" }).end(JSON.stringify({ error: tokens.error }));
      return res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ connected: true, scope: tokens.scope }));
    }
    // The single-page app: its files, else index.html for every route.
    let file = path.join(dist, decodeURIComponent(url.pathname));
    if (!file.startsWith(dist) || !fs.existsSync(file) || fs.statSync(file).isDirectory()) file = path.join(dist, "index.html");
    const types = { ".html": "text/html", ".js": "text/javascript", ".wasm": "application/wasm" };
    res.writeHead(200, { "content-type": types[path.extname(file)] ?? "application/octet-stream" }).end(fs.readFileSync(file));
  });
  servers.push(app);
  await new Promise((r) => app.listen(0, "127.0.0.1", r));
  origin = `http://127.0.0.1:${app.address().port}`;
  client.redirectUris.push(`${origin}/pleo/callback`);
  const auth = await startAuthServer({ client });
  return { origin, auth, exchanges, dist };
}

test("React: pleo-oauth/react under <StrictMode>, production build — one handoff; reload and Back+Approve land on returnTo with no second handoff; a denial shows the error with a way back; connect({ popup: true }) completes in this page", async (t) => {
  const { origin, auth, exchanges, dist } = await reactApp();
  t.after(() => auth.close());
  const js = fs.readdirSync(path.join(dist, "assets")).filter((f) => f.endsWith(".js"));
  assert.ok(js.length >= 1 && fs.readdirSync(path.join(dist, "assets")).some((f) => f.endsWith(".wasm")));

  const context = await browser.newContext();
  t.after(() => context.close());
  const page = await context.newPage();
  const errors = [];
  page.on("pageerror", (e) => errors.push(e.message));
  const authorizeUrls = [];
  page.on("request", (r) => r.url().startsWith(`${auth.issuer}/oauth/authorize?`) && authorizeUrls.push(r.url()));

  // Connect → Approve → the callback route shows success after exactly one handoff.
  await page.goto(`${origin}/settings`);
  await page.waitForSelector("#connect:not([disabled])");
  await Promise.all([page.waitForURL(`${auth.issuer}/interaction/**`), page.click("#connect")]);
  await Promise.all([page.waitForURL(`${origin}/pleo/callback**`), page.click("#approve")]);
  await page.waitForSelector("#connected");
  assert.match(await page.textContent("#connected"), /Connected to Pleo \(users:read\)/);
  assert.equal(exchanges.length, 1, "StrictMode ran the effect twice; the code was handed off once");
  assert.equal(page.url(), `${origin}/pleo/callback`, "the code and state are gone from the address bar");
  assert.equal(await page.getAttribute("#continue", "href"), "/settings?tab=integrations");

  // Reload of the callback page: the app lands on returnTo, nothing handed off again.
  await Promise.all([page.waitForURL(`${origin}/settings?tab=integrations`), page.reload()]);
  assert.equal(exchanges.length, 1);

  // Back to Pleo's page and Approve again (the same authorisation request, hence the same
  // state; a new code): already_handled, so the app lands on returnTo, no second handoff.
  assert.equal(authorizeUrls.length, 1);
  await Promise.all([page.waitForURL(`${auth.issuer}/interaction/**`), page.goto(authorizeUrls[0])]);
  await Promise.all([page.waitForURL(`${origin}/settings?tab=integrations`), page.click("#approve")]);
  assert.equal(exchanges.length, 1, "the second code was never handed off");

  // Deny: the error is shown with a way back to where the user started.
  await page.goto(`${origin}/settings`);
  await page.waitForSelector("#connect:not([disabled])");
  await Promise.all([page.waitForURL(`${auth.issuer}/interaction/**`), page.click("#connect")]);
  await Promise.all([page.waitForURL(`${origin}/pleo/callback?**`), page.click("#deny")]);
  await page.waitForSelector("#error");
  assert.equal(await page.getAttribute("#error", "data-code"), "authorization_error");
  assert.match(await page.textContent("#error"), /access_denied/);
  await Promise.all([page.waitForURL(`${origin}/settings?tab=integrations`), page.click("#back")]);
  assert.equal(exchanges.length, 1);

  // connect({ popup: true }): Pleo in a popup, the result in this page, one more handoff.
  await page.waitForSelector("#connect-popup:not([disabled])");
  const [popup] = await Promise.all([context.waitForEvent("page"), page.click("#connect-popup")]);
  await popup.waitForURL(`${auth.issuer}/interaction/**`);
  await Promise.all([popup.waitForEvent("close"), popup.click("#approve")]);
  await page.waitForSelector("#connected");
  assert.match(await page.textContent("#connected"), /Connected to Pleo \(users:read\)/);
  assert.equal(exchanges.length, 2, "the popup's code was handed off once, by this page");
  assert.equal(new URL(page.url()).pathname, "/settings", "this page stayed");
  assert.deepEqual(errors, []);
});

test("React: a popup closed at once (a mis-click) does not block connect({ popup: true }): the buttons stay usable, the second popup connects at once with one handoff, and the replaced one shows no error", async (t) => {
  const { origin, auth, exchanges } = await reactApp();
  t.after(() => auth.close());
  const context = await browser.newContext();
  t.after(() => context.close());
  const page = await context.newPage();
  const errors = [];
  page.on("pageerror", (e) => errors.push(e.message));

  await page.goto(`${origin}/settings`);
  await page.waitForSelector("#connect-popup:not([disabled])");
  const [first] = await Promise.all([context.waitForEvent("page"), page.click("#connect-popup")]);
  await first.waitForURL(`${auth.issuer}/interaction/**`);
  // While the popup is awaited the hook says so, and `pending` disables nothing.
  await page.waitForSelector("#awaiting-popup");
  assert.equal(await page.isEnabled("#connect"), true);
  // Closed at once: the opener cannot tell this from a COOP severance, so it keeps waiting —
  // but the user can try again at once.
  await first.close();
  const [second] = await Promise.all([context.waitForEvent("page"), page.click("#connect-popup", { timeout: 3000 })]);
  await second.waitForURL(`${auth.issuer}/interaction/**`);
  await Promise.all([second.waitForEvent("close"), second.click("#approve")]);
  await page.waitForSelector("#connected");
  assert.match(await page.textContent("#connected"), /Connected to Pleo \(users:read\)/);
  assert.equal(exchanges.length, 1, "one handoff, by the second popup");
  assert.equal(await page.$("#error"), null, "the replaced popup's popup_closed is not shown");
  assert.equal(await page.$("#awaiting-popup"), null);
  assert.deepEqual(errors, []);
});
