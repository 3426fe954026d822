// The browser's options, shared by the settings page and the callback page. The test builds
// the app with the stand-in's address and the app's own origin in NEXT_PUBLIC_* variables
// (inlined by Next at build time); a partner writes the registered values here.
import type { PleoOAuthOptions } from "pleo-oauth";

const issuer = process.env.NEXT_PUBLIC_PLEO_ISSUER ?? "http://127.0.0.1:3001";

export const pleoOptions: PleoOAuthOptions = {
  clientId: process.env.NEXT_PUBLIC_PLEO_CLIENT_ID ?? "next-fixture",
  redirectUri: process.env.NEXT_PUBLIC_PLEO_REDIRECT_URI ?? "http://localhost:3000/pleo/callback",
  scopes: ["users:read"],
  environment: { authorizationEndpoint: `${issuer}/oauth/authorize`, issuer },
  handoff: { url: "/api/pleo/exchange", startUrl: "/api/pleo/start" },
};
