// pleo-oauth: create() loads the wasm; authorizationUrl() makes the PKCE pair and state and
// stores the transaction in sessionStorage; handleCallback() validates and consumes it.
// "pleo-oauth" resolves to $PLEO_PKG_DIR/index.js (see bench.mjs).
import { PleoOAuth } from "pleo-oauth";

// Starts loading the wasm ahead of create(), when the package offers it.
export const preload = () => PleoOAuth.preload?.();

export async function createClient(cfg) {
  const pleo = await PleoOAuth.create({
    clientId: cfg.clientId,
    redirectUri: cfg.redirectUri,
    scopes: [cfg.scope],
    environment: { authorizationEndpoint: cfg.authorizationEndpoint },
  });
  return {
    start: (returnTo) => pleo.authorizationUrl({ returnTo }),
    async finish(callbackUrl) {
      const { handoff } = await pleo.handleCallback(callbackUrl);
      return { code: handoff.code, codeVerifier: handoff.codeVerifier };
    },
  };
}
