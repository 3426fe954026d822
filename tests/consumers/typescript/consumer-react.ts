// The React bindings' types, as a partner's components use them (type-checked only, with the
// same settings as consumer.ts).
import { usePleoCallback, usePleoConnect, type PleoCallbackState, type PleoConnect } from "pleo-oauth/react";
import type { PleoOAuthOptions } from "pleo-oauth";

const options: PleoOAuthOptions = {
  clientId: "c",
  redirectUri: "https://app.example.com/pleo/callback",
  scopes: ["users:read"],
  handoff: { url: "/api/pleo/exchange" },
};

interface Backend {
  connected: boolean;
}
interface AppState {
  tab: string;
}

export function ConnectButtonLogic(): string {
  const c: PleoConnect = usePleoConnect(options);
  void c.connect({ returnTo: "/settings", appState: { tab: "pleo" } });
  void c.connect({ popup: true, timeoutMs: 60_000 }).then((r) => r?.returnTo);
  // @ts-expect-error — connect takes authorizationUrl's options, not create()'s
  void c.connect({ clientId: "x" });
  if (c.awaitingPopup) return "finish in the Pleo window";
  return c.pending ? "…" : (c.error?.code ?? (c.result ? "connected" : "idle"));
}

// Issue 18 (7): options declared apart, `satisfies PleoOAuthOptions`, go to the hooks as they are.
const apart = { clientId: "c", redirectUri: "https://app.example.com/pleo/callback", scopes: ["users:read"] } satisfies PleoOAuthOptions;

export function ApartLogic(): string {
  const c = usePleoConnect(apart);
  const state = usePleoCallback(apart);
  // What the user reads, whichever hook failed.
  return c.error?.userMessage ?? (state.status === "error" ? state.error.userMessage : "");
}

export function CallbackLogic(): string {
  const state: PleoCallbackState<Backend, AppState> = usePleoCallback<Backend, AppState>(options);
  switch (state.status) {
    case "pending":
      return "…";
    case "success":
      return `${state.result.backend?.connected} ${state.result.appState?.tab} ${state.result.returnTo}`;
    case "error":
      return state.error.code === "already_handled" ? (state.error.returnTo ?? "/") : state.error.message;
  }
}
