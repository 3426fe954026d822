// The main entry's loader under Node (issue 18), no browser: the low-level helpers in plain Node;
// PleoOAuth.preload() called and never awaited leaves no unhandled rejection when the module
// cannot load, yet rejects for whoever awaits it; and a bundler's address without a scheme
// (webpack's server bundles write `new URL(…, import.meta.url)` as /_next/static/media/…) is
// replaced by the package's own file, which the error names when it is missing.
// tests/consumers/next.test.mjs drives the same in real Next.js builds.
//
// Run: node --test tests/package/  (after `make pkg`)
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import crypto from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const pkgDir = process.env.PLEO_PKG_DIR ? path.resolve(process.env.PLEO_PKG_DIR) : path.join(root, "pkg");

/** A copy of the package's browser files in a fresh directory; `wasm: false` leaves the module out. */
function copyPackage({ wasm = true, edit = (js) => js } = {}) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "pleo-oauth-node-"));
  for (const file of ["index.js", "messages.js", "popup.js", "package.json"]) fs.copyFileSync(path.join(pkgDir, file), path.join(dir, file));
  if (wasm) fs.copyFileSync(path.join(pkgDir, "pleo_oauth_bg.wasm"), path.join(dir, "pleo_oauth_bg.wasm"));
  fs.writeFileSync(path.join(dir, "index.js"), edit(fs.readFileSync(path.join(dir, "index.js"), "utf8")));
  return dir;
}

/** Runs `code` (an ES module importing "pleo" from `dir`) in a fresh Node that dies on any unhandled rejection. */
function runNode(dir, code) {
  const source = code.replaceAll("PLEO", JSON.stringify(pathToFileURL(path.join(dir, "index.js")).href));
  return spawnSync(process.execPath, ["--unhandled-rejections=strict", "--input-type=module", "-e", source], { encoding: "utf8", timeout: 30_000 });
}

/**
 * What webpack makes of `new URL("pleo_oauth_bg.wasm", import.meta.url)` in a server bundle
 * (its RelativeURL runtime, `url: "relative"` as Next.js configures it): a URL object whose
 * protocol is empty and whose text is a path. Put in place of that expression in index.js.
 */
const WEBPACK_RELATIVE_URL = `new (function RelativeURL(u){const r=new URL(u,"x:/"),v={};for(const k in r)v[k]=r[k];v.href=u;v.pathname=u;v.origin=v.protocol="";v.toString=v.toJSON=()=>u;for(const k in v)Object.defineProperty(this,k,{enumerable:true,value:v[k]})})("/_next/static/media/pleo_oauth_bg.0123abcd.wasm")`;
const asWebpackServerBundle = (js) => {
  const pattern = 'new URL("pleo_oauth_bg.wasm",import.meta.url)';
  assert.equal(js.split(pattern).length, 2, "index.js has the bundlers' form of the module's address once");
  return js.replace(pattern, WEBPACK_RELATIVE_URL);
};

test("in plain Node the helpers read the module from disk and work", async () => {
  const m = await import(pathToFileURL(path.join(pkgDir, "index.js")).href);
  await m.PleoOAuth.preload();
  const pkce = await m.createPkce();
  assert.match(pkce.verifier, /^[A-Za-z0-9_-]{43}$/);
  assert.equal(pkce.method, "S256");
  assert.equal(pkce.challenge, crypto.createHash("sha256").update(pkce.verifier).digest("base64url"));
  assert.equal(await m.codeChallenge("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"), "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM");
  assert.match(await m.generateState(), /^[A-Za-z0-9_-]{43}$/);
  assert.deepEqual(await m.parseCallback("https://app.example.com/cb?code=a&state=b&iss=c"), { code: "a", state: "b", iss: "c" });
});

test("PleoOAuth.preload() never awaited: a module that cannot load is no unhandled rejection; awaited, it rejects naming the file; the next call loads it once it is there", () => {
  const dir = copyPackage({ wasm: false });
  const r = runNode(
    dir,
    `import { PleoOAuth, createPkce } from PLEO;
     import fs from "node:fs";
     PleoOAuth.preload(); // module level, nobody awaits it
     await new Promise((resolve) => setTimeout(resolve, 200));
     const e = await PleoOAuth.preload().then(() => null, (e) => e);
     console.log(JSON.stringify({ code: e?.code, message: e?.message }));
     fs.copyFileSync(${JSON.stringify(path.join(pkgDir, "pleo_oauth_bg.wasm"))}, ${JSON.stringify(path.join(dir, "pleo_oauth_bg.wasm"))});
     console.log(JSON.stringify({ method: (await createPkce()).method }));`,
  );
  assert.equal(r.status, 0, `the process died (an unhandled rejection?):\n${r.stderr}`);
  const [failed, loaded] = r.stdout.trim().split("\n").map((line) => JSON.parse(line));
  assert.equal(failed.code, "invalid_config");
  assert.match(failed.message, /could not read .*pleo_oauth_bg\.wasm \(ENOENT\)/);
  assert.deepEqual(loaded, { method: "S256" });
});

test("webpack's server bundle (an address without a scheme): under Node the package's own file is read; without it, the error names that file, not the network", () => {
  const works = runNode(copyPackage({ edit: asWebpackServerBundle }), `import { createPkce, generateState } from PLEO; console.log(JSON.stringify({ pkce: await createPkce(), state: await generateState() }));`);
  assert.equal(works.status, 0, works.stderr);
  const out = JSON.parse(works.stdout);
  assert.equal(out.pkce.challenge, crypto.createHash("sha256").update(out.pkce.verifier).digest("base64url"));
  assert.match(out.state, /^[A-Za-z0-9_-]{43}$/);

  const dir = copyPackage({ wasm: false, edit: asWebpackServerBundle });
  const missing = runNode(
    dir,
    `import { PleoOAuth, codeChallenge } from PLEO;
     PleoOAuth.preload(); // never awaited
     const e = await codeChallenge("a".repeat(43)).then(() => null, (e) => e);
     console.log(JSON.stringify({ code: e?.code, message: e?.message }));`,
  );
  assert.equal(missing.status, 0, `the process died (an unhandled rejection?):\n${missing.stderr}`);
  const e = JSON.parse(missing.stdout);
  assert.equal(e.code, "invalid_config");
  // The file it looked for (the package's own, next to index.js) and why it could not be read.
  assert.ok(e.message.includes(`could not read ${path.join(dir, "pleo_oauth_bg.wasm")} (ENOENT)`), e.message);
  assert.doesNotMatch(e.message, /network|download|\/_next\//);
});
