#!/usr/bin/env bash
# Installs what `make test` / `make pkg` need, skipping whatever is already there.
# Idempotent: on a warm machine this takes seconds; on a fresh one about 10-12 minutes.
#
#   scripts/install-tools.sh            everything `make test` needs
#   scripts/install-tools.sh --no-browser   without Chromium (enough for `make pkg` / `make demo`)
set -euo pipefail
cd "$(dirname "$0")/.."
with_browser=1
[ "${1:-}" = "--no-browser" ] && with_browser=0

export PATH="$HOME/.cargo/bin:$PATH"
log() { printf '[install-tools] %s\n' "$*"; }

# The wasm-bindgen version in Cargo.lock (Cargo.toml pins it with "=X", so the two agree).
WB_VERSION=$(awk '/^name = "wasm-bindgen"$/ { getline; gsub(/"/, "", $3); print $3; exit }' Cargo.lock)
if [ -z "$WB_VERSION" ]; then
  echo "install-tools: could not read the wasm-bindgen version from Cargo.lock" >&2
  exit 1
fi

# 1. wasm32 target
if ! rustup target list --installed | grep -qx wasm32-unknown-unknown; then
  log "adding rust target wasm32-unknown-unknown"
  rustup target add wasm32-unknown-unknown
fi

# 2. rustfmt / clippy (present on the image, but be sure)
for comp in rustfmt clippy; do
  if ! rustup component list --installed 2>/dev/null | grep -q "^$comp"; then
    log "adding rust component $comp"
    rustup component add "$comp"
  fi
done

# 3. Chromium + chromedriver (Debian's), for wasm-pack test and the e2e tests
if [ "$with_browser" = 1 ] && { ! command -v chromium >/dev/null 2>&1 || ! command -v chromedriver >/dev/null 2>&1; }; then
  log "installing chromium and chromium-driver from Debian"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq chromium chromium-driver >/dev/null
fi

# 3b. PostgreSQL (Debian's), for pleo-oauth/server's Postgres store: tests/server start a
#     throwaway cluster of their own (tests/support/postgres.mjs); nothing runs as a service.
if ! ls /usr/lib/postgresql/*/bin/postgres >/dev/null 2>&1; then
  log "installing postgresql from Debian"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq postgresql >/dev/null
fi

# 4. wasm-bindgen CLI at exactly the pinned version (wasm-pack would otherwise try to download one).
#    No --locked: the registry lacks one pinned transitive version (see shared/TOOLCHAIN.md).
if ! command -v wasm-bindgen >/dev/null 2>&1 || [ "$(wasm-bindgen --version | awk '{print $2}')" != "$WB_VERSION" ]; then
  log "installing wasm-bindgen-cli $WB_VERSION (about 6 minutes)"
  cargo install wasm-bindgen-cli --version "$WB_VERSION" --force
fi

# 5. wasm-pack
if ! command -v wasm-pack >/dev/null 2>&1; then
  log "installing wasm-pack (about 4 minutes)"
  cargo install wasm-pack --locked
fi

# 6. npm dev tools (binaryen's wasm-opt, typescript, esbuild, terser, playwright-core) and the demo's
#    dependencies (oidc-provider), each from its committed lock file
#    better-sqlite3 (pleo-oauth/server's SQLite store in tests/server) is compiled from source
#    by its install script (allowed in package.json "allowScripts"; its prebuilt binaries are
#    downloads, which this machine cannot make).
if [ ! -x node_modules/.bin/wasm-opt ] || [ ! -x node_modules/.bin/tsc ] || [ ! -x node_modules/.bin/esbuild ] || [ ! -x node_modules/.bin/terser ] || [ ! -f node_modules/better-sqlite3/build/Release/better_sqlite3.node ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  log "installing npm dev tools"
  npm ci --no-audit --no-fund
fi
if [ ! -f node_modules/better-sqlite3/build/Release/better_sqlite3.node ]; then
  log "building better-sqlite3"
  npm rebuild better-sqlite3 --no-audit --no-fund
fi
if [ ! -d www/node_modules/oidc-provider ] || [ www/package-lock.json -nt www/node_modules/.package-lock.json ]; then
  log "installing the demo's npm dependencies"
  npm ci --prefix www --no-audit --no-fund
fi
if [ "$with_browser" = 1 ] && { [ ! -x tests/consumers/node_modules/.bin/vite ] || [ tests/consumers/package-lock.json -nt tests/consumers/node_modules/.package-lock.json ]; }; then
  log "installing the consumer fixtures' npm dependencies (vite)"
  npm ci --prefix tests/consumers --no-audit --no-fund
fi
if [ ! -x tests/snippets/node_modules/.bin/eslint ] || [ tests/snippets/package-lock.json -nt tests/snippets/node_modules/.package-lock.json ]; then
  log "installing the README snippet check's npm dependencies (typescript, eslint)"
  npm ci --prefix tests/snippets --no-audit --no-fund
fi

log "tools ready"
