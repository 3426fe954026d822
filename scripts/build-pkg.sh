#!/usr/bin/env bash
# Assembles the npm package in pkg/: the release build of the core for wasm32 with the shipped
# runtime (--features wasm-runtime) and wasm-opt -Oz, the TypeScript
# wrapper compiled under `strict`, its JS files minified, the template package.json (version
# from Cargo.toml) and the package README. Ready for `npm pack`.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$PWD/node_modules/.bin:$HOME/.cargo/bin:$PATH"

rm -rf pkg
mkdir -p pkg target/wrapper
# The shipped module names no path of the machine that built it: source paths in panic
# locations become crate-relative (and shorter).
flags=("--remap-path-prefix=$PWD/=")
for dir in "${CARGO_HOME:-$HOME/.cargo}"/registry/src/*/; do flags+=("--remap-path-prefix=$dir="); done
# With rustup's rust-src component installed, rustc names the standard library's sources by
# their local path (…/lib/rustlib/src/rust/library/…) instead of /rustc/<commit>/library/…, in
# the panic locations of std code inlined here: the same source then built 92 bytes larger. Map
# it back, so the module does not depend on whether rust-src is installed.
flags+=("--remap-path-prefix=$(rustc --print sysroot)/lib/rustlib/src/rust=/rustc/$(rustc -vV | sed -n 's/^commit-hash: //p')")
# A plain cargo build: the module exports `memory`, `input` and `call` itself (src/wasm.rs
# `exports`) and imports nothing, so no wasm-bindgen glue is generated or shipped.
RUSTFLAGS="${flags[*]}" cargo build --quiet --release --lib --target wasm32-unknown-unknown --features wasm-runtime
# wasm-opt comes from the npm package `binaryen` (node_modules/.bin). The features listed are the
# ones rustc enables by default for wasm32-unknown-unknown. --low-memory-unused /
# --zero-filled-memory state facts of this module (Rust's data and stack start above 1 KiB; the
# memory is not imported, so it starts zeroed).
features=(--enable-bulk-memory --enable-nontrapping-float-to-int --enable-sign-ext --enable-mutable-globals
  --enable-reference-types --enable-multivalue)
# -g keeps the functions' names for post-link (which of them can only trap, whether any of them
# formats numbers); the second round strips them (the same module either way, measured).
wasm-opt target/wasm32-unknown-unknown/release/pleo_oauth.wasm -o target/pleo_oauth.opt.wasm -g \
  --merge-similar-functions -Oz --converge --low-memory-unused --zero-filled-memory \
  --strip-debug --strip-producers --strip-target-features "${features[@]}"
# What nothing uses (scripts/post-link.mjs: the linker's two address exports, and data no
# instruction addresses any more, such as core::fmt's digit table left by code wasm-opt removed)
# is dropped from the text of the module, which is optimised once more. That second round
# flattens the code and rebuilds its control flow (--flatten --rereloop), then -O4 and -Oz: in
# gzip bytes, about 60 less than a plain second -Oz, which is about 60 less than none (measured
# at each change; the figures move by ±30 with the code).
wasm-dis target/pleo_oauth.opt.wasm -o target/pleo_oauth.opt.wat
node scripts/post-link.mjs target/pleo_oauth.opt.wat target/pleo_oauth.lean.wat
wasm-opt target/pleo_oauth.lean.wat -o pkg/pleo_oauth_bg.wasm --flatten --rereloop -O4 -Oz --low-memory-unused --zero-filled-memory \
  --strip-debug --strip-producers --strip-target-features "${features[@]}"

# pleo-oauth/server (Node): the same core with the backend half (--features server), built
# apart (its own target directory) and optimised for speed, not bytes: it never reaches a
# browser. server.js reads it from disk.
RUSTFLAGS="${flags[*]}" cargo build --quiet --release --lib --target wasm32-unknown-unknown --features wasm-runtime,server --target-dir target/server
wasm-opt target/server/wasm32-unknown-unknown/release/pleo_oauth.wasm -o pkg/pleo_oauth_server.wasm \
  -O2 --strip-debug --strip-producers "${features[@]}"

# index.d.ts keeps the JSDoc that editors show; the JavaScript ships minified (every byte goes
# to every user's first page load), as ES2022 modules that bundlers and browsers take as is.
tsc -p pkg-template/tsconfig.json --outDir pkg --emitDeclarationOnly
tsc -p pkg-template/tsconfig.json --outDir target/wrapper --declaration false
tsc -p pkg-template/tsconfig.server.json --outDir pkg --emitDeclarationOnly
tsc -p pkg-template/tsconfig.server.json --outDir target/wrapper-server --declaration false
rm -f pkg/ops.d.ts pkg/messages.d.ts pkg/popup.d.ts
# The message texts (generated from src/messages.rs) and the popup code are modules of their own
# (popup.js is no public entry: it ships without types): index.js imports them only when it
# reports an error or a popup is used, with literal import("./messages.js") / import("./popup.js")
# that bundlers follow and emit as chunks.
esbuild target/wrapper/index.js --bundle --minify --format=esm --target=es2022 --log-level=warning \
  --external:./messages.js --external:./popup.js --outfile=pkg/index.js
esbuild target/wrapper/messages.js --minify --format=esm --target=es2022 --log-level=warning --outfile=pkg/messages.js
# pleo-oauth/react: its own small module over the main entry (imported, not bundled, so both
# entries share one module instance), with React left to the app.
esbuild target/wrapper/react.js --bundle --minify --format=esm --target=es2022 --log-level=warning \
  --external:react --external:./index.js --outfile=pkg/react.js
# popup.js: the opener's wait and the popup's relay, loaded by index.js only when used. It takes
# what it needs from index.js as arguments; an import of it would stay external (one instance).
esbuild target/wrapper/popup.js --bundle --minify --format=esm --target=es2022 --log-level=warning \
  --external:./index.js --outfile=pkg/popup.js

# terser's mangler and compressor over esbuild's minified output (default options only, none of
# the `unsafe` ones): fewer gzip bytes than esbuild alone, mostly from how the mangler names
# (measured on the 18,221 build: index.js 4,219 -> 4,100, popup.js -15, react.js -17,
# messages.js -1). esbuild stays for bundling (and its minified output compresses better with
# terser than its plain bundle does).
for f in index popup react messages; do
  terser "pkg/$f.js" --module --ecma 2022 --compress --mangle --output "pkg/$f.js"
done

# pleo-oauth/server: one ES module for Node (not minified: it runs on the partner's server).
esbuild target/wrapper-server/server.js --bundle --format=esm --platform=node --target=node20 --log-level=warning \
  --outfile=pkg/server.js

version=$(sed -n 's/^version = "\(.*\)"/\1/p' Cargo.toml | head -n1)
node -e '
  const fs = require("fs");
  const p = JSON.parse(fs.readFileSync("pkg-template/package.json", "utf8"));
  p.version = process.argv[1];
  fs.writeFileSync("pkg/package.json", JSON.stringify(p, null, 2) + "\n");
' "$version"
# pleo-oauth/react for React Server Components (the "react-server" condition): an error that
# names the fix ('use client'), as it is.
cp pkg-template/src/react.server.js pkg/react.server.js
cp pkg-template/README.md pkg-template/CHANGELOG.md pkg/
cp LICENSE pkg/LICENSE

# Every file the package lists must exist, and nothing else may ship.
node -e '
  const fs = require("fs");
  const p = JSON.parse(fs.readFileSync("pkg/package.json", "utf8"));
  const missing = p.files.filter((f) => !fs.existsSync("pkg/" + f));
  if (missing.length) { console.error("build-pkg: missing from pkg/: " + missing.join(", ")); process.exit(1); }
  const extra = fs.readdirSync("pkg").filter((f) => f !== "package.json" && !p.files.includes(f));
  if (extra.length) { console.error("build-pkg: unexpected files in pkg/: " + extra.join(", ")); process.exit(1); }
'
echo "pkg/ ready (pleo-oauth@$version):"
ls -l pkg | tail -n +2
