"use client";

import { usePleoConnect } from "pleo-oauth/react";
import { pleoOptions } from "@/lib/pleo";

export default function SettingsPage() {
  const { connect, pending, error } = usePleoConnect(pleoOptions);
  return (
    <main>
      <h1>Integrations</h1>
      <button
        id="connect"
        disabled={pending}
        onClick={() => connect({ returnTo: "/settings?tab=integrations", appState: { tab: "integrations" } })}
      >
        {pending ? "Connecting…" : "Connect to Pleo"}
      </button>
      {error && (
        <p id="error" role="alert" data-code={error.code}>
          {error.userMessage}
        </p>
      )}
    </main>
  );
}
