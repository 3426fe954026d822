// oidc-client-ts: OidcClient with inline metadata (no discovery fetch) and a sessionStorage
// state store. createSigninRequest() makes the PKCE pair and state and stores them;
// processSigninResponse() would go on to the token request, so the callback stops at
// readSigninResponseState(url, true), which finds and removes the stored state.
import { OidcClient, WebStorageStateStore } from "oidc-client-ts";

export async function createClient(cfg) {
  const issuer = new URL(cfg.authorizationEndpoint).origin;
  const client = new OidcClient({
    authority: issuer,
    metadata: { issuer, authorization_endpoint: cfg.authorizationEndpoint },
    client_id: cfg.clientId,
    redirect_uri: cfg.redirectUri,
    response_type: "code",
    scope: cfg.scope,
    stateStore: new WebStorageStateStore({ store: window.sessionStorage }),
  });
  return {
    async start(returnTo) {
      const request = await client.createSigninRequest({ state: { returnTo } });
      return request.url;
    },
    async finish(callbackUrl) {
      const { state, response } = await client.readSigninResponseState(callbackUrl, true);
      // The checks processSigninResponse makes before its token request.
      if (response.error) throw new Error(`authorization error: ${response.error}`);
      if (!response.code) throw new Error("no code in the callback");
      return { code: response.code, codeVerifier: state.code_verifier };
    },
  };
}
