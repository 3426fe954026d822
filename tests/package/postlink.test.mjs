// scripts/post-link.mjs rewrites the shipped module's text between two wasm-opt rounds: these
// tests hold each of its rules to what it may and may not touch, on small modules written for
// them (its output on the real module is tested by every package test, which runs pkg/).
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import test from "node:test";
import { fileURLToPath } from "node:url";

const SCRIPT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../scripts/post-link.mjs");
const DIGITS = Array.from({ length: 100 }, (_, i) => String(i).padStart(2, "0")).join("");
const HASH = "59807616e1fa2540724bfbac14d7976d7e4a3860";

/** Runs post-link on `wat`; its output text and what it printed. */
function postLink(wat) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "post-link-"));
  try {
    fs.writeFileSync(path.join(dir, "in.wat"), wat);
    const log = execFileSync(process.execPath, [SCRIPT, path.join(dir, "in.wat"), path.join(dir, "out.wat")], { encoding: "utf8" });
    return { out: fs.readFileSync(path.join(dir, "out.wat"), "utf8"), log };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** A module in wasm-dis's layout: its functions, then one data segment at 1048576. */
const module = (funcs, data) => `(module
 (type $0 (func (param i32)))
 (global $global$0 (mut i32) (i32.const 1048000))
 (memory $0 17)
 (export "memory" (memory $0))
${funcs.join("\n")}
 (data $0 (i32.const 1048576) "${data}")
)
`;

// A panic builder as wasm-opt leaves it: a PanicInfo written on the stack, then the trap.
const panicBuilder = (name, location) => ` (func ${name} (param $0 i32)
  (local $1 i32)
  (global.set $global$0
   (local.tee $1
    (i32.sub
     (global.get $global$0)
     (i32.const 32)
    )
   )
  )
  (i32.store offset=24
   (local.get $1)
   (i32.const ${location})
  )
  (unreachable)
 )`;

test("post-link 3: a function that can only trap (stores, constants, calls of such functions, then unreachable) becomes (unreachable); one with a load, a loop, a branch, a call of another function, or no final trap is left as it is", () => {
  const wat = module(
    [
      panicBuilder("$p", 1048576),
      ` (func $caller (param $0 i32)
  (if
   (local.get $0)
   (then
    (call $p
     (local.get $0)
    )
   )
  )
  (unreachable)
 )`,
      ` (func $loads (param $0 i32)
  (i32.store
   (local.get $0)
   (i32.load
    (local.get $0)
   )
  )
  (unreachable)
 )`,
      ` (func $loops (param $0 i32)
  (loop $l
   (br $l)
  )
  (unreachable)
 )`,
      ` (func $calls-other (param $0 i32)
  (call $returns
   (local.get $0)
  )
  (unreachable)
 )`,
      ` (func $returns (param $0 i32)
  (i32.store
   (local.get $0)
   (i32.const 1)
  )
 )`,
    ],
    "hello",
  );
  const { out, log } = postLink(wat);
  const body = (name) => out.match(new RegExp(`^ \\(func \\${name}[^\\n]*\\n([\\s\\S]*?)^ \\)$`, "m"))?.[1].trim();
  assert.equal(body("$p"), "(unreachable)");
  assert.equal(body("$caller"), "(unreachable)", "a caller of a trap-only function that then traps is one too");
  for (const kept of ["$loads", "$loops", "$calls-other", "$returns"]) assert.notEqual(body(kept), "(unreachable)", kept);
  assert.match(out, /\(func \$p \(param \$0 i32\)\n/, "the signature stays");
  assert.match(log, /2 function\(s\) that only trap/);
});

test("post-link 2: core::fmt's digit table is dropped at a segment's head or tail when nothing addresses it or the 64 bytes below it, and kept otherwise", () => {
  const text = "x".repeat(100);
  // At the tail, nothing addressing it: dropped; the rest of the segment stays where it was.
  let { out } = postLink(module([], text + DIGITS));
  assert.ok(!out.includes(DIGITS));
  assert.ok(out.includes(`(data $0 (i32.const 1048576) "${text}")`));
  // At the head: dropped, the rest moves up by 200.
  ({ out } = postLink(module([], DIGITS + text)));
  assert.ok(out.includes(`(data $0 (i32.const ${1048576 + 200}) "${text}")`));
  // A constant of the code addressing 60 bytes below the table (a base with an offset): kept.
  const near = ` (func $f (param $0 i32)
  (drop
   (i32.const ${1048576 + 100 - 60})
  )
 )`;
  ({ out } = postLink(module([near], text + DIGITS)));
  assert.ok(out.includes(DIGITS), "kept when the code addresses the 64 bytes below it");
  // The same constant, in a module whose functions are named (wasm-opt -g) and none of them is
  // core::fmt's: dropped (only core::fmt reads the table); with one that is: kept; and a
  // constant inside the table keeps it whatever the names.
  const named = (name) => ` (func ${name} (param $0 i32)\n  (nop)\n )`;
  ({ out } = postLink(module([near, named("$_ZN10pleo_oauth4text7decimal17h0123456789abcdefE")], text + DIGITS)));
  assert.ok(!out.includes(DIGITS), "dropped when no named function formats");
  ({ out } = postLink(module([near, named("$_ZN4core3fmt9Formatter12pad_integral17h0123456789abcdefE")], text + DIGITS)));
  assert.ok(out.includes(DIGITS), "kept when a core::fmt function is there");
  const inside = near.replace(String(1048576 + 100 - 60), String(1048576 + 100 + 10));
  ({ out } = postLink(module([inside, named("$_ZN10pleo_oauth4text7decimal17h0123456789abcdefE")], text + DIGITS)));
  assert.ok(out.includes(DIGITS), "kept when a constant points inside it");
  // In the middle of a segment: not touched.
  ({ out } = postLink(module([], text + DIGITS + text)));
  assert.ok(out.includes(DIGITS));
});

test("post-link 4: panic texts are zeroed in place only when neither the code nor data the code addresses points at them", () => {
  const path1 = `/rustc/${HASH}/library/alloc/src/raw_vec/mod.rs`;
  const pad = "y".repeat(80);
  // Nothing addresses the texts: zeroed, same length (the layout stays).
  let { out } = postLink(module([], pad + path1 + "capacity overflow" + pad));
  assert.ok(!out.includes("/rustc/") && !out.includes("capacity overflow"));
  const zeros = "\\00".repeat(path1.length + "capacity overflow".length);
  assert.ok(out.includes(pad + zeros + pad), "zeroed in place");
  // The code addresses the path (a panic builder that was not reduced, here called by nothing
  // that traps, and with a load so that it is not trap-only): kept.
  const user = ` (func $u (param $0 i32)
  (drop
   (i32.load
    (i32.const ${1048576 + 80})
   )
  )
 )`;
  ({ out } = postLink(module([user], pad + path1 + pad)));
  assert.ok(out.includes(path1), "kept when the code addresses it");
  // A Location (data) points at the path, and the code addresses that Location: kept.
  const at = 1048576 + 80;
  const le = (n) => [0, 8, 16, 24].map((s) => `\\${((n >> s) & 255).toString(16).padStart(2, "0")}`).join("");
  const location = le(at) + le(path1.length) + le(7) + le(9);
  const locationAt = 1048576 + 80 + path1.length + 80 + 4 - ((80 + path1.length + 80) % 4);
  const data = pad + path1 + pad + "z".repeat(4 - ((80 + path1.length + 80) % 4)) + location;
  const addressesLocation = ` (func $l (param $0 i32)
  (drop
   (i32.load
    (i32.const ${locationAt})
   )
  )
 )`;
  ({ out } = postLink(module([addressesLocation], data)));
  assert.ok(out.includes(path1), "kept when a Location the code addresses points at it");
  // The same Location, with no code addressing it: zeroed.
  ({ out } = postLink(module([], data)));
  assert.ok(!out.includes(path1));
  // In a module whose functions are named and none formats: zeroed although the Location is
  // addressed (only formatting code reads a panic text), but kept when a constant points inside it.
  const named = ` (func $_ZN10pleo_oauth4text7decimal17h0123456789abcdefE (param $0 i32)\n  (nop)\n )`;
  ({ out } = postLink(module([addressesLocation, named], data)));
  assert.ok(!out.includes(path1), "zeroed with no formatting code");
  ({ out } = postLink(module([user, named], pad + path1 + pad)));
  assert.ok(out.includes(path1), "kept when a constant points inside it, names or not");
  const fmt = ` (func $_ZN4core3fmt9Formatter12pad_integral17h0123456789abcdefE (param $0 i32)\n  (nop)\n )`;
  ({ out } = postLink(module([addressesLocation, fmt], data)));
  assert.ok(out.includes(path1), "kept when formatting code is there");
});

test("post-link 5: the Location of a zeroed panic text is zeroed in a module with no formatting code, unless a constant of the code or a word of the data points inside it", () => {
  const path1 = `/rustc/${HASH}/library/core/src/str/mod.rs`;
  const pad = "y".repeat(80);
  const le = (n) => [0, 8, 16, 24].map((s) => `\\${((n >> s) & 255).toString(16).padStart(2, "0")}`).join("");
  const textAt = 1048576 + 80;
  const location = le(textAt) + le(path1.length) + le(553) + le(9);
  const fill = "z".repeat(4 - ((80 + path1.length + 80) % 4));
  const locationAt = 1048576 + 80 + path1.length + 80 + fill.length;
  const data = pad + path1 + pad + fill + location + "tail";
  const named = ` (func $_ZN10pleo_oauth4text7decimal17h0123456789abcdefE (param $0 i32)\n  (nop)\n )`;
  const zeroedLocation = pad + "\\00".repeat(path1.length) + pad + fill + "\\00".repeat(16) + "tail";
  // Nothing points inside it: zeroed with its text, in place.
  let { out, log } = postLink(module([named], data));
  assert.ok(out.includes(zeroedLocation), "zeroed in place");
  assert.match(log, new RegExp(`zeroed the Location at ${locationAt}`));
  // A constant of the code inside it (its line, read at an offset): kept, its text zeroed.
  const reads = ` (func $r (param $0 i32)\n  (drop\n   (i32.load\n    (i32.const ${locationAt + 8})\n   )\n  )\n )`;
  ({ out, log } = postLink(module([named, reads], data)));
  assert.match(log, new RegExp(`kept the Location at ${locationAt}: addressed`), "kept when the code points inside it");
  assert.ok(!out.includes(zeroedLocation) && !out.includes(path1), "its text zeroed");
  // A word of the data pointing at it (a static holding &Location): kept.
  ({ log } = postLink(module([named], data + le(locationAt))));
  assert.match(log, new RegExp(`kept the Location at ${locationAt}: addressed`), "kept when the data points at it");
  // A module with formatting code (which may read a Location): untouched, its text zeroed.
  const fmt = ` (func $_ZN4core3fmt9Formatter12pad_integral17h0123456789abcdefE (param $0 i32)\n  (nop)\n )`;
  ({ out, log } = postLink(module([fmt], data)));
  assert.ok(!out.includes(path1) && !out.includes(zeroedLocation) && !log.includes("Location"), "kept when formatting code is there");
  // A pair of words like a Location whose text was not zeroed (not a panic text): untouched.
  const other = pad + "not a panic text, no" + pad;
  const plain = le(textAt) + le(20) + le(1) + le(2);
  const otherFill = "z".repeat(4 - ((80 + 20 + 80) % 4 || 4));
  ({ log } = postLink(module([named], other + otherFill + plain)));
  assert.ok(!log.includes("Location"), "only Locations of zeroed texts");
});
