// End-to-end: connecting in a popup (PleoOAuth.popup) and connections started inside Pleo (the
// Initiation URI), on the demo (www/) in Debian's Chromium against the oidc-provider stand-in.
// The popup's redirect-URI page passes the callback to the opener, which checks it and hands the
// code to the backend (where the verifier is, in the opener's storage).
//
// Run: node --test tests/e2e/   (after `make pkg`)
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { chromium } from "playwright-core";
import { launchChromium, CHROMIUM_ARGS } from "../support/chromium.mjs";
import { startDemo } from "../../www/server.mjs";

let demo, coopDemo, browser;

before(async () => {
  demo = await startDemo({ host: "localhost", port: 0, authPort: 0, env: {}, log: () => {} });
  // The same demo with Cross-Origin-Opener-Policy: same-origin on its redirect-URI page.
  coopDemo = await startDemo({ host: "localhost", port: 0, authPort: 0, env: {}, log: () => {}, callbackCoop: true });
  browser = await launchChromium();
});

after(async () => {
  await browser?.close();
  await demo?.close();
  await coopDemo?.close();
});

async function visitor(b = browser) {
  const context = await b.newContext({ viewport: { width: 900, height: 820 } });
  const page = await context.newPage();
  const errors = [];
  page.on("pageerror", (e) => errors.push(e));
  return { context, page, errors };
}

async function openApp(page, d, query = "") {
  await page.goto(`${d.url}/${query}`);
  await page.waitForSelector("body[data-ready]");
  await page.waitForSelector("#connect-popup:not([hidden])");
}

/** Clicks "Connect in a popup"; returns the popup once it shows the consent screen, and the state it was sent. */
async function openPopup(page, d) {
  const [popup] = await Promise.all([page.context().waitForEvent("page"), page.click("#connect-popup")]);
  await popup.waitForURL(`${d.auth.issuer}/interaction/**`);
  await popup.waitForSelector("#approve");
  return popup;
}

const messageCode = (page) => page.getAttribute("#message", "data-code");

test("popup: consent in the popup, Approve → the opener is connected, exactly one exchange, the popup closed", async () => {
  const { context, page, errors } = await visitor();
  const exchanges = demo.stats.exchanges;
  await openApp(page, demo);
  const popup = await openPopup(page, demo);
  await Promise.all([popup.waitForEvent("close"), popup.click("#approve")]);
  await page.waitForSelector("#badge[data-state=connected]");
  assert.equal(await page.textContent("#company"), "Acme ApS");
  assert.equal(demo.stats.exchanges, exchanges + 1);
  assert.equal(new URL(page.url()).pathname, "/", "the opener stayed where it was");
  assert.deepEqual(errors, []);
  await context.close();
});

test("popup: forged messages — from another origin, from the page itself, with another state, and the callback opened in another window — are ignored; the real callback still completes once", async () => {
  const { context, page } = await visitor();
  const exchanges = demo.stats.exchanges;
  await openApp(page, demo);
  const authorizeRequests = [];
  page.context().on("request", (r) => r.url().startsWith(`${demo.auth.issuer}/oauth/authorize?`) && authorizeRequests.push(r.url()));
  const popup = await openPopup(page, demo);
  const state = new URL(authorizeRequests[0]).searchParams.get("state");
  const forged = `${demo.url}/pleo/callback?code=forged-code&state=${state}`;
  // Another origin (an opaque data: frame) posting the right state; the page itself (not the
  // popup) posting it; a BroadcastChannel message with another state.
  await page.evaluate(({ state, forged }) => {
    const msg = { type: "pleo-oauth:callback", state, url: forged };
    const frame = document.createElement("iframe");
    frame.src = "data:text/html," + encodeURIComponent(`<script>parent.postMessage(${JSON.stringify(msg)}, "*")</script>`);
    document.body.append(frame);
    window.postMessage(msg, location.origin);
    const channel = new BroadcastChannel("pleo-oauth");
    channel.postMessage({ ...msg, state: "another-state" });
    channel.close();
  }, { state, forged });
  // The callback for the awaited state opened in another window of this browser (as a leaked
  // request replayed by an attacker would be, RFC 9700 §4.5): that window has no nonce of the
  // popup, so it does not relay, and the opener would not accept it.
  const other = await page.context().newPage();
  await other.goto(forged);
  await other.waitForSelector("#badge[data-state=error]");
  assert.equal(await messageCode(other), "unknown_state");
  await other.close();
  await page.waitForTimeout(500);
  assert.equal(demo.stats.exchanges, exchanges, "no forged message was handed off");
  assert.equal(await page.getAttribute("#badge", "data-state"), "idle");
  await Promise.all([popup.waitForEvent("close"), popup.click("#approve")]);
  await page.waitForSelector("#badge[data-state=connected]");
  assert.equal(demo.stats.exchanges, exchanges + 1);
  await context.close();
});

test("popup: the user closes the popup → popup_closed, nothing exchanged", async () => {
  const { context, page } = await visitor();
  const exchanges = demo.stats.exchanges;
  await openApp(page, demo);
  const popup = await openPopup(page, demo);
  await page.waitForTimeout(2100); // a person reads the consent screen first
  await popup.close();
  await page.waitForSelector("#message[data-code=popup_closed]", { timeout: 8000 });
  assert.match(await page.textContent("#message"), /closed before the connection was approved/);
  assert.equal(demo.stats.exchanges, exchanges);
  await context.close();
});

test("popup: closed at once (a mis-click) → Connect in a popup works again at once; the first wait ends, the second popup connects with exactly one exchange", async () => {
  const { context, page, errors } = await visitor();
  const exchanges = demo.stats.exchanges;
  await openApp(page, demo);
  const first = await openPopup(page, demo);
  // Closed within the 2 s in which the opener takes `closed` for a COOP severance.
  await first.close();
  const [second] = await Promise.all([page.context().waitForEvent("page"), page.click("#connect-popup", { timeout: 3000 })]);
  // The first wait ended at once (not at its 5-minute timeout): the demo logs the replaced popup.
  await page.waitForSelector("#steps li[data-status=replaced]", { timeout: 3000 });
  await second.waitForURL(`${demo.auth.issuer}/interaction/**`);
  await Promise.all([second.waitForEvent("close"), second.click("#approve")]);
  await page.waitForSelector("#badge[data-state=connected]");
  assert.equal(demo.stats.exchanges, exchanges + 1, "exactly one exchange");
  assert.equal(await messageCode(page), "", "the replaced popup's end is no error for the user");
  assert.deepEqual(errors, []);
  await context.close();
});

test("popup: no answer within timeoutMs → popup_timeout, and the popup is closed", async () => {
  const { context, page } = await visitor();
  await openApp(page, demo, "?popupTimeoutMs=2500");
  const popup = await openPopup(page, demo);
  await Promise.all([popup.waitForEvent("close", { timeout: 8000 }), page.waitForSelector("#message[data-code=popup_timeout]", { timeout: 8000 })]);
  assert.match(await page.textContent("#message"), /open too long/);
  await context.close();
});

test("popup: a browser that blocks the popup (no user gesture) → popup_blocked", async () => {
  // Playwright turns the popup blocker off by default; this browser keeps Chromium's.
  const strict = await chromium.launch({
    executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium",
    args: CHROMIUM_ARGS,
    ignoreDefaultArgs: ["--disable-popup-blocking"],
  });
  try {
    const { page } = await visitor(strict);
    await openApp(page, demo);
    // A click made by script, later than the 5 s a user activation lasts (Playwright's evaluate
    // counts as one), is no user gesture: the browser refuses window.open.
    await page.evaluate(() => setTimeout(() => document.getElementById("connect-popup").click(), 5500));
    // Hands off the page until then: every Playwright call into the page is a user activation
    // again (that is why a waitForSelector here would let the popup open).
    await new Promise((r) => setTimeout(r, 7000));
    assert.equal(await messageCode(page), "popup_blocked", await page.textContent("#message"));
    assert.match(await page.textContent("#message"), /blocked the Pleo window/);
    assert.equal(page.context().pages().length, 1, "no window was opened");
  } finally {
    await strict.close();
  }
});

test("popup: Cross-Origin-Opener-Policy same-origin on the redirect-URI page severs the popup; the callback arrives by BroadcastChannel", async () => {
  const { context, page, errors } = await visitor();
  const exchanges = coopDemo.stats.exchanges;
  await openApp(page, coopDemo);
  const popup = await openPopup(page, coopDemo);
  await popup.click("#approve");
  await page.waitForSelector("#badge[data-state=connected], #badge[data-state=error], #message[data-code]", { timeout: 15000 });
  assert.equal(await page.getAttribute("#badge", "data-state"), "connected", await page.textContent("#message"));
  assert.equal(coopDemo.stats.exchanges, exchanges + 1);
  assert.deepEqual(errors, []);
  await context.close();
});

test("Initiation URI: a user sent by Pleo to /pleo/start goes straight to the consent screen and back to the Settings URI, connected", async () => {
  const { context, page, errors } = await visitor();
  await Promise.all([page.waitForURL(`${demo.auth.issuer}/interaction/**`), page.goto(`${demo.url}/pleo/start`)]);
  await page.waitForSelector("#approve");
  await page.click("#approve");
  await page.waitForSelector("#badge[data-state=connected]");
  assert.equal(new URL(page.url()).pathname, "/pleo/settings");
  assert.equal(await page.textContent("#settings-title"), "Pleo integration settings");
  assert.ok(await page.isVisible("#disconnect"), "the Settings page manages the connection");
  assert.deepEqual(errors, []);
  await context.close();
});
