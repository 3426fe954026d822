// The browser harness shared by tests/package/behaviour.test.mjs and realapps.test.mjs: two
// loopback servers, headless Chromium (tests/support/chromium.mjs), a fresh context per test.
//
// Server A serves the package (/pkg/, from pkg/ or PLEO_PKG_DIR), the pages (/app/*, strict
// CSP, no referrer) with /app/boot.js, and fake backends (/api/*); server B (another port, so
// another origin) serves the same backends with CORS. /app/boot.js?pkg=/other/ imports
// /other/index.js instead of /pkg/index.js. `useHarness({ routes })` registers the before/after
// hooks of the calling test file; `routes(req, res, url)` may answer extra paths on server A
// (it returns true when it did).
import { before, after } from "node:test";
import assert from "node:assert/strict";
import http from "node:http";
import fs from "node:fs";
import path from "node:path";
import crypto from "node:crypto";
import { fileURLToPath } from "node:url";
import { launchChromium } from "./chromium.mjs";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
export const pkgDir = process.env.PLEO_PKG_DIR ? path.resolve(process.env.PLEO_PKG_DIR) : path.join(root, "pkg");

// The partner page's policy: no eval, wasm allowed; requests to loopback servers on any port
// (the cross-origin backend, and a closed port for the network failure).
export const CSP = "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; connect-src 'self' http://127.0.0.1:*";

/** Every request that reached a backend route (/api/…) on either server. */
export const hits = [];
/** Responses held open by /api/hang, ended at teardown. */
const held = new Set();
export let serverA, serverB, origin, originB, deadPort, browser;

function backend(req, res, self) {
  const url = new URL(req.url, self);
  // CORS for the cross-origin server; harmless on the same origin.
  const cors = {
    "access-control-allow-origin": req.headers.origin ?? "*",
    "access-control-allow-credentials": "true",
    vary: "origin",
  };
  if (req.method === "OPTIONS") {
    hits.push({ server: self, method: "OPTIONS", path: url.pathname + url.search, headers: req.headers });
    return res
      .writeHead(204, {
        ...cors,
        "access-control-allow-methods": "POST",
        "access-control-allow-headers": req.headers["access-control-request-headers"] ?? "",
        "access-control-max-age": "0",
      })
      .end();
  }
  let raw = "";
  req.on("data", (c) => (raw += c));
  req.on("end", () => {
    let body;
    try {
      body = JSON.parse(raw);
    } catch {
      body = raw;
    }
    hits.push({ server: self, method: req.method, path: url.pathname + url.search, headers: req.headers, body });
    const json = (status, value) =>
      res.writeHead(status, { ...cors, "content-type": "application/json" }).end(JSON.stringify(value));
    switch (url.pathname) {
      case "/api/ok":
        return json(200, { connected: true, company: "Acme", cookie: req.headers.cookie ?? null });
      case "/api/fail":
        return res.writeHead(502, { ...cors, "content-type": "application/json" }).end('{"error":"invalid_grant"}');
      case "/api/redirect":
        return res.writeHead(302, { ...cors, location: "/api/ok?redirected=1" }).end();
      case "/api/hang":
        held.add(res);
        res.on("close", () => held.delete(res));
        return; // never answers
      case "/api/html":
        return res.writeHead(200, { ...cors, "content-type": "text/html" }).end("<html>login</html>");
      case "/api/text":
        // Express's res.sendStatus(200).
        return res.writeHead(200, { ...cors, "content-type": "text/plain; charset=utf-8" }).end("OK");
      case "/api/spaces":
        return res.writeHead(200, { ...cors, "content-type": "text/plain" }).end("  ");
      case "/api/empty204":
        return res.writeHead(204, cors).end();
      case "/api/empty200":
        return res.writeHead(200, { ...cors, "content-length": "0" }).end();
      default:
        return res.writeHead(404, cors).end();
    }
  });
}

/** Answers with `name` of the package directory (wasm as application/wasm), or 404. */
export function servePkgFile(res, name, headers = {}) {
  const file = path.join(pkgDir, path.basename(name));
  if (!fs.existsSync(file)) return res.writeHead(404, headers).end();
  const type = file.endsWith(".wasm") ? "application/wasm" : "text/javascript";
  return res.writeHead(200, { "content-type": type, ...headers }).end(fs.readFileSync(file));
}

/**
 * The pages' boot.js: exposes the package at `pkg` and `window.run`, a runner that turns
 * failures into plain data for the test (`window.errData`), then marks the body ready.
 */
export function bootScript(pkg = "/pkg/") {
  return `
      import * as m from ${JSON.stringify(pkg + "index.js")};
      window.errData = (e) => {
        if (typeof e !== "object" || e === null) return { thrown: String(e), isError: false, isPleo: false };
        return { ...e, name: e.name, message: e.message, ctor: e.constructor && e.constructor.name,
                 isError: e instanceof Error, isPleo: e instanceof m.PleoOAuthError };
      };
      window.run = async (f) => {
        try { return { ok: await f(m) }; }
        catch (e) { return { err: window.errData(e) }; }
      };
      document.body.dataset.ready = "1";`;
}

/** A page of the partner's app: `csp` as its policy, boot.js importing the package from `pkg`. */
export function appPage(res, { csp = CSP, pkg = "/pkg/", title = "package test" } = {}) {
  const boot = pkg === "/pkg/" ? "/app/boot.js" : `/app/boot.js?pkg=${encodeURIComponent(pkg)}`;
  return res
    .writeHead(200, { "content-type": "text/html", "content-security-policy": csp, "referrer-policy": "no-referrer" })
    .end(`<!doctype html><meta charset=utf-8><title>${title}</title><body><script type=module src="${boot}"></script>`);
}

function makeServeA(routes) {
  return function serveA(req, res) {
    const url = new URL(req.url, origin);
    if (routes && routes(req, res, url)) return;
    if (url.pathname.startsWith("/api/")) return backend(req, res, origin);
    if (url.pathname.startsWith("/pkg/")) return servePkgFile(res, url.pathname);
    if (url.pathname === "/app/boot.js") {
      return res.writeHead(200, { "content-type": "text/javascript" }).end(bootScript(url.searchParams.get("pkg") ?? "/pkg/"));
    }
    if (url.pathname.startsWith("/app/")) return appPage(res, { title: "behaviour test" });
    res.writeHead(404).end();
  };
}

function serveB(req, res) {
  const url = new URL(req.url, originB);
  if (url.pathname.startsWith("/api/")) return backend(req, res, originB);
  res.writeHead(404).end();
}

async function listen(handler) {
  const s = http.createServer(handler);
  await new Promise((r) => s.listen(0, "127.0.0.1", r));
  return s;
}

/**
 * A fake authorization server's consent screen (`/authorize`): an Approve link back to the
 * request's redirect URI with `code` for its state.
 */
export function consentPage(res, url, code) {
  const back = new URL(url.searchParams.get("redirect_uri"));
  back.searchParams.set("code", code);
  back.searchParams.set("state", url.searchParams.get("state"));
  res.writeHead(200, { "content-type": "text/html" }).end(`<!doctype html><title>Consent</title><a id=approve href="${back.href.replace(/&/g, "&amp;")}">Approve</a>`);
}

/**
 * A partner's redirect-URI page that creates a client with `config` and handles the callback
 * on load: `page` serves the HTML (under the harness's CSP), `script` its module. The outcome
 * lands in `document.body.dataset.result` or `.error` (the code).
 */
export const callbackPage = {
  page(res, scriptPath) {
    res.writeHead(200, { "content-type": "text/html", "content-security-policy": CSP, "referrer-policy": "no-referrer" });
    res.end(`<!doctype html><meta charset=utf-8><title>callback</title><body><script type=module src="${scriptPath}"></script>`);
  },
  script(res, config) {
    res.writeHead(200, { "content-type": "text/javascript" }).end(`
        import { PleoOAuth } from "/pkg/index.js";
        const pleo = await PleoOAuth.create(${JSON.stringify(config)});
        pleo.handleCallback().then(
          (r) => (document.body.dataset.result = JSON.stringify(r)),
          (e) => (document.body.dataset.error = e.code),
        );`);
  },
};

/** Registers the servers and the browser as before/after hooks of the calling test file. */
export function useHarness({ routes } = {}) {
  before(async () => {
    assert.ok(fs.existsSync(path.join(pkgDir, "index.js")), `no package in ${pkgDir}: run \`make pkg\` first`);
    serverA = await listen(makeServeA(routes));
    serverB = await listen(serveB);
    origin = `http://127.0.0.1:${serverA.address().port}`;
    originB = `http://127.0.0.1:${serverB.address().port}`;
    // A port nothing listens on: bind one, then close it.
    const dead = await listen(() => {});
    deadPort = dead.address().port;
    await new Promise((r) => dead.close(r));
    browser = await launchChromium();
  });
  after(async () => {
    for (const res of held) res.destroy();
    await browser?.close();
    for (const s of [serverA, serverB]) {
      s?.closeAllConnections();
      s?.close();
    }
  });
}

export const redirectUri = () => `${origin}/app/callback`;

/** Options as a partner writes them; `extra` overrides. */
export const config = (extra = {}) => ({
  clientId: "client-1",
  redirectUri: redirectUri(),
  scopes: ["users:read", "export-jobs:read"],
  ...extra,
});

/**
 * `run(fn, args)` for `page`: runs `fn(module, { origin, originB, redirectUri, deadPort, cfg,
 * ...args })` in the page through window.run of boot.js (the page's CSP forbids eval; an
 * expression string goes through DevTools' evaluate, which the CSP does not govern) and returns
 * `{ ok }` or `{ err }`.
 */
export function runner(page) {
  return async (fn, args = {}) => {
    await page.waitForSelector("body[data-ready]", { state: "attached" });
    const all = { origin, originB, redirectUri: redirectUri(), deadPort, cfg: config(), ...args };
    return page.evaluate(`window.run((m) => (${fn})(m, ${JSON.stringify(all)}))`);
  };
}

/** A fresh context and page (own storage and cookies) on `pathname`, closed after the test. */
export async function open(t, pathname = "/app/start") {
  const context = await browser.newContext();
  t.after(() => context.close());
  const page = await context.newPage();
  const pageErrors = [];
  page.on("pageerror", (e) => pageErrors.push(String(e)));
  await page.goto(origin + pathname);
  return { context, page, run: runner(page), pageErrors };
}

/** The `{ ok }` of a run, failing with the error's data otherwise. */
export function ok(r) {
  assert.ok(r && "ok" in r, `expected success, got ${JSON.stringify(r?.err)}`);
  return r.ok;
}

/** The `{ err }` of a run, which must be a PleoOAuthError with `code`. */
export function err(r, code) {
  assert.ok(r && "err" in r, `expected ${code}, got success ${JSON.stringify(r?.ok)}`);
  assert.equal(r.err.isPleo, true, `not a PleoOAuthError: ${JSON.stringify(r.err)}`);
  assert.equal(r.err.isError, true);
  assert.equal(r.err.code, code, r.err.message);
  return r.err;
}

export const s256 = (verifier) => crypto.createHash("sha256").update(verifier).digest("base64url");
export const backendHits = (p, from = 0) => hits.slice(from).filter((h) => h.method === "POST" && h.path === p);
