// A partner's React app: a settings page with "Connect to Pleo" and the redirect-URI route,
// under <StrictMode>, using pleo-oauth/react as its README shows. Built with `vite build`.
import React, { StrictMode, useEffect } from "react";
import { createRoot } from "react-dom/client";
import { usePleoCallback, usePleoConnect } from "pleo-oauth/react";

/** The options, the same object for both hooks (here from the test server's /config.json). */
let pleoOptions;

function SettingsPage() {
  const { connect, pending, awaitingPopup, error, result } = usePleoConnect(pleoOptions);
  return (
    <main>
      <h1>Integrations</h1>
      <button id="connect" disabled={pending} onClick={() => connect({ returnTo: "/settings?tab=integrations", appState: { tab: "integrations" } })}>
        {pending ? "Connecting…" : "Connect to Pleo"}
      </button>
      {/* In a popup: call connect() directly in the click handler, so the browser allows it. */}
      <button id="connect-popup" disabled={pending} onClick={() => connect({ popup: true, appState: { tab: "integrations" } })}>
        Connect in a popup
      </button>
      {/* `pending` stays false while a popup is awaited: a click closes that popup and opens a new one. */}
      {awaitingPopup && <p id="awaiting-popup">Finish connecting in the Pleo window, or click again for a new one.</p>}
      {result && <p id="connected">Connected to Pleo ({result.backend.scope}).</p>}
      {error && <p id="error" role="alert" data-code={error.code}>{error.message}</p>}
    </main>
  );
}

function PleoCallbackPage() {
  const state = usePleoCallback(pleoOptions);
  // A reload of this page, or Back and Approve again, after connecting: go where the user was.
  const again = state.status === "error" && state.error.code === "already_handled";
  useEffect(() => {
    if (again) location.replace(state.error.returnTo ?? "/settings");
  }, [again]);
  if (state.status === "pending" || again) return <p id="status">Connecting to Pleo…</p>;
  if (state.status === "success") {
    return (
      <main>
        <p id="connected">Connected to Pleo ({state.result.backend.scope}).</p>
        <a id="continue" href={state.result.returnTo ?? "/settings"}>Continue</a>
      </main>
    );
  }
  return (
    <main>
      <p id="error" role="alert" data-code={state.error.code}>{state.error.message}</p>
      <a id="back" href={state.error.returnTo ?? "/settings"}>Back to settings</a>
    </main>
  );
}

const App = () => (location.pathname === "/pleo/callback" ? <PleoCallbackPage /> : <SettingsPage />);

fetch("/config.json")
  .then((r) => r.json())
  .then((config) => {
    pleoOptions = {
      clientId: config.clientId,
      redirectUri: `${location.origin}/pleo/callback`,
      scopes: ["users:read"],
      environment: config.environment,
      handoff: { url: "/api/pleo/exchange" },
    };
    createRoot(document.getElementById("root")).render(
      <StrictMode>
        <App />
      </StrictMode>,
    );
  });
