// @badgateway/oauth2-client: generateCodeVerifier() and getAuthorizeUri() (which computes the
// S256 challenge); the library has no state generator nor storage, so the state is 32 random
// bytes and the transaction is kept in sessionStorage under it; validateResponse() checks the
// callback against the stored state.
import { OAuth2Client, generateCodeVerifier } from "@badgateway/oauth2-client";

const PREFIX = "badgateway:";
const TTL_MS = 600_000;

function randomState() {
  const bytes = crypto.getRandomValues(new Uint8Array(32));
  return btoa(String.fromCharCode(...bytes)).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

export async function createClient(cfg) {
  const client = new OAuth2Client({ clientId: cfg.clientId, authorizationEndpoint: cfg.authorizationEndpoint });
  return {
    async start(returnTo) {
      const codeVerifier = await generateCodeVerifier();
      const state = randomState();
      const url = await client.authorizationCode.getAuthorizeUri({
        redirectUri: cfg.redirectUri,
        state,
        codeVerifier,
        scope: [cfg.scope],
      });
      sessionStorage.setItem(PREFIX + state, JSON.stringify({ state, codeVerifier, returnTo, expiresAt: Date.now() + TTL_MS }));
      return url;
    },
    async finish(callbackUrl) {
      const key = PREFIX + new URL(callbackUrl).searchParams.get("state");
      const stored = sessionStorage.getItem(key);
      if (stored === null) throw new Error("no pending transaction for this state");
      sessionStorage.removeItem(key);
      const tx = JSON.parse(stored);
      if (tx.expiresAt < Date.now()) throw new Error("transaction expired");
      const { code } = client.authorizationCode.validateResponse(callbackUrl, { state: tx.state });
      return { code, codeVerifier: tx.codeVerifier };
    },
  };
}
