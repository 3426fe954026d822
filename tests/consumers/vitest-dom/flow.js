// What a partner's own unit test of a "Connect Pleo" feature does, written once and run by
// jsdom.spec.js and happydom.spec.js (not *.test.js: node --test would run those). Only the public API of the installed "pleo-oauth" package;
// no mocks of fetch, crypto, storage or WebAssembly.
import { test, expect } from "vitest";
import { PleoOAuth, PleoOAuthError, createPkce, codeChallenge, parseCallback } from "pleo-oauth";

const ORIGIN = "http://localhost:3000";
const REDIRECT_URI = `${ORIGIN}/pleo/callback`;
const options = (extra = {}) => ({
  clientId: "test-client",
  redirectUri: REDIRECT_URI,
  scopes: ["users:read"],
  environment: { authorizationEndpoint: "https://auth.example.com/oauth/authorize" },
  ...extra,
});

/** Rejection of `promise`, or a failure when it resolves. */
async function rejection(promise) {
  try {
    await promise;
  } catch (e) {
    return e;
  }
  throw new Error("expected a rejection, but the promise resolved");
}

/**
 * Registers the partner-style tests. `userAgentMark` is a word of the DOM library's user agent,
 * so the suite fails if the environment docblock was not honoured.
 */
export function pleoFlowSuite(environment, userAgentMark) {
  test(`${environment}: the page is a ${environment} page on ${ORIGIN}`, () => {
    expect(navigator.userAgent).toContain(userAgentMark);
    expect(location.origin).toBe(ORIGIN);
  });

  test(`${environment}: create() refuses a redirect URI on another origin`, async () => {
    const e = await rejection(PleoOAuth.create(options({ redirectUri: "http://127.0.0.1:3000/pleo/callback" })));
    expect(e).toBeInstanceOf(PleoOAuthError);
    expect(e.code).toBe("invalid_config");
    expect(e.message).toContain("http://127.0.0.1:3000");
    expect(e.message).toContain(ORIGIN);
  });

  test(`${environment}: authorizationUrl, then handleCallback returns the handoff`, async () => {
    const pleo = await PleoOAuth.create(options());
    const url = new URL(await pleo.authorizationUrl({ returnTo: "/settings", appState: { tab: "pleo" } }));
    expect(`${url.origin}${url.pathname}`).toBe("https://auth.example.com/oauth/authorize");
    const q = url.searchParams;
    expect(q.get("response_type")).toBe("code");
    expect(q.get("code_challenge_method")).toBe("S256");
    expect(q.get("client_id")).toBe("test-client");
    expect(q.get("redirect_uri")).toBe(REDIRECT_URI);
    expect(q.get("scope")).toBe("users:read");
    const state = q.get("state");
    expect(state).toMatch(/^[A-Za-z0-9_-]{16,}$/);
    expect(q.get("code_challenge")).toMatch(/^[A-Za-z0-9_-]{43}$/);

    const callback = `${REDIRECT_URI}?code=abc&state=${state}`;
    const result = await pleo.handleCallback(callback);
    expect(result.returnTo).toBe("/settings");
    expect(result.appState).toEqual({ tab: "pleo" });
    expect(result.backend).toBeUndefined();
    expect(result.handoff).toEqual({
      code: "abc",
      codeVerifier: expect.stringMatching(/^[A-Za-z0-9_-]{43}$/),
      redirectUri: REDIRECT_URI,
      state,
    });
    expect(await codeChallenge(result.handoff.codeVerifier)).toBe(q.get("code_challenge"));

    // The same callback again, from another client instance (different options, so no in-page
    // memo applies): the transaction is gone.
    const again = await PleoOAuth.create(options({ transactionTtlSeconds: 600 }));
    const replay = await rejection(again.handleCallback(callback));
    expect(replay).toBeInstanceOf(PleoOAuthError);
    expect(replay.code).toBe("already_handled");
    expect(replay.returnTo).toBe("/settings");

    const forged = await rejection(again.handleCallback(`${REDIRECT_URI}?code=abc&state=forged-state-${"x".repeat(32)}`));
    expect(forged).toBeInstanceOf(PleoOAuthError);
    expect(forged.code).toBe("unknown_state");
  });

  test(`${environment}: a denied authorisation rejects with authorization_error`, async () => {
    const pleo = await PleoOAuth.create(options());
    const state = new URL(await pleo.authorizationUrl({ returnTo: "/settings" })).searchParams.get("state");
    const e = await rejection(pleo.handleCallback(`${REDIRECT_URI}?error=access_denied&state=${state}`));
    expect(e).toBeInstanceOf(PleoOAuthError);
    expect(e.code).toBe("authorization_error");
    expect(e.error).toBe("access_denied");
    expect(e.returnTo).toBe("/settings");
  });

  test(`${environment}: handleCallback() reads the current location and cleans the address bar`, async () => {
    const pleo = await PleoOAuth.create(options());
    const state = new URL(await pleo.authorizationUrl({ returnTo: "/home" })).searchParams.get("state");
    expect(sessionStorage.length).toBeGreaterThan(0);
    history.replaceState(null, "", `/pleo/callback?code=from-location&state=${state}`);
    try {
      const result = await pleo.handleCallback();
      expect(result.returnTo).toBe("/home");
      expect(result.handoff.code).toBe("from-location");
      expect(result.handoff.state).toBe(state);
      expect(location.href).toBe(REDIRECT_URI);
    } finally {
      history.replaceState(null, "", "/");
    }
  });

  test(`${environment}: createPkce and parseCallback`, async () => {
    const pkce = await createPkce();
    expect(pkce.verifier).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(pkce.method).toBe("S256");
    expect(pkce.challenge).toBe(await codeChallenge(pkce.verifier));
    expect(await codeChallenge("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk")).toBe("E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM");
    expect(await parseCallback(`${REDIRECT_URI}?code=a&state=b`)).toEqual({ code: "a", state: "b" });
  });
}
