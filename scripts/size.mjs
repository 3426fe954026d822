// Prints the gzip (level 9) and brotli (quality 11) sizes of what a browser downloads from the
// npm package — the wasm and index.js (the wrapper with wasm-bindgen's glue bundled in), which is
// what the main entry loads — measured with Node's zlib, and fails when the gzip total is above
// the budget in scripts/size-budget.json. react.js (React apps only), popup.js (imported by
// index.js only when a popup is used) and messages.js (imported only when an error is reported)
// are reported on their own lines, each with its own budget.
// The budget is the last measurement: lower it whenever the package shrinks. It may go up only
// for a new rule or feature, by what that costs as measured, with the reason recorded in
// size-budget.json and the commit — never to let a regression through.
import fs from "node:fs";
import zlib from "node:zlib";

const budgetFile = new URL("./size-budget.json", import.meta.url);
const budget = JSON.parse(fs.readFileSync(budgetFile, "utf8"));
const files = ["pkg/pleo_oauth_bg.wasm", "pkg/index.js"];
const measure = (f) => {
  const raw = fs.readFileSync(f);
  return {
    file: f,
    raw: raw.length,
    gzip: zlib.gzipSync(raw, { level: 9 }).length,
    brotli: zlib.brotliCompressSync(raw, { params: { [zlib.constants.BROTLI_PARAM_QUALITY]: 11 } }).length,
  };
};
const rows = files.map(measure);
// pleo-oauth/react: loaded only by React apps, on top of the total.
const react = measure("pkg/react.js");
// popup.js: loaded only by popup() (and the redirect-URI page in its popup), on top of the total.
const popup = measure("pkg/popup.js");
// messages.js: the message texts, loaded only when an error is reported, on top of the total.
const messages = measure("pkg/messages.js");
const total = rows.reduce((t, r) => ({ raw: t.raw + r.raw, gzip: t.gzip + r.gzip, brotli: t.brotli + r.brotli }), { raw: 0, gzip: 0, brotli: 0 });
const pad = (s, n) => String(s).padStart(n);
const line = (file, r) => console.log(`${file.padEnd(40)}${pad(r.raw, 9)}${pad(r.gzip, 9)}${pad(r.brotli, 9)}`);
line("file", { raw: "raw", gzip: "gzip", brotli: "brotli" });
for (const r of rows) line(r.file, r);
line("total", total);
line("+ pkg/react.js (React only)", react);
line("+ pkg/popup.js (loaded only by popup())", popup);
line("+ pkg/messages.js (only on an error)", messages);
if (react.gzip > budget.maxReactGzipBytes) {
  console.error(`size: FAIL — pkg/react.js is ${react.gzip} gzip bytes, over its budget of ${budget.maxReactGzipBytes} (scripts/size-budget.json).`);
  process.exit(1);
}
if (messages.gzip > budget.maxMessagesGzipBytes) {
  console.error(`size: FAIL — pkg/messages.js is ${messages.gzip} gzip bytes, over its budget of ${budget.maxMessagesGzipBytes} (scripts/size-budget.json).`);
  process.exit(1);
}
if (popup.gzip > budget.maxPopupGzipBytes) {
  console.error(`size: FAIL — pkg/popup.js is ${popup.gzip} gzip bytes, over its budget of ${budget.maxPopupGzipBytes} (scripts/size-budget.json).`);
  process.exit(1);
}
if (total.gzip > budget.maxGzipBytes) {
  console.error(`size: FAIL — ${total.gzip} gzip bytes is over the budget of ${budget.maxGzipBytes} (scripts/size-budget.json).`);
  process.exit(1);
}
const slack = budget.maxGzipBytes - total.gzip;
console.log(`size: ok — ${total.gzip} gzip bytes, budget ${budget.maxGzipBytes}${slack > 0 ? ` (${slack} under: lower the budget to lock the gain in)` : ""}.`);
