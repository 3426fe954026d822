// make bench: pleo-oauth next to oauth4webapi, oidc-client-ts and @badgateway/oauth2-client in
// headless Chromium, each doing the same job — PKCE + state + a transaction stored in
// sessionStorage + the authorization URL, then callback validation returning code + verifier
// (entries/*.js, one per library; harness.js drives them the same way).
//
//   (a) bytes shipped: each entry bundled by esbuild (--bundle --minify --format=esm), raw,
//       gzip -9 and brotli 11 (Node's zlib); ours = bundle + pleo_oauth_bg.wasm.
//   (b) cold load → URL: ms from navigation start to the URL being ready, a fresh browser
//       context per run (empty, disabled cache), libraries alternated; median.
//   (c) warm: start + finish round trips per second in one loaded page; median of rounds.
//   (d) click → navigation (CPU throttled): click event → navigate event, with our client
//       created on click or on mount, and oauth4webapi on click; median.
//   (e) the floor of a separate module: (b) and (d) for entries/floor.js, oauth4webapi's entry
//       after fetching and compiling an 8-byte WebAssembly module in createClient — what one
//       more request and compile cost here, whatever the module holds.
// Ratios are to oauth4webapi. Prints Markdown; writes target/bench/bench.{md,json}.
// Timing is not a test: this never fails on the figures, only when something breaks.
//
// Environment: PLEO_PKG_DIR (default <repo>/pkg), CHROMIUM (see tests/support/chromium.mjs),
// BENCH_COLD_RUNS (30), BENCH_WARM_N (500), BENCH_WARM_ROUNDS (7), BENCH_CLICK_RUNS (15),
// BENCH_CPU_THROTTLE (4, for the click runs only).
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import http from "node:http";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import zlib from "node:zlib";

const HERE = path.dirname(fileURLToPath(import.meta.url));
const REPO = path.resolve(HERE, "../..");
const PKG_DIR = path.resolve(process.env.PLEO_PKG_DIR ?? path.join(REPO, "pkg"));
const OUT = path.join(REPO, "target/bench");
const WWW = path.join(OUT, "www");

const intEnv = (name, fallback, min) => {
  const v = Number(process.env[name] ?? fallback);
  if (!Number.isInteger(v) || v < min) throw new Error(`${name} must be an integer ≥ ${min}`);
  return v;
};
const COLD_RUNS = intEnv("BENCH_COLD_RUNS", 30, 1);
const WARM_N = intEnv("BENCH_WARM_N", 500, 1);
const WARM_ROUNDS = intEnv("BENCH_WARM_ROUNDS", 7, 1);
const CLICK_RUNS = intEnv("BENCH_CLICK_RUNS", 15, 1);
const CPU_THROTTLE = intEnv("BENCH_CPU_THROTTLE", 4, 1);
const WAIT_MS = 20_000; // any single wait in the browser

// name: the entry in entries/ and the bundle in /b/; pkg: the npm package it measures.
const LIBS = [
  { name: "pleo", label: "pleo-oauth (wasm + JS)", pkg: "pleo-oauth" },
  { name: "oauth4webapi", label: "oauth4webapi", pkg: "oauth4webapi" },
  { name: "oidc-client-ts", label: "oidc-client-ts", pkg: "oidc-client-ts" },
  { name: "badgateway", label: "@badgateway/oauth2-client", pkg: "@badgateway/oauth2-client" },
];
const BASE = "oauth4webapi";
// (e): bundled and timed like a library (cold, click on click), not counted in bytes or warm.
const FLOOR = { name: "floor", label: "oauth4webapi + an 8-byte wasm fetched and compiled in createClient" };
// The smallest valid WebAssembly module: magic and version.
const EMPTY_WASM = Buffer.from([0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00]);
const CLICK_VARIANTS = [
  { lib: "pleo", mode: "click-click", label: "pleo-oauth, client created on click" },
  { lib: "pleo", mode: "click-mount", label: "pleo-oauth, client created on mount" },
  { lib: "oauth4webapi", mode: "click-click", label: "oauth4webapi, everything on click" },
  { lib: "floor", mode: "click-click", label: `${FLOOR.label}, on click (the floor)` },
];

// The whole run is bounded, whatever hangs.
setTimeout(() => {
  console.error("bench: gave up after 10 minutes");
  process.exit(1);
}, 600_000).unref();

const log = (msg) => console.error(`bench: ${msg}`);
const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};
const readJson = (file) => JSON.parse(fs.readFileSync(file, "utf8"));

// ------------------------------------------------------------------------------ setup

function ensureDependencies() {
  const wanted = Object.keys(readJson(path.join(HERE, "package.json")).devDependencies);
  const installed = wanted.every((p) => fs.existsSync(path.join(HERE, "node_modules", p, "package.json")));
  if (!installed) {
    log("installing the peers and esbuild (npm ci in scripts/bench)");
    execFileSync("npm", ["ci", "--no-audit", "--no-fund"], { cwd: HERE, stdio: ["ignore", 2, 2] });
  }
}

async function loadChromiumLauncher() {
  try {
    return await import(path.join(REPO, "tests/support/chromium.mjs"));
  } catch (e) {
    if (e?.code === "ERR_MODULE_NOT_FOUND") {
      throw new Error(`${e.message}\nplaywright-core is missing: run \`npm ci\` at the repository root (scripts/install-tools.sh does).`);
    }
    throw e;
  }
}

// ------------------------------------------------------------------------------ (a) bytes

async function bundle() {
  for (const f of ["index.js", "pleo_oauth_bg.wasm"]) {
    if (!fs.existsSync(path.join(PKG_DIR, f))) throw new Error(`${path.join(PKG_DIR, f)} is missing: build the package (make pkg) or set PLEO_PKG_DIR`);
  }
  const esbuild = await import("esbuild");
  // "pleo-oauth" in entries/pleo.js is the package under test.
  const pleoPackage = {
    name: "pleo-oauth",
    setup(build) {
      build.onResolve({ filter: /^pleo-oauth$/ }, () => ({ path: path.join(PKG_DIR, "index.js") }));
    },
  };
  fs.rmSync(WWW, { recursive: true, force: true });
  fs.mkdirSync(path.join(WWW, "b"), { recursive: true });
  for (const lib of [...LIBS, FLOOR]) {
    await esbuild.build({
      entryPoints: [path.join(HERE, "entries", `${lib.name}.js`)],
      outfile: path.join(WWW, "b", `${lib.name}.js`),
      bundle: true,
      minify: true,
      format: "esm",
      plugins: [pleoPackage],
      // Chunks the package imports only on use (a popup, an error) stay chunks, as a bundler
      // with code splitting emits them: the job measured here loads neither.
      external: ["./popup.js", "./messages.js"],
      logLevel: "warning",
    });
  }
  // The loader fetches new URL("pleo_oauth_bg.wasm", import.meta.url): next to the bundle, with
  // the on-use chunks.
  for (const f of ["pleo_oauth_bg.wasm", "popup.js", "messages.js"]) {
    if (fs.existsSync(path.join(PKG_DIR, f))) fs.copyFileSync(path.join(PKG_DIR, f), path.join(WWW, "b", f));
  }
  fs.writeFileSync(path.join(WWW, "b", "floor.wasm"), EMPTY_WASM);
}

function sizeOf(file) {
  const raw = fs.readFileSync(file);
  return {
    raw: raw.length,
    gzip: zlib.gzipSync(raw, { level: 9 }).length,
    brotli: zlib.brotliCompressSync(raw, { params: { [zlib.constants.BROTLI_PARAM_QUALITY]: 11 } }).length,
  };
}

function sizes() {
  const out = {};
  for (const lib of LIBS) {
    const files = [`${lib.name}.js`, ...(lib.name === "pleo" ? ["pleo_oauth_bg.wasm"] : [])];
    const parts = Object.fromEntries(files.map((f) => [f, sizeOf(path.join(WWW, "b", f))]));
    const total = { raw: 0, gzip: 0, brotli: 0 };
    for (const p of Object.values(parts)) for (const k of Object.keys(total)) total[k] += p[k];
    out[lib.name] = { ...total, parts };
  }
  return out;
}

function versions() {
  const v = {};
  for (const lib of LIBS) {
    const file = lib.name === "pleo" ? path.join(PKG_DIR, "package.json") : path.join(HERE, "node_modules", lib.pkg, "package.json");
    v[lib.name] = fs.existsSync(file) ? readJson(file).version : "?";
  }
  v.esbuild = readJson(path.join(HERE, "node_modules/esbuild/package.json")).version;
  return v;
}

// ------------------------------------------------------------------------------ server

const TYPES = { ".js": "text/javascript", ".wasm": "application/wasm", ".html": "text/html; charset=utf-8" };

function page(lib, mode) {
  return `<!doctype html>
<html><head><meta charset="utf-8"><title>bench ${lib} ${mode}</title><link rel="icon" href="data:,">
<script type="module">
import * as lib from "/b/${lib}.js";
import { run } from "/harness.js";
run(lib, ${JSON.stringify(mode)});
</script></head>
<body><button id="go" disabled>Connect to Pleo</button></body></html>
`;
}

// Loopback only, no cache, no CSP. /page/<lib>/<mode>, /b/<bundle or wasm>, /harness.js,
// and /authorize and /cb as plain pages.
function startServer() {
  const libs = new Set([...LIBS, FLOOR].map((l) => l.name));
  const server = http.createServer((req, res) => {
    const { pathname } = new URL(req.url, "http://127.0.0.1");
    const send = (status, type, body) => {
      res.writeHead(status, { "Content-Type": type, "Cache-Control": "no-store" });
      res.end(body);
    };
    let m;
    if ((m = pathname.match(/^\/page\/([\w-]+)\/([\w-]+)$/)) && libs.has(m[1])) return send(200, TYPES[".html"], page(m[1], m[2]));
    if (pathname === "/harness.js") return send(200, TYPES[".js"], fs.readFileSync(path.join(HERE, "harness.js")));
    if ((m = pathname.match(/^\/b\/([\w-]+\.(js|wasm))$/)) && fs.existsSync(path.join(WWW, "b", m[1]))) {
      return send(200, TYPES[path.extname(m[1])], fs.readFileSync(path.join(WWW, "b", m[1])));
    }
    if (pathname === "/authorize" || pathname === "/cb") return send(200, TYPES[".html"], `<!doctype html><title>${pathname}</title>`);
    send(404, "text/plain", "not found");
  });
  return new Promise((resolve) => server.listen(0, "127.0.0.1", () => resolve(server)));
}

// ------------------------------------------------------------------------------ browser runs

// A fresh context and page with the HTTP cache disabled (and the CPU throttled when asked).
async function freshPage(browser, throttle = 1) {
  const context = await browser.newContext();
  const page = await context.newPage();
  const cdp = await context.newCDPSession(page);
  await cdp.send("Network.enable");
  await cdp.send("Network.setCacheDisabled", { cacheDisabled: true });
  if (throttle > 1) await cdp.send("Emulation.setCPUThrottlingRate", { rate: throttle });
  page.setDefaultTimeout(WAIT_MS);
  return { context, page };
}

// Loads a bench page and waits for its harness to be ready; returns window.__bench.
async function openBenchPage(page, origin, lib, mode) {
  await page.goto(`${origin}/page/${lib}/${mode}`);
  await page.waitForFunction(() => window.__bench?.ready || window.__bench?.error);
  const bench = await page.evaluate(() => window.__bench);
  if (bench.error) throw new Error(`${lib} ${mode}: ${bench.error}`);
  return bench;
}

async function cold(browser, origin) {
  const all = [...LIBS, FLOOR];
  const samples = Object.fromEntries(all.map((l) => [l.name, []]));
  for (let i = 0; i < COLD_RUNS; i++) {
    // A different library first on each iteration, against drift.
    for (let j = 0; j < all.length; j++) {
      const lib = all[(i + j) % all.length].name;
      const { context, page } = await freshPage(browser);
      try {
        const bench = await openBenchPage(page, origin, lib, "cold");
        if (!bench.url.startsWith(`${origin}/authorize?`)) throw new Error(`${lib}: unexpected URL ${bench.url}`);
        samples[lib].push(bench.coldMs);
      } finally {
        await context.close();
      }
    }
  }
  return samples;
}

/** Click → navigation of pleo-oauth with its client created on click, over oauth4webapi's. */
function clickRatio(click, lib = "pleo") {
  const ms = (l) => click.find((c) => c.lib === l && c.mode === "click-click")?.medianMs ?? NaN;
  return ms(lib) / ms("oauth4webapi");
}

async function warm(browser, origin) {
  const pages = {};
  const checks = {};
  const samples = Object.fromEntries(LIBS.map((l) => [l.name, []]));
  try {
    for (const lib of LIBS) {
      const p = (pages[lib.name] = await freshPage(browser));
      await openBenchPage(p.page, origin, lib.name, "warm");
      const check = (checks[lib.name] = await p.page.evaluate(() => window.benchCheck()));
      // Same job for all: an S256 challenge of the verifier handed back, the code returned,
      // the transaction kept in sessionStorage and consumed by the callback (its verifier gone).
      const consumed = check.storedDuringFlow >= 1 && !check.verifierLeft;
      if (!check.challengeOk || check.code !== "bench-code" || !consumed) throw new Error(`${lib.name}: failed the round trip check ${JSON.stringify(check)}`);
      // Two warm-up rounds, not counted: the JIT tiers up during the first ones.
      for (let w = 0; w < 2; w++) await p.page.evaluate((n) => window.benchRounds(n), WARM_N);
    }
    for (let r = 0; r < WARM_ROUNDS; r++) {
      for (const lib of LIBS) {
        const ms = await pages[lib.name].page.evaluate((n) => window.benchRounds(n), WARM_N);
        samples[lib.name].push((WARM_N * 1000) / ms);
      }
    }
  } finally {
    for (const p of Object.values(pages)) await p.context.close();
  }
  return { samples, checks };
}

async function clicks(browser, origin) {
  const samples = CLICK_VARIANTS.map(() => []);
  for (let i = 0; i < CLICK_RUNS; i++) {
    for (const [k, v] of CLICK_VARIANTS.entries()) {
      const { context, page } = await freshPage(browser, CPU_THROTTLE);
      try {
        await openBenchPage(page, origin, v.lib, v.mode);
        const navigation = page.waitForRequest((r) => r.isNavigationRequest() && r.url().startsWith(`${origin}/authorize?`));
        await page.click("#go");
        await navigation;
        await page.waitForURL((url) => url.pathname === "/authorize");
        const ms = Number(await page.evaluate(() => sessionStorage.getItem("bench:clickToNavMs")));
        if (!Number.isFinite(ms)) throw new Error(`${v.label}: no click → navigation time`);
        samples[k].push(ms);
      } finally {
        await context.close();
      }
    }
  }
  return samples;
}

// ------------------------------------------------------------------------------ report

const fmtInt = (n) => Math.round(n).toLocaleString("en-US");
const fmtMs = (n) => n.toFixed(1);
const fmtRatio = (r) => `${r.toFixed(2)}×`;

function report(result) {
  const { libs, click } = result;
  const lines = [
    `# pleo-oauth bench`,
    "",
    `Chromium ${result.env.chromium}, ${result.env.cpus}× ${result.env.cpuModel}, Node ${result.env.node}; esbuild ${result.versions.esbuild}; package ${result.env.pkgDir}.`,
    `Bytes: esbuild --bundle --minify --format=esm of each entry; gzip -9, brotli 11. Cold: median of ${COLD_RUNS} fresh contexts, cache disabled, no CPU throttling. Warm: median of ${WARM_ROUNDS} rounds of ${WARM_N} start + finish round trips in one page. Ratios are to oauth4webapi.`,
    "",
    "| library | version | gzip | ratio | brotli | raw | cold load→URL ms (median) | ratio | warm round trips/s (median) | ratio |",
    "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|",
  ];
  for (const l of LIBS) {
    const r = libs[l.name];
    lines.push(
      `| ${l.label} | ${r.version} | ${fmtInt(r.bytes.gzip)} | ${fmtRatio(r.ratios.gzip)} | ${fmtInt(r.bytes.brotli)} | ${fmtInt(r.bytes.raw)} | ${fmtMs(r.coldMs)} | ${fmtRatio(r.ratios.cold)} | ${fmtInt(r.warmPerSecond)} | ${fmtRatio(r.ratios.warm)} |`,
    );
  }
  const parts = libs.pleo.bytes.parts;
  lines.push(
    "",
    `pleo-oauth = ${Object.entries(parts).map(([f, s]) => `${f} ${fmtInt(s.gzip)} gzip / ${fmtInt(s.brotli)} br / ${fmtInt(s.raw)} raw`).join(" + ")}.`,
    "",
    `Click → navigation (click event → navigate event), CPU throttled ${CPU_THROTTLE}× (CDP Emulation.setCPUThrottlingRate), fresh context per run, cache disabled, median of ${CLICK_RUNS}:`,
    "",
    "| variant | ms (median) | min | max |",
    "|---|---:|---:|---:|",
    ...click.map((c) => `| ${c.label} | ${fmtMs(c.medianMs)} | ${fmtMs(c.minMs)} | ${fmtMs(c.maxMs)} |`),
    "",
    `The floor of a separate module (e), ${FLOOR.label}: cold load→URL ${fmtMs(result.floor.coldMs)} ms (${fmtRatio(result.floor.ratios.cold)} oauth4webapi), click → navigation on click ${fmtMs(result.floor.clickMs)} ms (${fmtRatio(result.floor.ratios.click)}). No design that loads a module of its own when the client is created takes less here.`,
    "",
    "Targets (pleo-oauth):",
    `- shipped gzip ≤ 18,000 B: ${fmtInt(libs.pleo.bytes.gzip)} — ${result.targets.gzip ? "met" : "not met"}`,
    `- cold load→URL ≤ 1.2× oauth4webapi: ${fmtRatio(libs.pleo.ratios.cold)} — ${result.targets.cold ? "met" : "not met"}`,
    `- click → navigation, client created on click, ≤ 2× oauth4webapi: ${fmtRatio(clickRatio(click))} — ${result.targets.clickOnClick ? "met" : "not met"}`,
    `- warm start+finish ≥ 1.0× oauth4webapi: ${fmtRatio(libs.pleo.ratios.warm)} — ${result.targets.warm ? "met" : "not met"}`,
  );
  return lines.join("\n") + "\n";
}

// ------------------------------------------------------------------------------ main

async function main() {
  const started = Date.now();
  ensureDependencies();
  const { launchChromium } = await loadChromiumLauncher();
  log(`bundling (package: ${PKG_DIR})`);
  await bundle();
  const bytes = sizes();
  const vers = versions();

  const server = await startServer();
  const origin = `http://127.0.0.1:${server.address().port}`;
  const browser = await launchChromium();
  const chromiumVersion = browser.version();
  let coldSamples, warmResult, clickSamples;
  try {
    log(`cold load → URL: ${COLD_RUNS} × ${LIBS.length + 1} fresh contexts`);
    coldSamples = await cold(browser, origin);
    log(`warm: ${WARM_ROUNDS} rounds × ${WARM_N} round trips per library`);
    warmResult = await warm(browser, origin);
    log(`click → navigation: ${CLICK_RUNS} × ${CLICK_VARIANTS.length} fresh contexts, CPU ${CPU_THROTTLE}× slower`);
    clickSamples = await clicks(browser, origin);
  } finally {
    await browser.close();
    server.close();
  }

  const libs = {};
  for (const l of LIBS) {
    libs[l.name] = {
      package: l.pkg,
      version: vers[l.name],
      bytes: bytes[l.name],
      coldMs: median(coldSamples[l.name]),
      warmPerSecond: median(warmResult.samples[l.name]),
      check: warmResult.checks[l.name],
      samples: { coldMs: coldSamples[l.name], warmPerSecond: warmResult.samples[l.name] },
    };
  }
  for (const l of LIBS) {
    const r = libs[l.name];
    r.ratios = {
      gzip: r.bytes.gzip / libs[BASE].bytes.gzip,
      brotli: r.bytes.brotli / libs[BASE].bytes.brotli,
      cold: r.coldMs / libs[BASE].coldMs,
      warm: r.warmPerSecond / libs[BASE].warmPerSecond,
    };
  }
  const click = CLICK_VARIANTS.map((v, k) => ({
    ...v,
    medianMs: median(clickSamples[k]),
    minMs: Math.min(...clickSamples[k]),
    maxMs: Math.max(...clickSamples[k]),
    samplesMs: clickSamples[k],
  }));
  const floorCold = median(coldSamples[FLOOR.name]);
  const floor = {
    label: FLOOR.label,
    coldMs: floorCold,
    clickMs: click.find((c) => c.lib === FLOOR.name).medianMs,
    ratios: { cold: floorCold / libs[BASE].coldMs, click: clickRatio(click, FLOOR.name) },
    samples: { coldMs: coldSamples[FLOOR.name] },
  };
  const result = {
    date: new Date().toISOString(),
    env: { chromium: chromiumVersion, node: process.version, cpus: os.cpus().length, cpuModel: os.cpus()[0]?.model ?? "?", pkgDir: PKG_DIR },
    settings: { coldRuns: COLD_RUNS, warmN: WARM_N, warmRounds: WARM_ROUNDS, clickRuns: CLICK_RUNS, clickCpuThrottle: CPU_THROTTLE, coldCpuThrottle: 1, warmCpuThrottle: 1 },
    versions: vers,
    libs,
    click,
    floor,
    // Issue 15's targets.
    targets: {
      gzip: libs.pleo.bytes.gzip <= 18_000,
      cold: libs.pleo.ratios.cold <= 1.2,
      clickOnClick: clickRatio(click) <= 2,
      warm: libs.pleo.ratios.warm >= 1.0,
    },
  };
  const md = report(result);
  fs.mkdirSync(OUT, { recursive: true });
  fs.writeFileSync(path.join(OUT, "bench.json"), JSON.stringify(result, null, 2) + "\n");
  fs.writeFileSync(path.join(OUT, "bench.md"), md);
  console.log(md);
  log(`wrote ${path.relative(process.cwd(), path.join(OUT, "bench.md"))} and bench.json in ${((Date.now() - started) / 1000).toFixed(0)} s`);
}

main().then(
  () => process.exit(0),
  (e) => {
    console.error(`bench: ${e?.stack ?? e}`);
    process.exit(1);
  },
);
