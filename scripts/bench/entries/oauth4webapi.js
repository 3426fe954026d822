// oauth4webapi: its PKCE and state generators, the URL built by hand (the library has no
// builder), the transaction kept in sessionStorage under its state; validateAuthResponse()
// checks the callback against the stored state.
import * as oauth from "oauth4webapi";

const PREFIX = "oauth4webapi:";
const TTL_MS = 600_000;

export async function createClient(cfg) {
  const as = { issuer: new URL(cfg.authorizationEndpoint).origin, authorization_endpoint: cfg.authorizationEndpoint };
  const client = { client_id: cfg.clientId };
  return {
    async start(returnTo) {
      const codeVerifier = oauth.generateRandomCodeVerifier();
      const codeChallenge = await oauth.calculatePKCECodeChallenge(codeVerifier);
      const state = oauth.generateRandomState();
      const url = new URL(as.authorization_endpoint);
      url.searchParams.set("response_type", "code");
      url.searchParams.set("client_id", client.client_id);
      url.searchParams.set("redirect_uri", cfg.redirectUri);
      url.searchParams.set("scope", cfg.scope);
      url.searchParams.set("state", state);
      url.searchParams.set("code_challenge", codeChallenge);
      url.searchParams.set("code_challenge_method", "S256");
      sessionStorage.setItem(PREFIX + state, JSON.stringify({ state, codeVerifier, returnTo, expiresAt: Date.now() + TTL_MS }));
      return url.href;
    },
    async finish(callbackUrl) {
      const url = new URL(callbackUrl);
      const key = PREFIX + url.searchParams.get("state");
      const stored = sessionStorage.getItem(key);
      if (stored === null) throw new Error("no pending transaction for this state");
      sessionStorage.removeItem(key);
      const tx = JSON.parse(stored);
      if (tx.expiresAt < Date.now()) throw new Error("transaction expired");
      const params = oauth.validateAuthResponse(as, client, url, tx.state);
      const code = params.get("code");
      if (!code) throw new Error("no code in the callback");
      return { code, codeVerifier: tx.codeVerifier };
    },
  };
}
