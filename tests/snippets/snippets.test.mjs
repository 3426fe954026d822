// The README snippets as partners' linters see them: every ```ts / ```tsx fence of
// pkg-template/README.md (the package README) and README.md is written out as a file of a small
// project and checked with `tsc --strict` and with ESLint (typescript-eslint's recommended rules
// and eslint-plugin-react-hooks' recommended rules, react-hooks/exhaustive-deps as an error, no
// warning allowed). `pleo-oauth` resolves to the packed tarball of pkg/, installed here with
// `npm install --no-save` as tests/consumers does, so the types checked are the ones published.
//
// Run: node --test tests/snippets/   (after `make pkg`; `make snippets`)
//
// The README's conventions this relies on:
// - A fence whose lines start `// name.ts —` (or `.tsx`) is several files: each marker starts
//   the file of that name, and they import each other as "./name". A marker with a path
//   (`// app/settings/page.tsx`, the Next.js section), or `// next.config.ts`, puts its file in one app shared by every
//   fence, where `@/…` imports resolve (Next's default alias) and "next" is installed.
// - Modules a snippet says are the partner's own (`@/lib/connections`) are declared in AMBIENT.
// - Names a snippet assumes from the text around it (`pleo`, `options`, `button`, `showMessage`,
//   `showConnected`, `showError`, vitest's `test`/`expect`) are declared in PRELUDE below;
//   a file with no import or export is taken as a module (as bundlers do).
// - `<!-- snippet: skip -->` on the line before a fence leaves it out (a fragment, not code).
import { test, before } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, "../..");
const work = path.join(root, "target", "snippets");
const bin = (name) => path.join(here, "node_modules", ".bin", name);
const run = (cmd, args, cwd = here) => execFileSync(cmd, args, { cwd, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });

const READMES = ["pkg-template/README.md", "README.md"];

const PRELUDE = `// Names the README's snippets take from the text around them.
import type { PleoOAuth, PleoOAuthOptions } from "pleo-oauth";
declare global {
  /** "Create the client with the same options, then:" */
  const pleo: PleoOAuth;
  const options: PleoOAuthOptions;
  const button: HTMLButtonElement;
  function showMessage(text: string, returnTo?: string): void;
  function showConnected(backend: unknown): void;
  function showError(error: unknown): void;
  // vitest's globals, as far as the unit-test snippet uses them
  function test(name: string, body: () => Promise<void>): void;
  function expect(value: unknown): { toBe(expected: unknown): void };
}
export {};
`;

const AMBIENT = `// Modules the README's snippets say are the partner's own.
declare module "@/lib/connections" {
  /** Keeps the connection with the signed-in user of \`request\`. */
  export function saveConnection(request: Request, connectionId: string): Promise<void>;
}
`;

/** The ts/tsx fences of a Markdown file: { line, lang, code }, minus those marked skip. */
export function fences(text) {
  const lines = text.split("\n");
  const found = [];
  for (let i = 0; i < lines.length; i++) {
    const open = /^(\s*)(```+)\s*(\w+)?\s*$/.exec(lines[i]);
    if (!open) continue;
    const [, indent, ticks, lang = ""] = open;
    const start = i;
    const body = [];
    for (i++; i < lines.length && !new RegExp(`^\\s*${ticks}\\s*$`).test(lines[i]); i++) body.push(lines[i].slice(indent.length));
    if (!["ts", "tsx", "typescript"].includes(lang)) continue;
    let prev = start - 1;
    while (prev >= 0 && lines[prev].trim() === "") prev--;
    if (prev >= 0 && /^<!--\s*snippet:\s*skip\b.*-->$/.test(lines[prev].trim())) continue;
    found.push({ line: start + 1, lang: lang === "typescript" ? "ts" : lang, code: body.join("\n") + "\n" });
  }
  return found;
}

/** A fence as files: split at `// name.ts —` markers, else one file. */
export function files(fence, base) {
  const marker = /^\/\/ ([\w./[\]-]+\.tsx?)(?![\w.])/;
  const lines = fence.code.split("\n");
  const parts = [];
  for (const line of lines) {
    const m = marker.exec(line);
    if (m) parts.push({ name: m[1], lines: [] });
    if (!parts.length) parts.push({ name: `${base}.${fence.lang}`, lines: [] });
    parts.at(-1).lines.push(line);
  }
  return parts.map(({ name, lines }) => {
    let code = lines.join("\n").trimEnd() + "\n";
    if (!/^\s*(import|export)\b/m.test(code)) code += "export {};\n";
    return { name, code };
  });
}

const snippets = [];

before(() => {
  assert.ok(fs.existsSync(bin("tsc")) && fs.existsSync(bin("eslint")), "tests/snippets/node_modules is missing: npm ci --prefix tests/snippets (make tools does)");
  assert.ok(fs.existsSync(path.join(root, "pkg", "package.json")), "pkg/ is missing: make pkg");
  fs.rmSync(work, { recursive: true, force: true });
  fs.mkdirSync(path.join(work, "src"), { recursive: true });
  // The snippets' project resolves packages (pleo-oauth, react, the linters) from this fixture.
  fs.symlinkSync(path.join(here, "node_modules"), path.join(work, "node_modules"), "dir");
  const [packed] = JSON.parse(run("npm", ["pack", path.join(root, "pkg"), "--json", "--pack-destination", work], root));
  run("npm", ["install", "--no-save", "--no-audit", "--no-fund", path.join(work, packed.filename)]);

  for (const readme of READMES) {
    const text = fs.readFileSync(path.join(root, readme), "utf8");
    const slug = readme.replace(/\W+/g, "-").replace(/-md$/, "");
    for (const fence of fences(text)) {
      const dir = path.join(work, "src", `${slug}-L${fence.line}`);
      fs.mkdirSync(dir, { recursive: true });
      const written = files(fence, "snippet").map(({ name, code }) => {
        const inApp = name.includes("/") || name.startsWith("next.config.");
        const file = inApp ? path.join(work, "src", "app", name) : path.join(dir, name);
        fs.mkdirSync(path.dirname(file), { recursive: true });
        fs.writeFileSync(file, code);
        return file;
      });
      snippets.push({ where: `${readme}:${fence.line}`, dir, files: written });
    }
  }
  fs.writeFileSync(path.join(work, "src", "prelude.d.ts"), PRELUDE);
  fs.writeFileSync(path.join(work, "src", "ambient.d.ts"), AMBIENT);
  // What partners run: --strict, JSX for React 17+, modules resolved as bundlers do. The
  // project's node_modules is this fixture's (pleo-oauth from the tarball, @types/react).
  fs.writeFileSync(
    path.join(work, "tsconfig.json"),
    JSON.stringify(
      {
        compilerOptions: {
          target: "ES2022",
          module: "ESNext",
          moduleResolution: "bundler",
          lib: ["ES2022", "DOM", "DOM.Iterable"],
          jsx: "react-jsx",
          strict: true,
          noEmit: true,
          skipLibCheck: false,
          // Node's types for the backend snippets (pleo-oauth/server); Next apps have them too.
          types: ["node"],
          paths: { "@/*": ["./src/app/*"] },
        },
        include: ["src"],
        exclude: ["src/app"],
      },
      null,
      2,
    ),
  );
  // The Next.js section's app as create-next-app configures one: skipLibCheck, since Next's own
  // declarations need newer DOM types than TypeScript 5.9 has (URLPattern). pleo-oauth's
  // declarations are checked by the project above (and by tests/consumers' TypeScript consumer).
  fs.writeFileSync(
    path.join(work, "tsconfig.next.json"),
    JSON.stringify({ extends: "./tsconfig.json", compilerOptions: { skipLibCheck: true }, include: ["src/app", "src/*.d.ts"], exclude: [] }, null, 2),
  );
  fs.writeFileSync(
    path.join(work, "eslint.config.mjs"),
    `import js from "@eslint/js";
import tseslint from "typescript-eslint";
import reactHooks from "eslint-plugin-react-hooks";
export default [
  js.configs.recommended,
  ...tseslint.configs.recommended,
  reactHooks.configs.flat.recommended,
  {
    files: ["**/*.ts", "**/*.tsx"],
    languageOptions: { parserOptions: { ecmaFeatures: { jsx: true } } },
    rules: { "react-hooks/exhaustive-deps": "error", "react-hooks/rules-of-hooks": "error" },
  },
];
`,
  );
});

test("the READMEs have TypeScript snippets to check, and the React ones are among them", () => {
  assert.ok(snippets.length >= 6, `only ${snippets.length} ts/tsx snippets found`);
  const all = snippets.flatMap((s) => s.files.map((f) => fs.readFileSync(f, "utf8"))).join("\n");
  assert.match(all, /usePleoCallback/);
  assert.match(all, /usePleoConnect/);
});

test("tsc --strict: every snippet type-checks against the published types", () => {
  try {
    run(bin("tsc"), ["-p", work, "--pretty", "false"]);
    run(bin("tsc"), ["-p", path.join(work, "tsconfig.next.json"), "--pretty", "false"]);
  } catch (e) {
    assert.fail(`tsc --strict failed on README snippets (files under target/snippets/src, named by README line):\n${e.stdout}${e.stderr}`);
  }
});

test("ESLint (typescript-eslint recommended, react-hooks recommended with exhaustive-deps as error): no error, no warning", () => {
  try {
    run(bin("eslint"), ["--max-warnings", "0", "--no-warn-ignored", "src"], work);
  } catch (e) {
    assert.fail(`ESLint failed on README snippets (files under target/snippets/src, named by README line):\n${e.stdout}${e.stderr}`);
  }
});
