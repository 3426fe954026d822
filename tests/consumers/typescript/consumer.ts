// A TypeScript consumer that uses every public name and option of pleo-oauth. It is only
// type-checked (tsc --strict --noEmit, with bundler and with NodeNext resolution); each
// `@ts-expect-error` line is a mistake the types must catch — if one stops being an error,
// tsc fails with "Unused '@ts-expect-error' directive".
import {
  PleoOAuth,
  PleoOAuthError,
  codeChallenge,
  createPkce,
  generateState,
  parseCallback,
  type AuthorizationUrlOptions,
  type CallbackParameters,
  type CallbackResult,
  type CustomEnvironment,
  type HandoffOptions,
  type HandoffPayload,
  type Pkce,
  type PopupOptions,
  type PleoEnvironmentName,
  type PleoOAuthErrorCode,
  type PleoOAuthErrorDetails,
  type PleoOAuthOptions,
  type Scope,
} from "pleo-oauth";

const scopes: Scope[] = ["users:read", "export-jobs:read"];
const custom: CustomEnvironment = { authorizationEndpoint: "http://localhost:3001/oauth/authorize", issuer: "http://localhost:3001" };
const envName: PleoEnvironmentName = "staging";
const handoff: HandoffOptions = {
  url: "/api/pleo/exchange",
  credentials: "include",
  headers: { "X-CSRF-Token": "t" },
  timeoutMs: 10_000,
};
const options: PleoOAuthOptions = {
  clientId: "9b2c…",
  redirectUri: "https://app.example.com/pleo/callback",
  scopes,
  environment: custom,
  handoff,
  storage: "local",
  transactionTtlSeconds: 300,
};
const alsoValid: PleoOAuthOptions = { clientId: "c", redirectUri: "https://a.example/cb", scopes: ["test:test"], environment: envName, storage: "session" };

interface Backend {
  connected: boolean;
  company: string;
}

export async function everything(): Promise<string> {
  const pleo: PleoOAuth = await PleoOAuth.create(options);
  await PleoOAuth.create(alsoValid);
  const urlOptions: AuthorizationUrlOptions = { returnTo: "/settings", extraParams: { prompt: "consent" } };
  const url: string = await pleo.authorizationUrl(urlOptions);
  await pleo.authorizationUrl();
  await pleo.redirect({ returnTo: "/x" });
  await pleo.handleInitiation({ returnTo: "/settings", appState: { from: "pleo" } });
  const popupOptions: PopupOptions = { returnTo: "/x", appState: [1, "two"], timeoutMs: 60_000 };
  const viaPopup: CallbackResult<{ ok: boolean }, number[]> = await pleo.popup<{ ok: boolean }, number[]>(popupOptions);
  void viaPopup.appState?.length;
  const result: CallbackResult<Backend> = await pleo.handleCallback<Backend>();
  const company: string | undefined = result.backend?.company;
  const payload: HandoffPayload | undefined = (await pleo.handleCallback("https://app.example.com/pleo/callback?code=a&state=b")).handoff;
  const pkce: Pkce = await createPkce();
  const method: "S256" = pkce.method;
  const challenge: string = await codeChallenge(pkce.verifier);
  const state: string = await generateState();
  const params: CallbackParameters = await parseCallback(url);
  return [company, payload?.codeVerifier, method, challenge, state, params.iss, result.returnTo].join();
}

// Issue 18 (7): the options in a module of their own, declared apart from the call, as partners
// write them. With `satisfies PleoOAuthOptions`, or the list `as const`, scopes keep their type
// (and a scope without its colon is still caught); without either they infer as string[].
export const pleoConfig = {
  clientId: "9b2c…",
  redirectUri: "https://app.example.com/pleo/callback",
  scopes: ["users:read", "export-jobs:read"],
  handoff: { url: "/api/pleo/exchange" },
} satisfies PleoOAuthOptions;
export const pleoConfigAsConst = { clientId: "c", redirectUri: "https://a.example/cb", scopes: ["users:read"] as const };
export const pleoConfigBare = { clientId: "c", redirectUri: "https://a.example/cb", scopes: ["users:read"] };
export async function configsApart(): Promise<void> {
  await PleoOAuth.create(pleoConfig);
  await PleoOAuth.create(pleoConfigAsConst);
  // @ts-expect-error — scopes declared apart infer as string[]: the README's fix is `satisfies PleoOAuthOptions`
  await PleoOAuth.create(pleoConfigBare);
  // @ts-expect-error — satisfies still catches a scope without its colon
  void ({ clientId: "c", redirectUri: "https://a.example/cb", scopes: ["users"] } satisfies PleoOAuthOptions);
}

/** What an app shows its user, and what it logs: two texts on every error. */
export function shown(e: PleoOAuthError): { user: string; log: string } {
  const user: string = e.userMessage;
  const made = new PleoOAuthError("expired", "developer text", { userMessage: "Try again." });
  // @ts-expect-error — userMessage is read-only
  e.userMessage = "x";
  return { user: user || made.userMessage, log: e.message };
}

export function explain(e: unknown): string {
  if (!(e instanceof PleoOAuthError)) return "not ours";
  const code: PleoOAuthErrorCode = e.code;
  const details: PleoOAuthErrorDetails = { error: e.error ?? "", status: e.status ?? 0 };
  switch (code) {
    case "authorization_error":
      return `${e.error}: ${e.errorDescription ?? ""} ${e.errorUri ?? ""}`;
    case "handoff_failed":
      return `HTTP ${details.status}`;
    case "popup_blocked":
    case "popup_closed":
    case "popup_timeout":
      return "offer to connect again";
    case "already_handled":
      return `back to ${e.returnTo ?? "/"} (${JSON.stringify(e.appState)})`;
    case "invalid_config":
    case "invalid_parameter":
    case "storage_unavailable":
    case "not_a_callback":
    case "duplicate_parameter":
    case "missing_state":
    case "unknown_state":
    case "expired":
    case "issuer_mismatch":
    case "redirect_uri_mismatch":
    case "missing_code":
      return e.message;
    default: {
      // Exhaustive: a code missing above would make `code` not `never` here.
      const never: never = code;
      return never;
    }
  }
}

export function mistakes(e: PleoOAuthError): void {
  // @ts-expect-error — a misspelt option name
  void PleoOAuth.create({ clientId: "c", redirectURI: "https://a.example/cb", scopes: ["users:read"] });
  // @ts-expect-error — clientId is required
  void PleoOAuth.create({ redirectUri: "https://a.example/cb", scopes: ["users:read"] });
  // @ts-expect-error — a scope must be resource:permission
  void PleoOAuth.create({ clientId: "c", redirectUri: "https://a.example/cb", scopes: ["users"] });
  // @ts-expect-error — storage is "session" or "local"
  void PleoOAuth.create({ clientId: "c", redirectUri: "https://a.example/cb", scopes: ["users:read"], storage: "cookie" });
  // @ts-expect-error — an unknown environment name
  void PleoOAuth.create({ clientId: "c", redirectUri: "https://a.example/cb", scopes: ["users:read"], environment: "prod" });
  // @ts-expect-error — handoff.credentials is a fetch credentials mode
  void PleoOAuth.create({ clientId: "c", redirectUri: "https://a.example/cb", scopes: ["a:b"], handoff: { url: "/x", credentials: "always" } });
  // @ts-expect-error — a misspelt authorizationUrl option
  void ({ return_to: "/x" } satisfies AuthorizationUrlOptions);
  // @ts-expect-error — "invalid_scope" is not a pleo-oauth error code
  if (e.code === "invalid_scope") return;
  // @ts-expect-error — nor is "access_denied" (that is e.error of an authorization_error)
  const wrong: PleoOAuthErrorCode = "access_denied";
  void wrong;
  // @ts-expect-error — the constructor only takes known codes
  void new PleoOAuthError("oops", "message");
  // @ts-expect-error — code is read-only
  e.code = "expired";
}
