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
// 3. Functions that can only trap, built by core's panic machinery (`capacity_overflow`,
//    `handle_alloc_error`, the panic entry points): they write a `PanicInfo` (message, arguments,
//    `Location`) on the stack for the panic handler, which here is `unreachable` and reads none
//    of it (src/wasm.rs `runtime`). wasm-opt keeps those stores, since the memory is exported,
//    and with them the addresses of panic strings and `Location`s, which then hold the digit
//    table above in place. Each such function's body becomes `(unreachable)`: the same trap,
//    without the writes into stack memory that nothing reads (after a trap the wrapper reads
//    nothing from the memory; its next call starts a new arena, src/wasm.rs `reset`).
//    Fail-closed: only a function whose last instruction is `unreachable`, that has no loop,
//    branch or return, and whose instructions are constants, locals and globals, arithmetic,
//    stores, `if`, and calls of functions found to be of this kind. About 210 B gzip with the
//    digit table it frees (measured on the 19,166 build).
//
// 4. The panic texts those functions addressed: the standard library's source paths
//    ("/rustc/<commit>/library/….rs"), "capacity overflow" and "memory allocation of … bytes
//    failed". They are zeroed (zeros compress to almost nothing; the layout stays), each only
//    when no constant of the code addresses it or the 64 bytes below it, and every word of the
//    data that points into it (a `Location`'s file) lies where no constant of the code addresses
//    it either; or, in a module with no formatting code (see NO_FORMATTING), when no constant of
//    the code points inside it. About 110 B gzip (measured on the 19,166 build).
//
// 5. The `Location`s (file, line, column) of the texts zeroed in 4., in a module with no
//    formatting code, when nothing points inside them: 29 B gzip (measured on the 18,559 build).
//
// Fail-closed: only the head or the tail of a data segment that is exactly that table is
// dropped (the linker puts it at either end, depending on the layout of the rest), and only
// when no constant of the code (`i32.const A`, a memory access's `offset=A`) nor any aligned
// word of the data addresses it or the 64 bytes below it. A general "nothing addresses it"
// rule is not sound (data reached through pointers stored in other data, tables split by
// wasm-opt at runs of zeros): a review showed one dropping core's whitespace table. Dropped bytes
// read as zero (the memory starts zeroed). Prints what it did.
import fs from "node:fs";

const [input, output] = process.argv.slice(2);
const wat = trapOnly(fs.readFileSync(input, "utf8").replace(/^ \(export "__(data_end|heap_base)" \(global \S+\)\)\n/gm, ""));

/**
 * The text with the body of every function that can only trap (3. above) replaced by
 * `(unreachable)`. Functions are read from wasm-dis's layout: each starts at a line " (func "
 * and ends at its line " )".
 */
function trapOnly(text) {
  const FUNC = /^ \(func (\$\S+)([^\n]*)\n([\s\S]*?)^ \)$/gm;
  const funcs = [...text.matchAll(FUNC)];
  const SAFE = new Set(["nop", "drop", "unreachable", "if", "then", "else", "call", "global.get", "global.set", "local.get", "local.set", "local.tee",
    "i32.const", "i64.const", "i32.add", "i32.sub", "i32.or", "i32.and", "i64.or", "i64.shl", "i64.extend_i32_u",
    "i32.store", "i32.store8", "i32.store16", "i64.store"]);
  // A body's instructions as a tree of [op, ...children] (immediates are atoms in children).
  const parse = (body) => {
    const stack = [[]];
    for (const [tok] of body.matchAll(/\(|\)|[^\s()]+/g)) {
      if (tok === "(") stack.push([]);
      else if (tok === ")") {
        const node = stack.pop();
        stack[stack.length - 1].push(node);
      } else stack[stack.length - 1].push(tok);
    }
    return stack.length === 1 ? stack[0] : null;
  };
  const found = new Set();
  const ok = (node) =>
    typeof node === "string" ||
    (SAFE.has(node[0]) &&
      (node[0] !== "call" || found.has(node[1])) &&
      node.slice(1).every((c) => typeof c === "string" ? /^(\$|offset=|align=|-?\d)/.test(c) || c === "i32" : c[0] === "result" || ok(c)));
  const decls = new Set(["local"]);
  let grew = true;
  while (grew) {
    grew = false;
    for (const [, name, , body] of funcs) {
      if (found.has(name)) continue;
      const nodes = parse(body)?.filter((n) => !(Array.isArray(n) && decls.has(n[0])));
      const last = nodes?.[nodes.length - 1];
      if (nodes?.length && Array.isArray(last) && last[0] === "unreachable" && last.length === 1 && nodes.every(ok)) {
        found.add(name);
        grew = true;
      }
    }
  }
  if (!found.size) return text;
  console.log(`post-link: ${found.size} function(s) that only trap reduced to unreachable: ${[...found].join(" ")}`);
  return text.replace(FUNC, (whole, name, header) =>
    found.has(name) ? ` (func ${name}${header}\n  (unreachable)\n )` : whole);
}

// Every constant that could be an address: the code's (`i32.const A`, `offset=A`), and every
// aligned word of the data, as [the word's address, its value].
const code = wat.replace(/^ \(data .*$/gm, "");
const codeAddresses = [...code.matchAll(/i32\.const (\d+)|offset=(\d+)/g)].map((m) => Number(m[1] ?? m[2]));
// The data segments, each as its address and its bytes (read once: the rules below zero
// them in place, after these words were taken).
const DATA = /^ \(data (\$\S+) \(i32\.const (\d+)\) "((?:[^"\\]|\\.)*)"\)$/gm;
const segments = [...wat.matchAll(DATA)].map(([, , start, text]) => ({ s: Number(start), bytes: unescape(text), zeroed: 0 }));
const dataWords = [];
for (const { s, bytes } of segments) {
  for (let i = (4 - (s % 4)) % 4; i + 4 <= bytes.length; i += 4) dataWords.push([s + i, bytes.readUInt32LE(i)]);
}
const addresses = [...codeAddresses, ...dataWords.map(([, v]) => v)];

/**
 * Whether the module names its functions (rustc's mangled names, kept by wasm-opt -g) and none
 * of them is core::fmt's or a `fmt` method (their mangled names hold "fmt"): then no code
 * formats anything.
 */
const FUNCTION_NAMES = [...wat.matchAll(/^ \(func (\$\S+)/gm)].map((m) => m[1]);
const NO_FORMATTING = FUNCTION_NAMES.some((n) => /^\$_(ZN|R)/.test(n)) && !FUNCTION_NAMES.some((n) => n.includes("fmt"));

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

const PANIC_TEXTS = [/\/rustc\/[0-9a-f]{40}\/library\/[a-z0-9_/]+\.rs/g, /capacity overflow/g, /memory allocation of [\s\S]{0,8}? bytes failed/g];
/** The ranges of the panic texts zeroed, as [from, to). */
const zeroedTexts = [];
const codeNear = (from, to) => codeAddresses.some((a) => a >= from - 64 && a < to);
/** Zeroes the panic texts (4. above) of the segment at `s` in `bytes`; how many bytes it zeroed. */
function zeroPanicTexts(s, bytes) {
  const latin = bytes.toString("latin1");
  let n = 0;
  for (const re of PANIC_TEXTS) {
    for (const m of latin.matchAll(re)) {
      const from = s + m.index;
      const to = from + m[0].length;
      // A constant inside it is a use whatever the names; else, with no formatting code (only
      // core::fmt and the panic machinery read these texts), nothing can read it; else the
      // 64-byte rule, for the code and for the data the code addresses.
      const kept = codeAddresses.some((a) => a >= from && a < to)
        ? "code points into it"
        : NO_FORMATTING
          ? null
          : codeNear(from, to)
            ? "code addresses it"
            : dataWords.some(([at, v]) => v >= from && v < to && codeNear(at, at + 16))
              ? "data the code addresses points at it"
              : null;
      if (kept) {
        console.log(`post-link: kept ${JSON.stringify(m[0].slice(0, 30))}: ${kept}`);
        continue;
      }
      bytes.fill(0, m.index, m.index + m[0].length);
      zeroedTexts.push([from, to]);
      n += m[0].length;
    }
  }
  if (n) console.log(`post-link: zeroed ${n} B of panic texts at ${s}, which no code addresses`);
  return n;
}

// Every segment's panic texts zeroed (4.), then the Locations of those texts (5.).
for (const seg of segments) seg.zeroed = zeroPanicTexts(seg.s, seg.bytes);
zeroLocations();

/**
 * 5. The `Location`s of zeroed panic texts — { file: &str, line: u32, col: u32 }, 16 bytes whose
 * first word points into a text zeroed here and whose second is a length within it — are zeroed
 * too, in a module with no formatting code (see NO_FORMATTING: only the panic machinery, whose
 * functions here only trap, reads a Location), each only when no constant of the code and no
 * word of the data points inside it.
 */
function zeroLocations() {
  if (!NO_FORMATTING) return;
  for (const seg of segments) {
    const { s, bytes } = seg;
    for (let i = (4 - (s % 4)) % 4; i + 16 <= bytes.length; i += 4) {
      const file = bytes.readUInt32LE(i);
      const len = bytes.readUInt32LE(i + 4);
      if (!len || !zeroedTexts.some(([from, to]) => file >= from && file + len <= to)) continue;
      if (addresses.some((a) => a >= s + i && a < s + i + 16)) {
        console.log(`post-link: kept the Location at ${s + i}: addressed`);
        continue;
      }
      bytes.fill(0, i, i + 16);
      seg.zeroed += 16;
      console.log(`post-link: zeroed the Location at ${s + i} of a zeroed panic text`);
    }
  }
}

let dropped = 0;
let index = 0;
const result = wat.replace(DATA, (line, name) => {
  const { s, bytes, zeroed } = segments[index++];
  if (zeroed) line = ` (data ${name} (i32.const ${s}) "${escape(bytes)}")`;
  const head = DIGIT_PAIRS.length;
  // Where the table starts in this segment: at its head, or at its tail; else it is not here.
  const at = bytes.subarray(0, head).equals(DIGIT_PAIRS)
    ? 0
    : bytes.length >= head && bytes.subarray(bytes.length - head).equals(DIGIT_PAIRS)
      ? bytes.length - head
      : -1;
  if (at < 0) return line;
  // Nothing addresses it or the 64 bytes below it; or, in a module with its functions' names
  // (build-pkg.sh's first round keeps them: -g), none of them is core::fmt's, the only code
  // that reads this private table of core::fmt::num, and nothing points inside it.
  const near = addresses.some((a) => a >= s + at - 64 && a < s + at + head);
  const inside = addresses.some((a) => a >= s + at && a < s + at + head);
  if (near && (inside || !NO_FORMATTING)) {
    console.log(`post-link: core::fmt's digit table at ${s + at} is addressed: kept`);
    return line;
  }
  console.log(`post-link: dropped core::fmt's digit table (${head} B at ${s + at} in ${name}), which nothing addresses`);
  dropped += head;
  const rest = at === 0 ? bytes.subarray(head) : bytes.subarray(0, at);
  return rest.length ? ` (data ${name} (i32.const ${at === 0 ? s + head : s}) "${escape(rest)}")` : "";
});
fs.writeFileSync(output, result);
if (!dropped) console.log("post-link: no data dropped");
