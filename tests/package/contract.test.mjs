// Drift test: docs/API.md (the public contract) against the code it describes. Reads the
// sources, not the build, and needs no browser:
//
//   node --test tests/package/contract.test.mjs
//
// What must agree, as sets (order and formatting do not matter):
// - the error codes of docs/API.md's "Error codes" table, the `PleoOAuthErrorCode` union in
//   pkg-template/src/index.ts, and the strings of `ErrorCode::as_str` in src/error.rs;
// - the option names of PleoOAuthOptions, HandoffOptions, CustomEnvironment,
//   AuthorizationUrlOptions and PopupOptions in index.ts (`extends` resolved), their tables in
//   docs/API.md, and the options tables of the boundary (src/boundary.rs CREATE, HANDOFF,
//   ENVIRONMENT, START, POPUP);
// - the fields of every other exported interface of index.ts and react.ts and their tables;
//   the properties of the PleoOAuthError class and its table;
// - the exports of index.ts and react.ts (name, kind, entry point) and docs/API.md's "Exports"
//   table; every exported function and class, and every public method of PleoOAuth, also has a
//   heading of its own;
// - the defaults and limits in src/ (transactionTtlSeconds, handoff.timeoutMs, popup timeoutMs,
//   appState bytes) and the rows of those options; the reserved extraParams names.
//
// docs/API.md conventions this test relies on (tolerant of backticks, spacing, heading level,
// extra columns): an object's table is the first table under a heading that names the object,
// with the member names in its first column and a header whose first cell is "option",
// "field", "property" or "member"; the error codes are the one table under a heading about
// errors whose first header cell is "code"; the exports are the one table with an "export"
// column and an "entry point" column; the reserved extraParams names are named in the
// `extraParams` row of AuthorizationUrlOptions (as code spans, they must be exactly those).

import { test } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const read = (rel) => fs.readFileSync(path.join(root, rel), "utf8");

const DOCS = "docs/API.md";
const INDEX = "pkg-template/src/index.ts";
const REACT = "pkg-template/src/react.ts";
const SERVER = "pkg-template/src/server.ts";
const ERROR_RS = "src/error.rs";
const CONFIG_RS = "src/config.rs";
const REQUEST_RS = "src/request.rs";
const PROTOCOL_RS = "src/protocol.rs";
const BOUNDARY_RS = "src/boundary.rs";

const IDENT = /^[A-Za-z_$][\w$]*$/;

// ------------------------------------------------------------------------------- set compare

/** Fails with what each side has that the other lacks; also refuses duplicates in a list. */
function assertSameSet(what, sides) {
  const sets = sides.map(([label, list]) => {
    const seen = new Set();
    for (const item of list) {
      assert.ok(!seen.has(item), `${what}: ${label} lists "${item}" twice`);
      seen.add(item);
    }
    assert.ok(seen.size > 0, `${what}: nothing found in ${label} (has its format changed?)`);
    return [label, seen];
  });
  const problems = [];
  for (let i = 0; i < sets.length; i++) {
    for (let j = i + 1; j < sets.length; j++) {
      const [la, a] = sets[i];
      const [lb, b] = sets[j];
      const onlyA = [...a].filter((x) => !b.has(x));
      const onlyB = [...b].filter((x) => !a.has(x));
      if (onlyA.length) problems.push(`in ${la} but not in ${lb}: ${onlyA.join(", ")}`);
      if (onlyB.length) problems.push(`in ${lb} but not in ${la}: ${onlyB.join(", ")}`);
    }
  }
  assert.ok(problems.length === 0, `${what} disagree:\n  ${problems.join("\n  ")}`);
}

// ------------------------------------------------------------------------------- markdown

/** The first code span of a cell, else the cell; `?`, `()` and a dotted prefix dropped. */
function memberName(cell) {
  const span = /`([^`]+)`/.exec(cell);
  let name = (span ? span[1] : cell).trim();
  name = name.replace(/\(.*\)$/, "").replace(/\?$/, "").trim();
  name = name.slice(name.lastIndexOf(".") + 1);
  return name;
}

/** Splits a table row on unescaped pipes; `\|` inside a cell is a literal pipe. */
function cells(line) {
  let row = line.trim();
  if (row.startsWith("|")) row = row.slice(1);
  if (row.endsWith("|") && !row.endsWith("\\|")) row = row.slice(0, -1);
  return row.split(/(?<!\\)\|/).map((c) => c.replace(/\\\|/g, "|").trim());
}

const plain = (text) => text.replace(/`/g, "").replace(/\s+/g, " ").trim();

/** Headings (with their ancestors) and tables of a Markdown text; fenced code is skipped. */
function parseMarkdown(text) {
  const lines = text.split("\n");
  const headings = [];
  const tables = [];
  const open = []; // the current heading path
  let fence = null;
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i];
    const f = /^\s*(```+|~~~+)/.exec(line);
    if (f) {
      if (!fence) fence = f[1][0];
      else if (f[1][0] === fence) fence = null;
      continue;
    }
    if (fence) continue;
    const h = /^\s{0,3}(#{1,6})\s+(.*?)\s*#*\s*$/.exec(line);
    if (h) {
      const heading = { level: h[1].length, title: h[2], line: i + 1 };
      while (open.length && open[open.length - 1].level >= heading.level) open.pop();
      heading.path = [...open.map((o) => o.title), heading.title];
      open.push(heading);
      headings.push(heading);
      continue;
    }
    const delimiter = lines[i + 1];
    if (/^\s*\|/.test(line) && delimiter && /^\s*\|?\s*:?-{3,}:?\s*(\|\s*:?-{3,}:?\s*)*\|?\s*$/.test(delimiter)) {
      const table = { header: cells(line).map((c) => plain(c).toLowerCase()), rows: [], line: i + 1 };
      table.heading = open[open.length - 1] ?? { title: "", path: [] };
      i += 2;
      while (i < lines.length && /^\s*\|/.test(lines[i])) table.rows.push(cells(lines[i++]));
      i -= 1;
      tables.push(table);
    }
  }
  return { headings, tables };
}

const mentions = (title, name) => new RegExp(`(^|[^\\w$])${name.replace(/\$/g, "\\$")}([^\\w$]|$)`).test(plain(title));

/** The members table of an object: the one table under a heading naming it. */
function objectTable(md, name) {
  const found = md.tables.filter(
    (t) => mentions(t.heading.title, name) && ["option", "options", "field", "fields", "property", "properties", "member", "members", "name"].includes(t.header[0]),
  );
  assert.ok(found.length > 0, `${DOCS} has no table of ${name}'s members (a table whose first column is "option"/"field"/"property" under a heading naming \`${name}\`)`);
  assert.ok(found.length === 1, `${DOCS} has ${found.length} tables for ${name} (lines ${found.map((t) => t.line).join(", ")}); keep one`);
  return found[0];
}

function documentedMembers(md, name) {
  const table = objectTable(md, name);
  return table.rows.map((row) => {
    const member = memberName(row[0]);
    assert.match(member, IDENT, `${DOCS} line ~${table.line}: "${row[0]}" in ${name}'s table is not a member name`);
    return member;
  });
}

function documentedRow(md, name, member) {
  const table = objectTable(md, name);
  const row = table.rows.find((r) => memberName(r[0]) === member);
  assert.ok(row, `${DOCS}: ${name}'s table has no row for ${member}`);
  return { table, row };
}

// ------------------------------------------------------------------------------- TypeScript

/**
 * The source with comments removed (`blank`: string and template contents blanked too),
 * every character kept in place. Understands strings, template literals with nested `${…}`,
 * line and block comments; the wrapper has no regular expression literals.
 */
function scrub(src, blank) {
  let out = "";
  const stack = [{ kind: "code", depth: 0 }];
  const keep = (s) => (out += s);
  const hide = (s) => (out += s.replace(/[^\n]/g, " "));
  let i = 0;
  while (i < src.length) {
    const top = stack[stack.length - 1];
    const c = src[i];
    const d = src[i + 1];
    if (top.kind === "code") {
      if (c === "/" && d === "/") {
        const end = src.indexOf("\n", i);
        const stop = end < 0 ? src.length : end;
        hide(src.slice(i, stop));
        i = stop;
      } else if (c === "/" && d === "*") {
        const end = src.indexOf("*/", i + 2);
        const stop = end < 0 ? src.length : end + 2;
        hide(src.slice(i, stop));
        i = stop;
      } else if (c === '"' || c === "'") {
        let j = i + 1;
        while (j < src.length && src[j] !== c && src[j] !== "\n") j += src[j] === "\\" ? 2 : 1;
        keep(c);
        (blank ? hide : keep)(src.slice(i + 1, j));
        keep(src[j] ?? "");
        i = j + 1;
      } else if (c === "`") {
        stack.push({ kind: "template" });
        keep(c);
        i += 1;
      } else {
        if (c === "{") top.depth += 1;
        if (c === "}") {
          if (top.depth === 0 && stack.length > 1) {
            stack.pop();
            (blank ? hide : keep)(c);
            i += 1;
            continue;
          }
          top.depth -= 1;
        }
        (blank && stack.length > 1 ? hide : keep)(c);
        i += 1;
      }
    } else if (c === "\\") {
      (blank ? hide : keep)(src.slice(i, i + 2));
      i += 2;
    } else if (c === "`") {
      stack.pop();
      keep(c);
      i += 1;
    } else if (c === "$" && d === "{") {
      stack.push({ kind: "code", depth: 0 });
      (blank ? hide : keep)("${");
      i += 2;
    } else {
      (blank ? hide : keep)(c);
      i += 1;
    }
  }
  return out;
}

/** Index of the bracket closing the one at `open` (in blanked text). */
function closing(text, open) {
  const pairs = { "{": "}", "(": ")", "[": "]" };
  const stack = [];
  for (let i = open; i < text.length; i++) {
    const c = text[i];
    if (pairs[c]) stack.push(pairs[c]);
    else if (c === "}" || c === ")" || c === "]") {
      assert.equal(c, stack.pop(), `unbalanced brackets at offset ${i}`);
      if (!stack.length) return i;
    }
  }
  throw new Error(`no closing bracket for offset ${open}`);
}

/** The text with everything inside nested brackets blanked: only the top level remains. */
function topLevel(body) {
  let out = "";
  let depth = 0;
  for (const c of body) {
    const close = "})]".includes(c);
    if (close) depth -= 1;
    out += depth > 0 && c !== "\n" ? " " : c;
    if ("{([".includes(c)) depth += 1;
  }
  return out;
}

function parseTs(rel) {
  const src = read(rel);
  const code = scrub(src, false);
  const blanked = scrub(src, true);
  assert.equal(code.length, src.length);
  assert.equal(blanked.length, src.length);

  const exports = new Map(); // name -> kind
  const declaration = /^[ \t]*export\s+(?:declare\s+)?(?:abstract\s+)?(?:async\s+)?(function\*?|class|interface|type|const\s+enum|enum|const|let|var)\s+([A-Za-z_$][\w$]*)/gm;
  for (const m of blanked.matchAll(declaration)) exports.set(m[2], m[1].replace(/\*|\s+enum/g, "").replace("const enum", "enum"));
  for (const m of blanked.matchAll(/^[ \t]*export\s+(?:type\s+)?\{([^}]*)\}/gm)) {
    for (const part of code.slice(m.index, m.index + m[0].length).replace(/^[^{]*\{|\}$/g, "").split(",")) {
      const name = part.trim().split(/\s+as\s+/).pop();
      if (name) exports.set(name, "re-export");
    }
  }
  assert.doesNotMatch(blanked, /^[ \t]*export\s+(\*|default\b)/m, `${rel}: export * / export default is not understood by this test; extend it`);

  const interfaces = new Map(); // name -> { own: [...], bases: [...] }
  for (const m of blanked.matchAll(/\binterface\s+([A-Za-z_$][\w$]*)\s*(<[^{]*?>)?\s*(?:extends\s+([^{]+?))?\s*\{/g)) {
    const open = m.index + m[0].length - 1;
    const body = topLevel(blanked.slice(open + 1, closing(blanked, open)));
    assert.doesNotMatch(body, /(^|[;\n])\s*\[/, `${rel}: interface ${m[1]} has an index signature; this test cannot list its members`);
    const own = [...body.matchAll(/(?:^|[;\n])\s*(?:readonly\s+)?([A-Za-z_$][\w$]*)\s*\??\s*[:(<]/g)].map((x) => x[1]);
    const bases = m[3] ? m[3].split(",").map((b) => b.trim().replace(/<.*$/, "")) : [];
    interfaces.set(m[1], { own, bases });
  }

  const classes = new Map(); // name -> { methods: [...], properties: [...] }
  for (const m of blanked.matchAll(/\bclass\s+([A-Za-z_$][\w$]*)[^{]*\{/g)) {
    const open = m.index + m[0].length - 1;
    const body = topLevel(blanked.slice(open + 1, closing(blanked, open)));
    const methods = [];
    const properties = [];
    for (const x of body.matchAll(/(?:^|[;\n}])\s*((?:(?:public|private|protected|static|async|readonly|declare|override|get|set)\s+)*)(#?[A-Za-z_$][\w$]*)\s*(\?)?\s*(<[^(\n]*>)?\s*([(:;=])/g)) {
      const [, modifiers, name, , , kind] = x;
      if (name.startsWith("#") || /\b(private|protected)\b/.test(modifiers) || name === "constructor") continue;
      (kind === "(" ? methods : properties).push(name);
    }
    classes.set(m[1], { methods, properties });
  }

  return { src, code, blanked, exports, interfaces, classes };
}

/** An interface's members, its bases' included (looked up in every parsed file). */
function membersOf(name, files) {
  const found = files.map((f) => f.interfaces.get(name)).find(Boolean);
  assert.ok(found, `interface ${name} not found in ${INDEX} or ${REACT}`);
  return [...new Set([...found.bases.flatMap((b) => membersOf(b, files)), ...found.own])];
}

/** The string literals of `export type NAME = "a" | "b" | …;`, nothing else allowed. */
function stringUnion(file, name) {
  const m = new RegExp(`export\\s+type\\s+${name}\\s*=([^;]*);`).exec(file.code);
  assert.ok(m, `${INDEX}: export type ${name} not found`);
  const members = m[1].split("|").map((s) => s.trim()).filter(Boolean);
  return members.map((s) => {
    const lit = /^"([^"\\]*)"$|^'([^'\\]*)'$/.exec(s);
    assert.ok(lit, `${INDEX}: ${name} has a member that is not a string literal: ${s}`);
    return lit[1] ?? lit[2];
  });
}

// ------------------------------------------------------------------------------- Rust

/** Removes Rust comments (line, block, doc), keeping string literals. */
function rustCode(src) {
  return src.replace(/"(?:[^"\\]|\\.)*"|\/\/[^\n]*|\/\*[\s\S]*?\*\//g, (t) => (t.startsWith('"') ? t : " "));
}

/** `pub const NAME: [&str; N] = ["a", …];` — its strings, checked against N. */
function rustNames(rel, name) {
  const code = rustCode(read(rel));
  // `[&str; N]`, or a table `[(&str, Kind); N]` whose names are its strings.
  const m = new RegExp(`\\bconst\\s+${name}\\s*:\\s*\\[\\s*(?:\\(\\s*)?&(?:'static\\s+)?str(?:\\s*,\\s*\\w+\\s*\\))?\\s*;\\s*(\\d+)\\s*\\]\\s*=\\s*\\[([^\\]]*)\\]`).exec(code);
  assert.ok(m, `${rel}: const ${name}: [&str; N] or [(&str, Kind); N] not found`);
  const names = [...m[2].matchAll(/"((?:[^"\\]|\\.)*)"/g)].map((x) => x[1]);
  assert.equal(names.length, Number(m[1]), `${rel}: ${name} has ${names.length} strings but is declared [&str; ${m[1]}]`);
  return names;
}

/** `pub const NAME: u32 = 600_000;` */
function rustNumber(rel, name) {
  const m = new RegExp(`\\bconst\\s+${name}\\s*:\\s*\\w+\\s*=\\s*([\\d_]+)\\s*;`).exec(rustCode(read(rel)));
  assert.ok(m, `${rel}: const ${name} (a number) not found`);
  return Number(m[1].replace(/_/g, ""));
}

/** The strings `ErrorCode::as_str` answers: the words of `CODES` (one space-separated string,
 * in the order of the variants; src/error.rs's own test holds each variant to its word). */
function rustErrorCodes() {
  const code = rustCode(read(ERROR_RS));
  assert.ok(/\bfn\s+as_str\s*\(/.test(code), `${ERROR_RS}: fn as_str not found`);
  const codes = /\bconst\s+CODES\s*:\s*&str\s*=\s*"([^"]*)"/.exec(code);
  assert.ok(codes, `${ERROR_RS}: const CODES not found`);
  // A Rust string's line continuation (\ then the line break and indentation) is no character.
  const words = codes[1].replace(/\\\n\s*/g, "").split(" ");
  const all = /\bconst\s+ALL\s*:\s*\[\s*ErrorCode\s*;\s*(\d+)\s*\]/.exec(code);
  if (all) assert.equal(words.length, Number(all[1]), `${ERROR_RS}: CODES has ${words.length} codes, ErrorCode::ALL ${all[1]}`);
  return words;
}

// ------------------------------------------------------------------------------- the tests

const md = parseMarkdown(read(DOCS));
const index = parseTs(INDEX);
const react = parseTs(REACT);
const server = parseTs(SERVER);
const files = [index, react, server];

test("error codes: docs/API.md's Error codes table == PleoOAuthErrorCode (index.ts) == ErrorCode::as_str (src/error.rs)", () => {
  const tables = md.tables.filter((t) => t.header[0] === "code" && t.heading.path.some((p) => /\berrors?\b/i.test(plain(p))));
  assert.equal(tables.length, 1, `${DOCS}: expected one table whose first column is "code" under a heading about errors, found ${tables.length}`);
  const documented = tables[0].rows.map((row) => {
    const code = memberName(row[0]);
    assert.match(code, /^[a-z][a-z_]*$/, `${DOCS} line ~${tables[0].line}: "${row[0]}" is not an error code`);
    return code;
  });
  assertSameSet("Error codes", [
    [DOCS, documented],
    [`${INDEX} PleoOAuthErrorCode`, stringUnion(index, "PleoOAuthErrorCode")],
    [`${ERROR_RS} ErrorCode::as_str`, rustErrorCodes()],
  ]);
});

// The options tables of the boundary (src/boundary.rs: name and kind, which the wrapper checks
// callers' objects against).
const RUST_OPTION_LISTS = [
  ["PleoOAuthOptions", BOUNDARY_RS, "CREATE"],
  ["HandoffOptions", BOUNDARY_RS, "HANDOFF"],
  ["CustomEnvironment", BOUNDARY_RS, "ENVIRONMENT"],
  ["AuthorizationUrlOptions", BOUNDARY_RS, "START"],
  ["PopupOptions", BOUNDARY_RS, "POPUP"],
];

for (const [name, rel, constant] of RUST_OPTION_LISTS) {
  test(`options of ${name}: index.ts == docs/API.md == ${rel} ${constant}`, () => {
    assertSameSet(`Options of ${name}`, [
      [`${INDEX} interface ${name}`, membersOf(name, files)],
      [`${DOCS} table ${name}`, documentedMembers(md, name)],
      [`${rel} ${constant}`, rustNames(rel, constant)],
    ]);
  });
}

test("every other exported interface of index.ts, react.ts and server.ts has a table in docs/API.md with exactly its members", () => {
  const checked = new Set(RUST_OPTION_LISTS.map(([name]) => name));
  let count = 0;
  for (const [file, rel] of [[index, INDEX], [react, REACT], [server, SERVER]]) {
    for (const [name, kind] of file.exports) {
      if (kind !== "interface" || checked.has(name)) continue;
      assertSameSet(`Members of ${name}`, [
        [`${rel} interface ${name}`, membersOf(name, files)],
        [`${DOCS} table ${name}`, documentedMembers(md, name)],
      ]);
      count += 1;
    }
  }
  assert.ok(count >= 7, `only ${count} interfaces checked: has the export parsing broken?`);
});

test("PleoOAuthError: its public properties (and message) == its table in docs/API.md", () => {
  const cls = index.classes.get("PleoOAuthError");
  assert.ok(cls, `${INDEX}: class PleoOAuthError not found`);
  assertSameSet("Properties of PleoOAuthError", [
    [`${INDEX} class PleoOAuthError (+ message)`, [...cls.properties, "message"]],
    [`${DOCS} table PleoOAuthError`, documentedMembers(md, "PleoOAuthError")],
  ]);
});

test("exports: index.ts, react.ts and server.ts == docs/API.md's Exports table (name, kind, entry point)", () => {
  const tables = md.tables.filter((t) => t.header.some((h) => /^(export|name)s?$/.test(h)) && t.header.some((h) => /entry ?point/.test(h)));
  assert.equal(tables.length, 1, `${DOCS}: expected one table with an "export" and an "entry point" column, found ${tables.length}`);
  const [table] = tables;
  const nameCol = table.header.findIndex((h) => /^(export|name)s?$/.test(h));
  const entryCol = table.header.findIndex((h) => /entry ?point/.test(h));
  const kindCol = table.header.findIndex((h) => h === "kind");
  const documented = { "pleo-oauth": [], "pleo-oauth/react": [], "pleo-oauth/server": [] };
  const kinds = new Map();
  for (const row of table.rows) {
    const name = memberName(row[nameCol]);
    assert.match(name, IDENT, `${DOCS} line ~${table.line}: "${row[nameCol]}" is not an export name`);
    const entry = plain(row[entryCol]);
    assert.ok(entry in documented, `${DOCS}: ${name}'s entry point "${entry}" is not pleo-oauth, pleo-oauth/react or pleo-oauth/server`);
    documented[entry].push(name);
    if (kindCol >= 0) kinds.set(`${entry} ${name}`, plain(row[kindCol]).toLowerCase());
  }
  for (const [entry, file, rel] of [["pleo-oauth", index, INDEX], ["pleo-oauth/react", react, REACT], ["pleo-oauth/server", server, SERVER]]) {
    assertSameSet(`Exports of ${entry}`, [
      [rel, [...file.exports.keys()]],
      [`${DOCS} Exports table (${entry})`, documented[entry]],
    ]);
    if (kindCol >= 0) {
      for (const [name, kind] of file.exports) {
        assert.equal(kinds.get(`${entry} ${name}`), kind, `${DOCS}: the Exports table gives ${name} the kind "${kinds.get(`${entry} ${name}`)}", ${rel} declares a ${kind}`);
      }
    }
  }
});

test("every exported function and class, and every public method of PleoOAuth, has a heading in docs/API.md", () => {
  const titles = md.headings.map((h) => h.title);
  const missing = [];
  for (const file of files) {
    for (const [name, kind] of file.exports) {
      if ((kind === "function" || kind === "class") && !titles.some((t) => mentions(t, name))) missing.push(name);
    }
  }
  const methods = index.classes.get("PleoOAuth")?.methods ?? [];
  assert.ok(methods.length >= 5, `${INDEX}: found only ${methods.length} public methods of PleoOAuth`);
  for (const method of methods) {
    if (!titles.some((t) => new RegExp(`\\.${method}\\s*\\(`).test(plain(t)))) missing.push(`PleoOAuth ${method}() (a heading such as \`pleo.${method}(…)\`)`);
  }
  assert.deepEqual(missing, [], `${DOCS} has no heading for: ${missing.join(", ")}`);
  // And no heading documents a method that does not exist.
  const documentedMethods = titles.flatMap((t) => [...plain(t).matchAll(/\b(?:pleo|PleoOAuth)\.([A-Za-z_$][\w$]*)\s*\(/g)].map((m) => m[1]));
  assertSameSet("Methods of PleoOAuth", [
    [`${INDEX} class PleoOAuth`, methods],
    [`${DOCS} headings`, [...new Set(documentedMethods)]],
  ]);
});

/** Digits with `_`, `,` or thin/narrow spaces between them joined, for comparing numbers. */
const numbers = (text) => plain(text).replace(/(\d)[_,\u2009\u202f\u00a0](?=\d)/g, "$1");
const hasNumber = (text, n) => new RegExp(`(^|[^\\d.])${n}([^\\d]|$)`).test(numbers(text));

const LIMITS = [
  ["PleoOAuthOptions", "transactionTtlSeconds", CONFIG_RS, "DEFAULT_TRANSACTION_TTL_SECONDS", "MAX_TRANSACTION_TTL_SECONDS"],
  ["HandoffOptions", "timeoutMs", CONFIG_RS, "DEFAULT_HANDOFF_TIMEOUT_MS", "MAX_HANDOFF_TIMEOUT_MS"],
  ["PopupOptions", "timeoutMs", REQUEST_RS, "DEFAULT_POPUP_TIMEOUT_MS", "MAX_POPUP_TIMEOUT_MS"],
  ["AuthorizationUrlOptions", "appState", REQUEST_RS, null, "MAX_APP_STATE_BYTES"],
  ["PopupOptions", "appState", REQUEST_RS, null, "MAX_APP_STATE_BYTES"],
];

for (const [object, member, rel, defaultName, maxName] of LIMITS) {
  test(`${object}.${member}: docs/API.md's default and limit == ${rel}`, () => {
    const { table, row } = documentedRow(md, object, member);
    if (defaultName) {
      const value = rustNumber(rel, defaultName);
      const col = table.header.indexOf("default");
      assert.ok(col >= 0, `${DOCS}: ${object}'s table has no "default" column`);
      assert.equal(numbers(row[col] ?? ""), String(value), `${DOCS}: ${object}.${member} default is "${row[col]}", ${rel} ${defaultName} is ${value}`);
    }
    const max = rustNumber(rel, maxName);
    assert.ok(hasNumber(row.join(" "), max), `${DOCS}: ${object}.${member}'s row does not give the limit ${max} (${rel} ${maxName})`);
  });
}

test("extraParams: the reserved names in docs/API.md == src/protocol.rs RESERVED_PARAMETERS", () => {
  const { row } = documentedRow(md, "AuthorizationUrlOptions", "extraParams");
  const text = row.slice(1).join(" ");
  const reserved = rustNames(PROTOCOL_RS, "RESERVED_PARAMETERS");
  const missing = reserved.filter((name) => !new RegExp(`(^|[^\\w])${name}([^\\w]|$)`).test(text));
  assert.deepEqual(missing, [], `${DOCS}: the extraParams row does not name the reserved ${missing.join(", ")} (${PROTOCOL_RS} RESERVED_PARAMETERS)`);
  // Written as code spans (the usual form), the lower-case parameter names must be exactly those.
  const spans = [...text.matchAll(/`([^`]+)`/g)].map((m) => m[1]).filter((s) => /^[a-z][a-z_]*$/.test(s));
  if (spans.length) {
    assertSameSet("Reserved extraParams names", [
      [`${DOCS} AuthorizationUrlOptions extraParams row (code spans)`, [...new Set(spans)]],
      [`${PROTOCOL_RS} RESERVED_PARAMETERS`, reserved],
    ]);
  }
});

test("server error codes: docs/API.md's PleoServerError table == PleoServerErrorCode (server.ts) ⊇ ServerErrorCode::as_str (src/server/mod.rs)", () => {
  const union = server.code.match(/export type PleoServerErrorCode =([\s\S]*?);/);
  assert.ok(union, `${SERVER}: type PleoServerErrorCode not found`);
  const ts = [...union[1].matchAll(/"([a-z_]+)"/g)].map((m) => m[1]);
  const table = md.tables.find((t) => t.header[0] === "value" && mentions(t.heading.title, "PleoServerError"));
  assert.ok(table, `${DOCS}: no table of values under the PleoServerError heading`);
  const documented = table.rows.map((r) => plain(r[0]));
  assertSameSet("PleoServerErrorCode", [
    [`${SERVER} PleoServerErrorCode`, ts],
    [`${DOCS} PleoServerError table`, documented],
  ]);
  const rust = read("src/server/mod.rs");
  const asStr = rust.slice(rust.indexOf("fn as_str"), rust.indexOf("fn as_str") + 2000);
  for (const m of asStr.matchAll(/=> "([a-z_]+)"/g)) assert.ok(ts.includes(m[1]), `src/server/mod.rs: ${m[1]} is not in PleoServerErrorCode`);
});
