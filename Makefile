# pleo-oauth — see README.md.
#   make demo   builds the package and runs the Connect-to-Pleo demo (www/) until Ctrl-C
#   make test   everything CI runs: fmt, clippy, native tests, browser tests, package build + tests, e2e
#   make pkg    the npm package in pkg/
SHELL := /bin/bash
.SHELLFLAGS := -euo pipefail -c
export PATH := $(CURDIR)/node_modules/.bin:$(HOME)/.cargo/bin:$(PATH)
export CHROMEDRIVER ?= /usr/bin/chromedriver

.PHONY: test tools lint fmt-check clippy unit browser pkg package-test server-test examples consumers snippets e2e size demo clean bench fuzz

test: tools lint unit browser pkg package-test server-test examples consumers snippets e2e size
	@echo "make test: all checks passed"

tools:
	@scripts/install-tools.sh

lint: fmt-check clippy

fmt-check:
	cargo fmt --check

clippy:
	cargo clippy --all-targets -- -D warnings
	cargo clippy --all-targets --features server -- -D warnings
	cargo clippy --all-targets --target wasm32-unknown-unknown -- -D warnings
	cargo clippy --lib --target wasm32-unknown-unknown --features wasm-runtime -- -D warnings

# Native unit tests of the pure core, with the backend half (--features server).
unit:
	cargo test --features server

# wasm_bindgen_test tests in headless Chromium (flags in webdriver.json).
browser:
	wasm-pack test --headless --chrome

pkg:
	scripts/build-pkg.sh

# The assembled package in Chromium (wrapper, lazy init, CSP, full redirect round trip) and in Node.
package-test: pkg
	node --test tests/package/

# pleo-oauth/server (pkg/server.js + its server wasm) against the strict oidc-provider stand-in,
# with SQLite stores (better-sqlite3): exchange, bound check, refresh single flight in one and
# in two processes, sealed tokens.
server-test: pkg
	node --test tests/server/

# The Rust partner backend (examples/axum-backend, on pleo_oauth::server) linted, built and driven
# against the stand-in: bound handoff, exchange, hostile bodies, refresh single flight.
examples:
	cargo clippy --quiet --manifest-path examples/axum-backend/Cargo.toml -- -D warnings
	cargo build --quiet --manifest-path examples/axum-backend/Cargo.toml
	node --test tests/examples/

# The packed tarball in a Vite app, a plain ESM page, a Node (SSR) import and a strict TS consumer.
consumers: pkg
	node --test --test-concurrency=1 tests/consumers/

# Every ts/tsx snippet of pkg-template/README.md and README.md, against the packed tarball, as
# partners' linters check it: tsc --strict, and ESLint with typescript-eslint and
# eslint-plugin-react-hooks (exhaustive-deps an error). Versions pinned in tests/snippets/.
snippets: pkg
	node --test tests/snippets/

# The demo in Chromium against the oidc-provider stand-in (screenshots in test-output/e2e/).
e2e: pkg
	node --test tests/e2e/

# gzip / brotli bytes of what the package ships; fails above scripts/size-budget.json.
size: pkg
	@node scripts/size.mjs

# PORT (default 3000) and AUTH_PORT (default 3001) move it; PLEO_CLIENT_ID, PLEO_CLIENT_SECRET
# and PLEO_ENV=staging|production point it at real Pleo instead of the local stand-in.
demo:
	@scripts/install-tools.sh --no-browser
	@$(MAKE) --no-print-directory pkg >/dev/null
	@exec node www/server.mjs

clean:
	rm -rf pkg target

# pleo-oauth next to oauth4webapi, oidc-client-ts and @badgateway/oauth2-client in headless
# Chromium: bytes shipped, cold load → URL, warm round trips, click → navigation; prints a
# Markdown table and writes target/bench/bench.{md,json}. Timing is not a test: not in `test`.
bench: pkg
	node scripts/bench/bench.mjs

# The property tests (tests/properties.rs, 500 cases each in `unit`) in release, with enough
# cases per property for at least FUZZ_CASES generated inputs in all; then, when cargo-fuzz and
# a nightly toolchain are installed, each libFuzzer target in fuzz/ for FUZZ_SECONDS. Not part
# of `test`: minutes, not a gate. See tests/README.md "Property tests and fuzzing".
FUZZ_CASES ?= 1000000
FUZZ_SECONDS ?= 60
fuzz:
	cargo test --release --test properties --no-run
	@all=$$(cargo test -q --release --test properties -- --list 2>/dev/null | grep -c ': test$$'); \
	 ignored=$$(cargo test -q --release --test properties -- --list --ignored 2>/dev/null | grep -c ': test$$' || true); \
	 n=$$((all - ignored)); cases=$$(( ($(FUZZ_CASES) + n - 1) / n )); \
	 echo "property tests: $$n properties x $$cases cases = $$((n * cases)) generated cases (release)"; \
	 time PROPTEST_CASES=$$cases cargo test --release --test properties
	@if cargo +nightly fuzz --version >/dev/null 2>&1; then \
	   for target in callback snapshot; do \
	     echo "cargo fuzz: $$target for $(FUZZ_SECONDS) s"; \
	     cargo +nightly fuzz run $$target -- -max_total_time=$(FUZZ_SECONDS) -dict=fuzz/$$target.dict -print_final_stats=1 2>&1 | tail -n 25; \
	   done; \
	 else \
	   echo "cargo fuzz: skipped (needs cargo-fuzz and a nightly toolchain: cargo install cargo-fuzz)"; \
	 fi
