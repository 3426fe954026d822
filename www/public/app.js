// The Ledgerly integrations page: "Connect to Pleo" with pleo-oauth, and the callback page.
// Every text that comes from a server is set with textContent, never as HTML.
import { PleoOAuth, PleoOAuthError } from "/pkg/index.js";

const $ = (id) => document.getElementById(id);
const show = (id, visible) => { $(id).hidden = !visible; };

function step(text, status = "ok") {
  const li = document.createElement("li");
  li.textContent = text;
  li.dataset.status = status;
  $("steps").append(li);
  return li;
}

// The steps taken before the redirect to Pleo are carried over to the callback page, so the
// whole flow reads top to bottom. (Only these texts: never a code, state or token.)
const STEPS_KEY = "ledgerly:steps";

function carryStepsOver() {
  const texts = [...$("steps").children].map((li) => li.textContent);
  sessionStorage.setItem(STEPS_KEY, JSON.stringify(texts));
}

function restoreSteps() {
  const saved = sessionStorage.getItem(STEPS_KEY);
  sessionStorage.removeItem(STEPS_KEY);
  if (!saved) return;
  try {
    for (const text of JSON.parse(saved)) if (typeof text === "string") step(text);
  } catch { /* ignore a damaged entry */ }
}

function badge(state, text) {
  $("badge").dataset.state = state;
  $("badge").textContent = text;
}

function message(kind, text, code) {
  const box = $("message");
  box.replaceChildren();
  box.dataset.kind = kind;
  box.dataset.code = code ?? "";
  box.append(document.createTextNode(text));
  if (code) {
    const c = document.createElement("span");
    c.className = "code";
    c.textContent = code;
    box.append(c);
  }
  box.hidden = false;
}

function buttons({ connect = false, retry = false, check = false, disconnect = false }) {
  show("connect", connect);
  show("connect-popup", connect);
  show("retry", retry);
  show("check", check);
  show("disconnect", disconnect);
}

async function api(path, init) {
  const r = await fetch(path, { credentials: "same-origin", ...init });
  if (!r.ok) throw new Error(`${path} answered HTTP ${r.status}`);
  return r.json();
}

function renderConnected(s) {
  badge("connected", "Connected");
  $("company").textContent = s.company ?? "—";
  $("subject").textContent = s.subject ?? "—";
  const scopes = (s.scopes ?? []).map((scope) => {
    const li = document.createElement("li");
    li.textContent = scope;
    return li;
  });
  $("scopes").replaceChildren(...scopes);
  $("expires").textContent = s.accessTokenExpiresAt ? new Date(s.accessTokenExpiresAt).toLocaleString() : "—";
  $("checked").textContent = `${new Date().toLocaleTimeString()} — ${s.active ? "the access token works (protected call succeeded)" : "the access token was refused"}`;
  $("checked").dataset.active = String(Boolean(s.active));
  show("details", true);
  buttons({ check: true, disconnect: true });
}

function renderDisconnected(reason) {
  badge("idle", "Not connected");
  show("details", false);
  if (reason) message("info", reason);
  buttons({ connect: true });
}

/** What a person should read for each failure of handleCallback. */
function explain(e) {
  if (!(e instanceof PleoOAuthError)) return `Something went wrong: ${e.message}`;
  switch (e.code) {
    case "authorization_error":
      return e.error === "access_denied"
        ? "You declined the connection in Pleo, so nothing was shared. You can connect whenever you are ready."
        : `Pleo could not authorise the connection (${e.error}${e.errorDescription ? `: ${e.errorDescription}` : ""}).`;
    case "expired":
      return "The connection attempt took too long and expired. Please start again.";
    case "unknown_state":
      return "This link does not match a connection started in this tab — it was started in another tab or browser, or it did not come from Pleo. Nothing was exchanged.";
    case "handoff_failed":
      return e.status
        ? `Our server could not complete the connection (HTTP ${e.status}). Please try again.`
        : "Our server could not be reached to complete the connection. Please try again.";
    case "issuer_mismatch":
      return "The answer did not come from Pleo's authorization server, so it was ignored.";
    case "popup_blocked":
      return "Your browser blocked the Pleo window. Allow popups for this site, or use Connect to Pleo.";
    case "popup_closed":
      return "The Pleo window was closed before the connection was approved. Nothing was shared.";
    case "popup_timeout":
      return "The Pleo window was open too long without finishing, so it was closed. Please try again.";
    default:
      return e.message;
  }
}

let pleo;

/** The Settings URI (/pleo/settings) is the page where a Pleo user manages the integration. */
function title() {
  $("settings-title").textContent = location.pathname === "/pleo/settings" ? "Pleo integration settings" : "Integrations";
}

/**
 * "Connect in a popup": popup() is called directly in the click handler (the client was created
 * when the page loaded), so the browser allows the window. The popup's callback page hands the
 * callback back here; this page checks it and hands the code to the backend.
 *
 * The buttons stay usable while the popup is open: a popup closed at once (a mis-click) looks
 * like a Cross-Origin-Opener-Policy severance to this page, which then waits for timeoutMs; a
 * second click supersedes the first popup (closed, its promise rejects with popup_closed).
 */
let popups = 0;
function connectInPopup() {
  const attempt = ++popups;
  step("Opening Pleo in a popup (the request is built and stored in this tab)");
  // ?popupTimeoutMs= lets the tests shorten the wait; 5 minutes otherwise.
  const timeoutMs = Number(new URLSearchParams(location.search).get("popupTimeoutMs")) || undefined;
  pleo.popup({ returnTo: location.pathname, ...(timeoutMs ? { timeoutMs } : {}) }).then(
    (result) => {
      step("The popup passed the callback back; checked here, and the backend exchanged the code");
      message("ok", `Connected to ${result.backend?.company ?? "Pleo"}.`);
      renderConnected(result.backend ?? {});
    },
    (e) => {
      if (attempt !== popups) return step(`The earlier popup was replaced by the new one (${e.code})`, "replaced");
      step(`Stopped: ${e.code ?? "error"}`, "error");
      message("error", explain(e), e.code);
    },
  );
}

async function connect() {
  $("connect").disabled = $("retry").disabled = true;
  try {
    step("Building the authorisation request: fresh PKCE verifier (S256) and state, stored in this tab");
    const url = await pleo.authorizationUrl({ returnTo: "/" });
    step(`Redirecting to Pleo (${new URL(url).host}) to sign in and approve`);
    carryStepsOver();
    location.assign(url);
  } catch (e) {
    step(`Could not start: ${e.message}`, "error");
    message("error", explain(e), e.code);
    $("connect").disabled = $("retry").disabled = false;
  }
}

async function callback() {
  badge("working", "Connecting…");
  step("Back from Pleo: checking the callback (parameters, state, expiry, issuer, redirect URI)");
  try {
    const result = await pleo.handleCallback();
    step("Callback valid; the code and state are gone from the address bar");
    step("The backend exchanged the code for tokens and keeps them server-side");
    history.replaceState(history.state, "", result.returnTo ?? "/");
    title();
    message("ok", `Connected to ${result.backend?.company ?? "Pleo"}.`);
    renderConnected(result.backend ?? {});
  } catch (e) {
    if (e.code === "already_handled") {
      // A reload or Back + Approve again after connecting: nothing was sent again. Go where
      // the connection started and show what the backend knows.
      step("This connection was already completed in this tab; nothing was sent again");
      history.replaceState(history.state, "", e.returnTo ?? "/");
      const s = await api("/api/pleo/status").catch(() => ({}));
      if (s.connected) renderConnected(s);
      else renderDisconnected();
      message("info", "This connection was already completed.");
      return;
    }
    // Where the connection started, when it was found (e.returnTo): the address bar shows
    // that page again, so a reload does not repeat the failed callback.
    if (e.returnTo) history.replaceState(history.state, "", e.returnTo);
    step(`Stopped: ${e.code ?? "error"}`, "error");
    badge("error", "Not connected");
    message("error", explain(e), e.code);
    buttons({ retry: true });
  }
}

async function refreshStatus() {
  $("check").disabled = true;
  try {
    const s = await api("/api/pleo/status");
    if (s.connected) {
      step(`Checked the connection: ${s.refreshedAt ? "access token refreshed (new refresh token), then " : ""}protected call ${s.active ? "succeeded" : "refused"}`);
      renderConnected(s);
    } else {
      renderDisconnected(s.reason);
    }
  } catch (e) {
    message("error", `Could not reach our server: ${e.message}`);
  } finally {
    $("check").disabled = false;
  }
}

async function disconnect() {
  $("disconnect").disabled = true;
  try {
    await api("/api/pleo/disconnect", { method: "POST", headers: { "content-type": "application/json", "x-requested-with": "pleo-oauth" }, body: "{}" });
    step("Disconnected: the backend forgot the tokens");
    message("info", "Disconnected from Pleo.");
    renderDisconnected();
  } finally {
    $("disconnect").disabled = false;
  }
}

async function main() {
  $("connect").addEventListener("click", connect);
  $("connect-popup").addEventListener("click", connectInPopup);
  $("retry").addEventListener("click", connect);
  $("check").addEventListener("click", refreshStatus);
  $("disconnect").addEventListener("click", disconnect);
  const onCallback = location.pathname === "/pleo/callback";
  title();
  if (onCallback) restoreSteps();
  try {
    const config = await api("/api/pleo/config");
    $("mode").textContent = typeof config.environment === "string"
      ? `Talking to Pleo ${config.environment}.`
      : `Talking to a local stand-in for Pleo's authorization server at ${new URL(config.environment.authorizationEndpoint).origin}.`;
    pleo = await PleoOAuth.create(config);
    if (!onCallback) step("pleo-oauth loaded");
  } catch (e) {
    badge("error", "Unavailable");
    message("error", explain(e), e.code);
    return;
  }
  if (onCallback) {
    await callback();
  } else if (location.pathname === "/pleo/start") {
    // The Initiation URI: a user clicked "Connect" inside Pleo. Start at once, and come back to
    // the Settings URI. Pleo sends no parameters here, so none are read.
    step("Pleo sent you here to connect: starting the authorisation request");
    try {
      carryStepsOver();
      await pleo.handleInitiation({ returnTo: "/pleo/settings" });
    } catch (e) {
      message("error", explain(e), e.code);
      buttons({ retry: true });
    }
  } else {
    const s = await api("/api/pleo/status");
    if (s.connected) renderConnected(s);
    else renderDisconnected();
  }
  document.body.dataset.ready = "1";
}

main();
