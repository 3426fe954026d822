// The wasm's bytes by source module: rustc's output for the shipped build (before wasm-opt,
// which inlines nearly everything into `call`, so only this view can attribute bytes to
// modules), `twiggy top` shallow bytes summed by module. The closing notes' "byte anatomy".
//
//   scripts/build-pkg.sh && node scripts/anatomy.mjs [path/to/pleo_oauth.wasm]
//
// Needs twiggy (`cargo install twiggy`). "(core)" and "(alloc/Vec)" are standard-library code;
// part of "(core)" is core::fmt that nothing calls and wasm-opt drops, so the module's own rows
// are the ones to compare between builds.
import { execFileSync } from "node:child_process";
import path from "node:path";
import { fileURLToPath } from "node:url";

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const wasm = process.argv[2] ?? path.join(REPO, "target/wasm32-unknown-unknown/release/pleo_oauth.wasm");
const rows = JSON.parse(execFileSync("twiggy", ["top", "-n", "100000", "-f", "json", wasm], { encoding: "utf8", maxBuffer: 1 << 26 }));

const part = (name) => {
  if (name === '"function names" subsection') return null; // stripped from the shipped module
  if (name.startsWith("data segment") || name.startsWith("data[")) return "(data)";
  const own = name.match(/pleo_oauth::([a-z_0-9]+)/);
  if (own) return own[1];
  if (/^<?alloc|raw_vec|RawVec|<alloc/.test(name)) return "(alloc/Vec)";
  if (/core\[|^<core|^core::|^<?[a-z0-9]+ as core/.test(name)) return "(core)";
  return "(other: exports, types, tables)";
};
const sums = new Map();
let total = 0;
for (const r of rows.items ?? rows) {
  const p = part(r.name);
  if (p === null) continue;
  sums.set(p, (sums.get(p) ?? 0) + r.shallow_size);
  total += r.shallow_size;
}
console.log(`| part | raw bytes (before wasm-opt) |\n| --- | ---: |`);
for (const [p, n] of [...sums].sort((a, b) => b[1] - a[1])) console.log(`| ${p} | ${n.toLocaleString("en")} |`);
console.log(`| **total, without the names section** | **${total.toLocaleString("en")}** |`);
