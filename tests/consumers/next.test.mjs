// The package README's Next.js App Router recipe, as a partner builds it (issue 18): the packed
// tarball (npm pack of pkg/) installed into tests/consumers, the app of tests/consumers/next-app/
// (strict TypeScript, 'use client' pages with pleo-oauth/react, the exchange as route handlers on
// pleo-oauth/server, Referrer-Policy from next.config's headers(), pleo-oauth not in
// serverExternalPackages) built with Turbopack (Next 16's default) and with `next build
// --webpack`, each served by `next start` and driven in Chromium through the oidc-provider
// stand-in of www/: connect → Approve → one handoff; a reload of the callback page; Deny. A route
// handler and a Server Component also run the main entry's low-level helpers on the server, and
// a page rendered on the server imports a client component that calls PleoOAuth.preload() at
// module level: server bundles once broke both (the module's address became
// /_next/static/media/…, which Node cannot fetch), and the build's prerender logged the
// preload's unhandled rejection.
//
// Run: node --test tests/consumers/next.test.mjs   (after `make pkg`; next and the rest of
// tests/consumers/package.json installed in tests/consumers/node_modules)
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { execFile, execFileSync, spawn } from "node:child_process";
import crypto from "node:crypto";
import fs from "node:fs";
import net from "node:net";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { launchChromium } from "../support/chromium.mjs";

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, "../..");
const app = path.join(here, "next-app");
const work = path.join(root, "target", "consumers-next");
const pkgDir = process.env.PLEO_PKG_DIR ? path.resolve(process.env.PLEO_PKG_DIR) : path.join(root, "pkg");
const next = path.join(here, "node_modules", "next", "dist", "bin", "next");
const BUILD_TIMEOUT_MS = 300_000;

let browser;
const children = new Set();

before(async () => {
  fs.rmSync(work, { recursive: true, force: true });
  fs.mkdirSync(work, { recursive: true });
  const [packed] = JSON.parse(execFileSync("npm", ["pack", pkgDir, "--json", "--pack-destination", work], { cwd: root, encoding: "utf8" }));
  execFileSync("npm", ["install", "--no-save", "--no-audit", "--no-fund", path.join(work, packed.filename)], { cwd: here, stdio: "ignore" });
  browser = await launchChromium();
});

after(async () => {
  await browser?.close();
  for (const child of children) stop(child);
});

/** Ends a `next start` this file spawned (its own process group: Next may fork a worker). */
function stop(child) {
  children.delete(child);
  try {
    process.kill(-child.pid, "SIGTERM");
  } catch {
    // already gone
  }
}

/** A port free on loopback now (next start takes a fixed one). */
function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer().once("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

/** The environment of every Next command: no telemetry, nothing but the npm registry on the network. */
function nextEnv(extra) {
  return { ...process.env, NEXT_TELEMETRY_DISABLED: "1", NODE_ENV: "production", ...extra };
}

/** Runs `next build` (with `--webpack` when asked); resolves with its output, rejects with it. */
function build(bundler, env) {
  const args = [next, "build", ...(bundler === "webpack" ? ["--webpack"] : [])];
  return new Promise((resolve, reject) => {
    execFile(process.execPath, args, { cwd: app, env, encoding: "utf8", timeout: BUILD_TIMEOUT_MS, maxBuffer: 16 << 20 }, (error, stdout, stderr) => {
      const output = `${stdout}${stderr}`;
      if (error) reject(new Error(`next build (${bundler}) failed:\n${output}`));
      else resolve(output);
    });
  });
}

/** Starts `next start` on `port`; resolves once it answers, with a function returning its output so far. */
async function start(port, env) {
  const child = spawn(process.execPath, [next, "start", "-p", String(port), "-H", "127.0.0.1"], { cwd: app, env, detached: true, stdio: ["ignore", "pipe", "pipe"] });
  children.add(child);
  let output = "";
  child.stdout.on("data", (d) => (output += d));
  child.stderr.on("data", (d) => (output += d));
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`next start exited (${child.exitCode}):\n${output}`);
    try {
      if ((await fetch(`http://127.0.0.1:${port}/settings`)).ok) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error(`next start did not answer within 60 s:\n${output}`);
    await new Promise((r) => setTimeout(r, 200));
  }
  return { child, output: () => output };
}

/** Lines of Next's output that report a failure of pleo-oauth or a promise nobody handled. */
const failures = (output) => output.split("\n").filter((l) => /unhandled|pleo-oauth|PleoOAuthError|PleoServerError|⨯/i.test(l));

for (const bundler of ["turbopack", "webpack"]) {
  test(`Next.js 16 App Router (${bundler}): next build and next start; the helpers in a route handler and a Server Component and a server render's preload() load the module; connect → Approve → one handoff through the route handler; reload is already_handled; Deny shows the error with the address bar cleaned`, { timeout: BUILD_TIMEOUT_MS + 120_000 }, async (t) => {
    const { startAuthServer } = await import("../../www/authserver.mjs");
    const port = await freePort();
    const origin = `http://127.0.0.1:${port}`;
    const client = { clientId: "next-fixture", clientSecret: crypto.randomBytes(24).toString("base64url"), redirectUris: [`${origin}/pleo/callback`] };
    const auth = await startAuthServer({ client });
    t.after(() => auth.close());
    const distDir = `.next-${bundler}`;

    // The build sees only what the browser may know (NEXT_PUBLIC_*): no client secret, no keys.
    const started = Date.now();
    const built = await build(
      bundler,
      nextEnv({
        NEXT_DIST_DIR: distDir,
        NEXT_PUBLIC_PLEO_ISSUER: auth.issuer,
        NEXT_PUBLIC_PLEO_CLIENT_ID: client.clientId,
        NEXT_PUBLIC_PLEO_REDIRECT_URI: `${origin}/pleo/callback`,
      }),
    );
    console.log(`  next build (${bundler}): ${((Date.now() - started) / 1000).toFixed(1)} s`);
    assert.match(built, bundler === "webpack" ? /Next\.js 16\.5\.0 \(webpack\)/ : /Next\.js 16\.5\.0 \(Turbopack\)/);
    assert.deepEqual(failures(built), [], `the build reported:\n${built}`);
    const staticMedia = fs.readdirSync(path.join(app, distDir, "static", "media"));
    assert.ok(staticMedia.some((f) => /^pleo_oauth_bg\..+\.wasm$/.test(f)), `the browser's wasm is emitted: ${staticMedia}`);

    const server = await start(
      port,
      nextEnv({
        NEXT_DIST_DIR: distDir,
        PLEO_CLIENT_ID: client.clientId,
        PLEO_CLIENT_SECRET: client.clientSecret,
        PLEO_REDIRECT_URI: `${origin}/pleo/callback`,
        PLEO_TOKEN_ENDPOINT: `${auth.issuer}/oauth/token`,
        PLEO_TOKEN_KEYS: `k1:${crypto.randomBytes(32).toString("base64")}`,
        PLEO_DB: path.join(work, `${bundler}.db`),
      }),
    );
    t.after(() => stop(server.child));

    // The main entry's helpers in a route handler on the server (issue 18: under webpack they
    // rejected with "could not download /_next/static/media/…").
    const helpers = await (await fetch(`${origin}/api/helpers`)).json();
    assert.equal(helpers.error, undefined, `the helpers failed on the server: ${JSON.stringify(helpers.error)}`);
    assert.match(helpers.pkce.verifier, /^[A-Za-z0-9_-]{43}$/);
    assert.equal(helpers.pkce.method, "S256");
    assert.equal(helpers.challenge, helpers.pkce.challenge);
    assert.equal(helpers.challenge, crypto.createHash("sha256").update(helpers.pkce.verifier).digest("base64url"));
    assert.match(helpers.state, /^[A-Za-z0-9_-]{43}$/);
    assert.deepEqual(helpers.callback, { code: "c1", state: "s1" });

    // A client component that calls PleoOAuth.preload() at module level, rendered on the server
    // at this request (issue 18: an unhandled rejection, as the module's address was
    // /_next/static/media/… there): the module loads on the server too.
    const ssr = await (await fetch(`${origin}/ssr`)).text();
    assert.match(ssr, /<p id="preload">loaded<\/p>/, `the server render's preload: ${ssr.match(/<p id="preload">[^<]*/)?.[0]}`);

    // A Server Component rendered at this request that calls createPkce().
    const rsc = await (await fetch(`${origin}/rsc`)).text();
    assert.match(rsc, /<p id="pkce">S256 43 43<\/p>/, `the Server Component's createPkce(): ${rsc.match(/<p id="pkce">[^<]*/)?.[0]}`);

    // Referrer-Policy on the redirect-URI page, from next.config's headers().
    const callbackPage = await fetch(`${origin}/pleo/callback`);
    assert.equal(callbackPage.headers.get("referrer-policy"), "no-referrer");

    const context = await browser.newContext();
    t.after(() => context.close());
    const page = await context.newPage();
    const errors = [];
    page.on("pageerror", (e) => errors.push(e.message));
    const handoffs = [];
    page.on("request", (r) => r.method() === "POST" && r.url() === `${origin}/api/pleo/exchange` && handoffs.push(r.url()));

    // Connect → Approve: the callback page shows the route handler's answer after one handoff,
    // which made one token request to the stand-in.
    await page.goto(`${origin}/settings`);
    await page.waitForSelector("#connect:not([disabled])");
    await Promise.all([page.waitForURL(`${auth.issuer}/interaction/**`), page.click("#connect")]);
    await Promise.all([page.waitForURL(`${origin}/pleo/callback?**`), page.click("#approve")]);
    await page.waitForSelector("#connected");
    assert.match(await page.textContent("#connected"), /Connected to Pleo \(users:read\)/);
    assert.equal(handoffs.length, 1, "the code was handed off once");
    assert.equal(auth.stats.tokenRequests, 1, "the route handler exchanged the code once");
    assert.equal(page.url(), `${origin}/pleo/callback`, "the code, state and iss are gone from the address bar");
    assert.equal(await page.getAttribute("#continue", "href"), "/settings?tab=integrations");

    // A reload of the callback page: already_handled, so the page sends the user on to
    // returnTo; nothing is handed off again.
    await Promise.all([page.waitForURL(`${origin}/settings?tab=integrations`), page.reload()]);
    await page.waitForSelector("#connect:not([disabled])");
    assert.equal(handoffs.length, 1);
    assert.equal(auth.stats.tokenRequests, 1);

    // Deny: the error is shown with a way back, and error, state and iss leave the address bar.
    await Promise.all([page.waitForURL(`${auth.issuer}/interaction/**`), page.click("#connect")]);
    await Promise.all([page.waitForURL(`${origin}/pleo/callback?**`), page.click("#deny")]);
    await page.waitForSelector("#error");
    assert.equal(await page.getAttribute("#error", "data-code"), "authorization_error");
    // The end user's sentence, as the README renders it (the developer's message names access_denied).
    assert.equal(await page.textContent("#error"), "You cancelled the connection to Pleo.");
    await page.waitForURL(`${origin}/pleo/callback`);
    assert.equal(new URL(page.url()).search, "", "the address bar still carries the callback's parameters");
    assert.equal(await page.getAttribute("#back", "href"), "/settings?tab=integrations");
    assert.equal(handoffs.length, 1);
    assert.deepEqual(errors, []);
    assert.deepEqual(failures(server.output()), [], `next start reported:\n${server.output()}`);
  });
}

for (const bundler of ["turbopack", "webpack"]) {
  test(`Next.js 16 (${bundler}): a page that uses pleo-oauth/react without 'use client' fails next build with pleo-oauth's message naming the fix (the react-server export condition)`, { timeout: BUILD_TIMEOUT_MS + 30_000 }, async () => {
    const rsc = path.join(here, "next-rsc");
    const args = [next, "build", ...(bundler === "webpack" ? ["--webpack"] : [])];
    const output = await new Promise((resolve) => {
      execFile(process.execPath, args, { cwd: rsc, env: nextEnv({ NEXT_DIST_DIR: `.next-${bundler}` }), encoding: "utf8", timeout: BUILD_TIMEOUT_MS, maxBuffer: 16 << 20 }, (error, stdout, stderr) =>
        resolve({ failed: Boolean(error), text: `${stdout}${stderr}` }),
      );
    });
    assert.ok(output.failed, `next build succeeded:\n${output.text}`);
    assert.match(output.text, /pleo-oauth\/react: usePleoConnect and usePleoCallback are client hooks\. Add 'use client' at the top of the file that uses them/, output.text);
    assert.doesNotMatch(output.text, /doesn't exist in target module|is not a function or its return value is not iterable/);
  });
}
