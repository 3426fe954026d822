// The package as partners get it: `npm pack` of pkg/, installed into the fixture project
// (tests/consumers/, with `npm install --no-save <tarball>` — no path alias), then used four ways:
// a Vite production build and a plain <script type="module"> page, both driven in Chromium; a
// Node import as an SSR framework does; and a TypeScript consumer checked with tsc --strict.
//
// Run: node --test tests/consumers/   (after `make pkg`)
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
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
const EXPECTED_FILES = ["CHANGELOG.md", "LICENSE", "README.md", "index.d.ts", "index.js", "package.json", "pleo_oauth_bg.wasm"];

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
  assert.equal(manifest.license, "MIT");
  for (const f of packed.files) console.log(`  ${String(f.size).padStart(7)}  ${f.path}`);
  console.log(`  tarball ${packed.size} bytes, unpacked ${packed.unpackedSize} bytes`);
});

test("Vite: the production build loads the wasm, builds a Pleo URL and completes a callback", async () => {
  const dist = path.join(work, "vite-dist");
  run(path.join(here, "node_modules", ".bin", "vite"), ["build", "vite-app", "--outDir", dist, "--emptyOutDir", "--logLevel", "warn"]);
  const assets = fs.readdirSync(path.join(dist, "assets"));
  assert.ok(assets.some((f) => f.endsWith(".wasm")), `the wasm is emitted as an asset: ${assets}`);
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
