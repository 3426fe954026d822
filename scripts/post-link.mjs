// What the linker and wasm-opt leave in the shipped module that nothing uses, taken out of
// wasm-dis's text of the optimised module (build-pkg.sh optimises the result once more):
//
//   node scripts/post-link.mjs in.wat out.wat
//
// 1. The linker's address globals, `__data_end` and `__heap_base`, are not exported: the
//    wrapper reads only `memory`, `input` and `call` (the module's allocator finds its heap from
//    the memory's size, src/wasm.rs).
// 2. Data no instruction can reach: the unreferenced head of a data segment.
//
// Why: code that rustc links and wasm-opt later removes can leave its constant data behind
// (wasm-opt keeps every data segment of an exported memory). The case that pays: core::fmt's
// 200-byte table of decimal digit pairs, referenced only by integer formatting for messages of
// allocation failures and bounds panics — paths that trap here without formatting anything —
// and, being digits, nearly incompressible (about 250 B gzip).
//
// The rule (conservative): static data is addressed by constants, `i32.const A` or a memory
// access's `offset=A`, pointing at the start of an object or into it. The bytes of a segment
// from its start up to the first such address inside it are dropped when no such address lies
// in the 64 bytes below the segment either (an index folded into a constant points a little
// before the object it reads). Dropped bytes read as zero (the memory starts zeroed); nothing
// can read them. Prints what it dropped.
import fs from "node:fs";

const [input, output] = process.argv.slice(2);
const wat = fs.readFileSync(input, "utf8").replace(/^ \(export "__(data_end|heap_base)" \(global \S+\)\)\n/gm, "");

// Every constant that could be an address, outside the data segments themselves.
const code = wat.replace(/^ \(data .*$/gm, "");
const addresses = [...code.matchAll(/i32\.const (\d+)|offset=(\d+)/g)].map((m) => Number(m[1] ?? m[2])).sort((a, b) => a - b);

/** The bytes of a wat string literal. */
function unescape(s) {
  const out = [];
  for (let i = 0; i < s.length; i++) {
    if (s[i] !== "\\") {
      out.push(...Buffer.from(s[i], "utf8"));
      continue;
    }
    const next = s[i + 1];
    if (/[0-9a-f]/i.test(next) && /[0-9a-f]/i.test(s[i + 2])) {
      out.push(parseInt(s.slice(i + 1, i + 3), 16));
      i += 2;
    } else {
      out.push({ n: 10, t: 9, r: 13, '"': 34, "'": 39, "\\": 92 }[next]);
      i += 1;
    }
  }
  return Buffer.from(out);
}

/** A wat string literal of `bytes`. */
function escape(bytes) {
  let s = "";
  for (const b of bytes) s += b >= 0x20 && b < 0x7f && b !== 0x22 && b !== 0x5c ? String.fromCharCode(b) : `\\${b.toString(16).padStart(2, "0")}`;
  return s;
}

let dropped = 0;
const result = wat.replace(/^ \(data (\$\S+) \(i32\.const (\d+)\) "((?:[^"\\]|\\.)*)"\)$/gm, (line, name, start, text) => {
  const s = Number(start);
  const bytes = unescape(text);
  const end = s + bytes.length;
  if (addresses.some((a) => a >= s - 64 && a < s)) return line;
  const first = addresses.find((a) => a >= s && a < end);
  const head = (first ?? end) - s;
  if (head < 16) return line;
  if (first === undefined) {
    console.log(`post-link: dropped segment ${name} (${bytes.length} B at ${s}), which nothing addresses`);
    dropped += bytes.length;
    return "";
  }
  console.log(`post-link: dropped the first ${head} B of segment ${name} (at ${s}), which nothing addresses: ${JSON.stringify(bytes.subarray(0, Math.min(head, 24)).toString("latin1"))}…`);
  dropped += head;
  return ` (data ${name} (i32.const ${first}) "${escape(bytes.subarray(head))}")`;
});
fs.writeFileSync(output, result);
if (!dropped) console.log("post-link: nothing to drop");
