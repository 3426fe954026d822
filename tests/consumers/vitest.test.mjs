// Partners' unit tests work with no configuration: the packed tarball (npm pack of pkg/), extracted
// as node_modules/pleo-oauth of a bare project that holds only the test files of
// tests/consumers/vitest-dom/ (no vitest config, no aliases, no mocks), passes a full flow under
// vitest with jsdom and with happy-dom, chosen by a `// @vitest-environment` docblock alone. Also
// checks the helpers in plain Node (no DOM) and that PleoOAuth.create refuses to run there.
//
// Run: node --test tests/consumers/vitest.test.mjs   (after `make pkg`; the vitest, jsdom and
// happy-dom of tests/consumers/package.json installed in tests/consumers/node_modules)
import { test, before } from "node:test";
import assert from "node:assert/strict";
import { execFileSync, execFile } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, "../..");
const work = path.join(root, "target", "consumers-vitest");
const fixtures = path.join(here, "vitest-dom");
const vitest = path.join(here, "node_modules", "vitest", "vitest.mjs");

/** Tests each fixture file must run (see vitest-dom/flow.js); 0 ran is a failure, not a pass. */
const TESTS_PER_ENVIRONMENT = 6;
const VITEST_TIMEOUT_MS = 120_000;

before(() => {
  fs.rmSync(work, { recursive: true, force: true });
  fs.mkdirSync(work, { recursive: true });
  const out = execFileSync("npm", ["pack", path.join(root, "pkg"), "--json", "--pack-destination", work], { cwd: root, encoding: "utf8" });
  const [{ filename }] = JSON.parse(out);
  execFileSync("tar", ["-xzf", path.join(work, filename)], { cwd: work });
  fs.mkdirSync(path.join(work, "node_modules"));
  fs.renameSync(path.join(work, "package"), path.join(work, "node_modules", "pleo-oauth"));
  for (const file of fs.readdirSync(fixtures)) fs.copyFileSync(path.join(fixtures, file), path.join(work, file));
});

/** Runs vitest on one fixture file in `work`; resolves with its JSON report and its console output. */
function runVitest(testFile) {
  const report = path.join(work, `${testFile}.report.json`);
  const args = [vitest, "run", "--root", work, "--reporter=verbose", "--reporter=json", `--outputFile.json=${report}`, testFile];
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      args,
      { cwd: work, encoding: "utf8", timeout: VITEST_TIMEOUT_MS, env: { ...process.env, NO_COLOR: "1", FORCE_COLOR: "0", CI: "1" } },
      (error, stdout, stderr) => {
        const output = `$ node ${args.join(" ")}\n(exit ${error ? (error.killed ? `killed after ${VITEST_TIMEOUT_MS} ms` : error.code) : 0})\n${stdout}\n${stderr}`;
        resolve({ json: fs.existsSync(report) ? JSON.parse(fs.readFileSync(report, "utf8")) : null, output });
      },
    );
  });
}

for (const [environment, testFile] of [
  ["jsdom", "jsdom.spec.js"],
  ["happy-dom", "happydom.spec.js"],
]) {
  test(`vitest + ${environment}: a partner's tests pass with no configuration`, { timeout: VITEST_TIMEOUT_MS + 10_000 }, async () => {
    const { json, output } = await runVitest(testFile);
    assert.ok(json, `vitest wrote no JSON report:\n${output}`);
    const results = json.testResults.flatMap((file) => file.assertionResults);
    const failed = results.filter((r) => r.status !== "passed").map((r) => `${r.fullName ?? r.title}: ${r.status}\n${r.failureMessages?.join("\n")}`);
    assert.deepEqual(failed, [], `vitest + ${environment}: tests did not pass:\n${output}`);
    assert.equal(json.numPassedTests, TESTS_PER_ENVIRONMENT, `vitest + ${environment}: expected ${TESTS_PER_ENVIRONMENT} passing tests:\n${output}`);
    assert.equal(json.numTotalTests, TESTS_PER_ENVIRONMENT, output);
    assert.deepEqual(json.testResults.map((f) => [path.basename(f.name), f.status]), [[testFile, "passed"]], output);
    assert.equal(json.success, true, output);
  });
}

test("plain Node (no DOM): the helpers work and PleoOAuth.create asks to run on the client", async () => {
  const { PleoOAuth, PleoOAuthError, createPkce, codeChallenge, parseCallback } = await import(
    pathToFileURL(path.join(work, "node_modules", "pleo-oauth", "index.js")).href
  );
  const pkce = await createPkce();
  assert.match(pkce.verifier, /^[A-Za-z0-9_-]{43}$/);
  assert.equal(pkce.challenge, await codeChallenge(pkce.verifier));
  // RFC 7636, appendix B.
  assert.equal(await codeChallenge("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"), "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM");
  const params = await parseCallback("https://x.example/cb?code=a&state=b");
  assert.equal(params.code, "a");
  assert.equal(params.state, "b");
  await assert.rejects(
    PleoOAuth.create({ clientId: "test-client", redirectUri: "https://app.example.com/cb", scopes: ["users:read"] }),
    (e) => e instanceof PleoOAuthError && e.code === "invalid_config" && e.message.includes("on the client"),
  );
});
