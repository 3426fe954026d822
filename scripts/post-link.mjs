// What the linker and wasm-opt leave in the shipped module that nothing uses, taken out of
// wasm-dis's text of the optimised module (build-pkg.sh optimises the result once more):
//
//   node scripts/post-link.mjs in.wat out.wat
//
// 1. The linker's address globals, `__data_end` and `__heap_base`, are not exported: the
//    wrapper reads only `memory`, `input` and `call` (the module's allocator finds its heap from
//    the memory's size, src/wasm.rs).
// 2. core::fmt's table of the decimal digit pairs "00".."99" (200 bytes), left behind by the
//    integer formatting of messages (allocation failures, bounds panics) on paths that trap here
//    without formatting anything: wasm-opt removes that code but keeps every data segment of an
//    exported memory. Being digits, the table is nearly incompressible (about 250 B gzip).
//
// Fail-closed: only the head of a data segment that is exactly that table is dropped, and only
// when no constant of the code (`i32.const A`, a memory access's `offset=A`) nor any aligned
// word of the data addresses it or the 64 bytes below it. A general "nothing addresses it"
// rule is not sound (data reached through pointers stored in other data, tables split by
// wasm-opt at runs of zeros): a review showed one dropping core's whitespace table. Dropped bytes
// read as zero (the memory starts zeroed). Prints what it did.
import fs from "node:fs";

const [input, output] = process.argv.slice(2);
const wat = fs.readFileSync(input, "utf8").replace(/^ \(export "__(data_end|heap_base)" \(global \S+\)\)\n/gm, "");

// Every constant that could be an address: the code's, and every aligned word of the data.
const code = wat.replace(/^ \(data .*$/gm, "");
const addresses = [...code.matchAll(/i32\.const (\d+)|offset=(\d+)/g)].map((m) => Number(m[1] ?? m[2]));
for (const [, start, text] of wat.matchAll(/^ \(data \$\S+ \(i32\.const (\d+)\) "((?:[^"\\]|\\.)*)"\)$/gm)) {
  const bytes = unescape(text);
  for (let i = (4 - (Number(start) % 4)) % 4; i + 4 <= bytes.length; i += 4) addresses.push(bytes.readUInt32LE(i));
}
addresses.sort((a, b) => a - b);

/** core::fmt's DEC_DIGITS_LUT: "000102…9899". */
const DIGIT_PAIRS = Buffer.from(Array.from({ length: 100 }, (_, i) => String(i).padStart(2, "0")).join(""), "latin1");

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
  if (!bytes.subarray(0, DIGIT_PAIRS.length).equals(DIGIT_PAIRS)) return line;
  const head = DIGIT_PAIRS.length;
  if (addresses.some((a) => a >= s - 64 && a < s + head)) {
    console.log(`post-link: core::fmt's digit table at ${s} is addressed: kept`);
    return line;
  }
  console.log(`post-link: dropped core::fmt's digit table (${head} B at ${s} in ${name}), which nothing addresses`);
  dropped += head;
  return bytes.length > head ? ` (data ${name} (i32.const ${s + head}) "${escape(bytes.subarray(head))}")` : "";
});
fs.writeFileSync(output, result);
if (!dropped) console.log("post-link: no data dropped");
