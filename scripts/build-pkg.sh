#!/usr/bin/env bash
# Assembles the npm package in pkg/: wasm-pack release build (--target web) with the shipped
# runtime (--features wasm-runtime) and wasm-opt -Oz (configured in Cargo.toml), the TypeScript
# wrapper compiled under `strict`, its JS files minified, the template package.json (version
# from Cargo.toml) and the package README. Ready for `npm pack`.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$PWD/node_modules/.bin:$HOME/.cargo/bin:$PATH"

rm -rf pkg
# The shipped module names no path of the machine that built it: the registry's source paths in
# panic locations become crate-relative (and shorter). RUSTFLAGS replaces .cargo/config.toml's
# flags, so the compact SHA-256 flag is repeated here.
flags=(--cfg 'sha2_backend_soft="compact"' "--remap-path-prefix=$PWD/=")
for dir in "${CARGO_HOME:-$HOME/.cargo}"/registry/src/*/; do flags+=("--remap-path-prefix=$dir="); done
RUSTFLAGS="${flags[*]}" \
wasm-pack build --release --target web --out-dir pkg --out-name pleo_oauth --no-pack -- --features wasm-runtime 2>&1 \
  | grep -vE '^\[INFO\]|has no README|failed to get wasm-pack version' || true
test -f pkg/pleo_oauth_bg.wasm || { echo "build-pkg: wasm-pack produced no pkg/pleo_oauth_bg.wasm" >&2; exit 1; }
# Only what a consumer needs: index.d.ts is the whole typed surface, so the glue's own .d.ts
# files (which would also drag in lib "esnext.disposable") do not ship.
rm -f pkg/.gitignore pkg/package.json pkg/README.md pkg/pleo_oauth_bg.wasm.d.ts

cp pkg-template/src/index.ts pkg-template/src/react.ts pkg-template/src/popup.ts pkg/
# index.d.ts keeps the JSDoc that editors show; the JavaScript ships minified (every byte goes
# to every user's first page load), as ES2022 modules that bundlers and browsers take as is.
tsc -p pkg-template/tsconfig.json --outDir pkg --emitDeclarationOnly
tsc -p pkg-template/tsconfig.json --outDir target/wrapper --declaration false
# popup.js is no public entry (index.js imports it): it ships without types.
rm pkg/index.ts pkg/react.ts pkg/popup.ts pkg/popup.d.ts pkg/pleo_oauth.d.ts
# The wrapper and wasm-bindgen's glue are bundled into one module (one request, one gzip
# stream, and the glue's unused loaders shaken out).
cp pkg/pleo_oauth.js target/wrapper/pleo_oauth.js
rm pkg/pleo_oauth.js
# The popup code stays out of it (--external:./popup.js): index.js imports it only when a popup
# is used, with a literal import("./popup.js") that bundlers follow and emit as a chunk.
esbuild target/wrapper/index.js --bundle --minify --format=esm --target=es2022 --log-level=warning \
  --external:./popup.js --outfile=pkg/index.js
# pleo-oauth/react: its own small module over the main entry (imported, not bundled, so both
# entries share one module instance), with React left to the app.
esbuild target/wrapper/react.js --bundle --minify --format=esm --target=es2022 --log-level=warning \
  --external:react --external:./index.js --outfile=pkg/react.js
# popup.js: the opener's wait and the popup's relay, loaded by index.js only when used. It takes
# what it needs from index.js as arguments; an import of it would stay external (one instance).
esbuild target/wrapper/popup.js --bundle --minify --format=esm --target=es2022 --log-level=warning \
  --external:./index.js --outfile=pkg/popup.js

version=$(sed -n 's/^version = "\(.*\)"/\1/p' Cargo.toml | head -n1)
node -e '
  const fs = require("fs");
  const p = JSON.parse(fs.readFileSync("pkg-template/package.json", "utf8"));
  p.version = process.argv[1];
  fs.writeFileSync("pkg/package.json", JSON.stringify(p, null, 2) + "\n");
' "$version"
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
