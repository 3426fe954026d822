/**
 * pleo-oauth — connect a customer's Pleo account from your web frontend.
 *
 * The browser builds the authorisation redirect (PKCE S256) and checks the callback; your
 * backend exchanges the code for tokens with its client secret. Every rule and every message
 * lives in the WebAssembly core, a set of pure functions over strings; this wrapper loads it
 * lazily (once), does the I/O it asks for (Web Storage, the address bar, `fetch`, the CSPRNG,
 * Web Crypto's SHA-256, the clock) and turns its failures into {@link PleoOAuthError}s. The core never sees a
 * caller's JS value: options and arguments are read here, inside `try`, and cross as JSON.
 *
 * Importing this module touches no `window`, `document`, storage or `crypto`, so server-side
 * rendering frameworks can import it; the WebAssembly loads on first use.
 *
 * @packageDocumentation
 */

import { CREATE, ENVIRONMENT, HANDOFF, KEY_PREFIX, MESSAGE_COUNT, Msg, Op, POPUP, START } from "./ops.js";

// ------------------------------------------------------------------------------------ errors

/**
 * Why a call failed. Stable: check `error.code`, never the message.
 *
 * - `invalid_config` — an option of {@link PleoOAuth.create} breaks a rule, or the code runs
 *   outside a browser, or the WebAssembly module (or, for a popup, `popup.js`) could not be loaded.
 * - `invalid_parameter` — an argument (`returnTo`, `extraParams`, a verifier, a URL) is not acceptable.
 * - `storage_unavailable` — `sessionStorage` / `localStorage` cannot be used.
 * - `not_a_callback` — the URL has neither `code` nor `error`.
 * - `duplicate_parameter` — `code`, `state`, `error`, `error_description`, `error_uri` or `iss` appears twice.
 * - `missing_state` — the callback has no `state`.
 * - `unknown_state` — no pending connection matches the `state` (forged, replayed, other browser).
 * - `expired` — the connection was started longer ago than `transactionTtlSeconds`.
 * - `issuer_mismatch` — a configured issuer and the callback's `iss` differ (RFC 9207).
 * - `redirect_uri_mismatch` — the callback page is not the redirect URI the flow started with.
 * - `authorization_error` — Pleo answered with `error` (see `error`, `errorDescription`, `errorUri`).
 * - `missing_code` — a callback without `error` also lacks `code`.
 * - `handoff_failed` — the backend handoff failed (see `status`; 0 when no response arrived).
 * - `already_handled` — this browser already completed this connection: the callback page was
 *   reloaded, or the user went Back and approved again. Nothing was sent again; send the user
 *   on to `returnTo`.
 * - `popup_blocked` — the browser refused to open the popup of {@link PleoOAuth.popup}.
 * - `popup_closed` — the user closed the popup before the connection completed.
 * - `popup_timeout` — the popup did not complete within its `timeoutMs` (it was closed).
 *
 * Every error raised once the connection was found (`expired` to `handoff_failed`, and
 * `already_handled`) carries its `returnTo` and `appState`.
 */
export type PleoOAuthErrorCode =
  | "invalid_config"
  | "invalid_parameter"
  | "storage_unavailable"
  | "not_a_callback"
  | "duplicate_parameter"
  | "missing_state"
  | "unknown_state"
  | "expired"
  | "issuer_mismatch"
  | "redirect_uri_mismatch"
  | "authorization_error"
  | "missing_code"
  | "handoff_failed"
  | "already_handled"
  | "popup_blocked"
  | "popup_closed"
  | "popup_timeout";

/** Extra fields a {@link PleoOAuthError} may carry. */
export interface PleoOAuthErrorDetails {
  /** `authorization_error`: the server's `error`, e.g. `"access_denied"`. */
  error?: string;
  /** `authorization_error`: the server's `error_description`, when sent. */
  errorDescription?: string;
  /** `authorization_error`: the server's `error_uri`, when sent. */
  errorUri?: string;
  /** `handoff_failed`: the HTTP status of the handoff response, 0 when none arrived. */
  status?: number;
  /** The `returnTo` of the connection, on errors raised after it was found. */
  returnTo?: string;
  /** The `appState` of the connection, on errors raised after it was found (`null` round-trips). */
  appState?: unknown;
  /** The sentence for the end user (`PleoOAuthError.userMessage`); a general one when absent. */
  userMessage?: string;
}

/**
 * Every failure of pleo-oauth. A real `Error` subclass: `instanceof PleoOAuthError` works,
 * and `code` says what went wrong. Messages never contain the code, the verifier or a token.
 */
export class PleoOAuthError extends Error {
  /** The stable failure code. */
  readonly code: PleoOAuthErrorCode;
  /** `authorization_error`: the server's `error`. */
  declare readonly error?: string;
  /** `authorization_error`: the server's `error_description`. */
  declare readonly errorDescription?: string;
  /** `authorization_error`: the server's `error_uri`. */
  declare readonly errorUri?: string;
  /** `handoff_failed`: HTTP status, 0 when no response arrived. */
  declare readonly status?: number;
  /** The connection's `returnTo`, on errors raised after it was found (and `already_handled`). */
  declare readonly returnTo?: string;
  /** The connection's `appState`, on errors raised after it was found (and `already_handled`). */
  declare readonly appState?: unknown;
  /**
   * One short sentence for the person using your app: what happened and what they can do, in
   * their terms — e.g. `"You cancelled the connection to Pleo."` when they chose Deny at Pleo.
   * Set on every error. Show this one in your UI and log `message`, which is written for you,
   * the developer. It never quotes anything of the request or of the server's answer (no URL,
   * no parameter, no `error_description`) and never a secret. The sentences are in English; to
   * show your own, branch on `code` (and `error`). Where the texts (`messages.js`) cannot be
   * loaded, and on an error made with this constructor without `details.userMessage`, it is a
   * general sentence: "Connecting to Pleo did not work. Please try again."
   */
  readonly userMessage: string = "Connecting to Pleo did not work. Please try again.";

  /**
   * @param code The stable failure code.
   * @param message What went wrong and what to do (never a secret).
   * @param details The server's error fields, or the handoff status.
   */
  constructor(code: PleoOAuthErrorCode, message: string, details: PleoOAuthErrorDetails = {}) {
    super(message);
    this.name = "PleoOAuthError";
    this.code = code;
    for (const key of "error errorDescription errorUri status returnTo appState userMessage".split(" ") as (keyof PleoOAuthErrorDetails)[]) {
      // Own fields only: a polluted Object.prototype.returnTo must not become this error's.
      if (Object.hasOwn(details, key) && details[key] !== undefined) (this as Record<string, unknown>)[key] = details[key];
    }
  }
}

// ------------------------------------------------------------------------------------ loading

let loading: Promise<unknown> | undefined;

/** The module's exports (src/wasm.rs `exports`): no glue, no imports. */
interface Exports {
  memory: WebAssembly.Memory;
  input(len: number): number;
  call(op: Op, ptr: number, entropyLen: number, argsLen: number, nowMs: number): number;
}
let wasm: Exports;

/** Whether a failed load of messages.js was reported in the console (once). */
let warned = false;

/** The message texts (and the end user's sentences), once loaded. */
let texts: Promise<typeof import("./messages.js")> | undefined;
/** Errors whose message is still the core's number and arguments, or being written out. */
const unwritten = new WeakMap<PleoOAuthError, [Msg, Arg[]] | Promise<void>>();

/**
 * An argument of a message: a string, or a number or URL of the loader's, written as `String()`
 * writes it (`join` and `String.raw` do).
 */
type Arg = string | number | URL;

/** A failure with the core's message `msg` (written out by {@link run}). */
function failure(code: PleoOAuthErrorCode, msg: Msg, args: Arg[] = [], details?: PleoOAuthErrorDetails): PleoOAuthError {
  const e = new PleoOAuthError(code, `pleo-oauth: ${code}${args.length ? ` (${args.join(", ")})` : ""}`, details);
  unwritten.set(e, [msg, args]);
  return e;
}

// ------------------------------------------------------------------------------------ the edge

// One of each, shared by every call (a new pair per call cost the warm round trip about 3% in a
// profile of make bench's warm loop).
const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** A string as the core reads it: percent-encoded (lone surrogates as U+FFFD, as TextEncoder does). */
function enc(s: string): string {
  // In unicode mode (u) a pair is one code point (no surrogate, Cs): only lone surrogates match.
  return encodeURIComponent(s.replace(/\p{Cs}/gu, "\ufffd"));
}

/**
 * Stands for a property whose getter or `Proxy` trap threw. Never handed out of this module, it
 * is also what only create() hands the constructor.
 */
const UNREAD = Symbol();

/** Whether `v` is a plain object (its own properties are all it holds). */
function plain(v: unknown): v is Record<string, unknown> {
  if (typeof v != "object" || v === null || Array.isArray(v)) return false;
  const proto = Object.getPrototypeOf(v);
  return proto == Object.prototype || proto == null;
}

/**
 * `what` must be `expected` but is `v`: the message names its type, "array", a class instance
 * (whose entries are not own properties) or a value that could not be read.
 */
function wrongType(code: PleoOAuthErrorCode, what: string, expected: string, v: unknown): PleoOAuthError {
  try {
    if (v !== UNREAD) {
      const type = v == null ? "undefined" : Array.isArray(v) ? "array" : typeof v;
      return type == "object" && !plain(v) ? failure(code, Msg.WrongTypeInstance, [what, expected]) : failure(code, Msg.WrongType, [what, expected, type]);
    }
  } catch {
    // a Proxy whose trap threw
  }
  return failure(code, Msg.WrongTypeUnreadable, [what, expected]);
}

/** `v[k]` if it is an own property, read inside `try`. */
function own(v: object, k: string | number): unknown {
  try {
    return Object.hasOwn(v, k) ? (v as Record<string, unknown>)[k] : undefined;
  } catch {
    return UNREAD;
  }
}

/**
 * A caller's options object as the core reads it (src/options.rs): checked against its table
 * of src/boundary.rs (ops.ts) — own properties only, unknown names and wrong types refused here
 * with the core's messages — and written as form-encoded `name=value` pairs, in the table's
 * order. `undefined` and `null` are absent. The values are the core's to judge.
 */
function form(value: unknown, table: string, what: string, code: PleoOAuthErrorCode, prefix = "", out: string[] = []): string {
  if (value != null) {
    let names: string[];
    try {
      if (!plain(value)) throw 0;
      names = Object.keys(value);
    } catch {
      throw wrongType(code, what, "an object", value);
    }
    const spec = table.split(" ");
    const known = spec.map((w) => w.slice(1));
    for (const n of names) {
      if (known.includes(n)) continue;
      // A different case (redirectURI) or a missing or extra letter at the end (scope).
      const hint = known.find((a) => a.toLowerCase() == n.toLowerCase() || (n.length > 3 && (a.startsWith(n) || n.startsWith(a))));
      throw hint ? failure(code, Msg.UnknownOptionHint, [what, n, hint, known.join(", ")]) : failure(code, Msg.UnknownOption, [what, n, known.join(", ")]);
    }
    for (const w of spec) {
      const type = w[0];
      const name = w.slice(1);
      const full = prefix + name;
      const v = own(value, name);
      const put = (x: string) => out.push(enc(full) + "=" + enc(x));
      /** An entry of a list or map, which must be a string. */
      const entry = (x: unknown, at: string) => {
        if (typeof x != "string") throw wrongType(code, full + at, "a string", x);
        put(x);
      };
      if (v == null || type == "j") continue; // appState is handed over apart
      const expected = type == "s" ? "a string" : type == "n" ? "a number" : type == "l" ? "an array of strings" : type == "m" ? "an object of strings" : "an object";
      try {
        if (type == "l") {
          if (!Array.isArray(v)) throw wrongType(code, full, expected, v);
          for (let j = 0; j < v.length; j++) entry(own(v, j), `[${j}]`); // a hole stays a hole (a polluted Object.prototype[0] must not fill it)
        } else if (type == "m") {
          if (!plain(v)) throw wrongType(code, full, expected, v);
          // The name, then its value (on a wrong value nothing is written).
          for (const k of Object.keys(v)) put(k), entry(own(v, k), `["${k}"]`);
        } else if (type == "o" || (type == "e" && typeof v != "string")) {
          if (type == "e" && !plain(v)) throw 0; // EnvironmentType, below
          out.push(enc(full + ".") + "=");
          form(v, type == "e" ? ENVIRONMENT : HANDOFF, full, code, full + ".", out);
        } else {
          if (typeof v != (type == "n" ? "number" : "string")) throw wrongType(code, full, expected, v);
          put(String(v));
        }
      } catch (e) {
        // A Proxy or getter that threw on the way spoils only this option, which is named.
        if (e instanceof PleoOAuthError) throw e;
        throw type == "e" ? failure(code, Msg.EnvironmentType) : wrongType(code, full, expected, UNREAD);
      }
    }
  }
  return out.join("&");
}

/**
 * `JSON.stringify(options.appState)`, read inside `try`: `""` when there is none, or `!` and the
 * kind of value JSON would silently drop or alter (`undefined`, a function, a symbol, a bigint,
 * `NaN`/`Infinity`, a class instance such as a `Map`) or cannot write (a cycle, a throwing
 * getter: "an unreadable value"). The core judges it (src/request.rs `check_app_state`).
 */
function appStateJson(options: unknown): string {
  let kind = "an unreadable value";
  try {
    const value = options != null && Object.hasOwn(options, "appState") ? (options as { appState?: unknown }).appState : undefined;
    if (value === undefined) return "";
    return JSON.stringify(value, (_, v: unknown) => {
      const type = typeof v;
      if (type == "string" || type == "boolean" || v === null || Array.isArray(v) || plain(v) || (type == "number" && isFinite(v as number))) return v;
      kind = type == "number" ? "NaN or Infinity" : type == "object" ? "a class instance (a Map, a Set…)" : `a ${type}`;
      throw 0;
    });
  } catch {
    return "!" + kind;
  }
}

const NONE: Uint8Array<ArrayBuffer> = new Uint8Array(0);

/**
 * A stored value as the core reads it: `""` for none, and for one holding U+0001 or a NUL
 * (the separators of its arguments), which is no record this library wrote.
 */
function clean(v: string | null): string {
  return v == null || /[\0\x01]/.test(v) ? "" : v;
}

/** Session-storage key prefix (in the popup) of the nonce its redirect-URI page relays with. */
const POPUP_PREFIX = "pleo-oauth:popup:";
/** Aborted when a newer popup() opens its window: the pending popup's wait ends. */
let superseded: AbortController | undefined;

/**
 * The popup code (popup.js: the opener's wait, the popup's relay), which only popup() and a
 * redirect-URI page in such a popup use: loaded then, not with this module. A literal relative
 * specifier, so that bundlers follow it (and emit it as a chunk of its own).
 */
function popupCode(): Promise<typeof import("./popup.js")> {
  return import("./popup.js").catch((cause: unknown) => {
    throw failure("invalid_config", Msg.LoadPopup, [String(cause)]);
  });
}

/**
 * 64 bytes from the platform CSPRNG; none where there is none or it throws (a
 * QuotaExceededError, a patched `crypto`): the core refuses that with `invalid_config`.
 */
function entropy(): Uint8Array<ArrayBuffer> {
  try {
    // The array it filled, the one it was given; another one (a broken polyfill) is none: a
    // 96-byte one would read as 64 random bytes and a digest.
    const bytes = new Uint8Array(64);
    return crypto.getRandomValues(bytes) === bytes ? bytes : NONE;
  } catch {
    return NONE;
  }
}

/**
 * What a start and `createPkce()` give the core: 64 CSPRNG bytes, then the SHA-256 digest by
 * the platform's Web Crypto (I/O, like the CSPRNG) of the verifier the core makes of them
 * (src/boundary.rs `Verifier`); for `codeChallenge()`, the digest of its `verifier` alone. The
 * bytes alone (none for a verifier) where there is no Web Crypto (a page that is no secure
 * context) or anything fails: the core refuses that with `invalid_config`.
 */
async function digested(verifier?: string): Promise<Uint8Array<ArrayBuffer>> {
  const bytes = verifier == null ? entropy() : NONE;
  try {
    return new Uint8Array([...bytes, ...new Uint8Array(await crypto.subtle.digest("SHA-256", encoder.encode(verifier ?? core<string>(Op.Verifier, [], bytes))))]);
  } catch {
    return bytes;
  }
}

/**
 * What the core's `configure` answers: what the I/O here needs; with `handoff`, its `url`,
 * `startUrl`, `credentials`, `headers` and `timeoutMs` too.
 */
interface Io {
  /** The client record: the checked configuration, passed back instead of the options. */
  client: string;
  storage: "sessionStorage" | "localStorage";
  url?: string;
  startUrl?: string;
  credentials?: RequestCredentials;
  /** The request's headers as a form (`name=value` pairs). */
  headers?: string;
  timeoutMs?: string;
}

/** What `start` answers. */
interface Started {
  url: string;
  key: string;
  record: string;
  /** When the sweep is due: the schedule to store once it is done. */
  sweep?: string;
  /** For `popup()`: the state to wait for. */
  state?: string;
  /** For `popup()`: how long to wait. */
  timeoutMs?: string;
  /** With `handoff.startUrl`: the `state` and `code_challenge` to register first, as a form. */
  bind?: string;
}

/** What `finish` answers (after its storage edits, `store`, and step 9's `clean` were made). */
interface Finished {
  store: string;
  clean?: string;
  returnTo?: string;
  appState?: unknown;
  /** The handoff payload, as a form. */
  handoff: string;
  /** The handoff request's members (`code`, `code_verifier`, `redirect_uri`, `state`), as a form. */
  body: string;
}

/**
 * Outcomes of `handleCallback` by URL, so that a second call in the same page (React
 * StrictMode) gets the same outcome instead of `unknown_state`. Only the last few are kept.
 */
const outcomes = new Map<string, Promise<CallbackResult<unknown>>>();

function remember(url: string, outcome: Promise<CallbackResult<unknown>>): void {
  outcomes.set(url, outcome);
  for (const old of outcomes.keys()) if (outcomes.size > 8) outcomes.delete(old);
}

// ------------------------------------------------------------------------------------ options

/** A Pleo scope, `resource:permission` (e.g. `"users:read"`, `"export-jobs:write"`). */
export type Scope = `${string}:${string}`;

/** Pleo's preset environments. */
export type PleoEnvironmentName = "production" | "staging";

/** A custom authorization server (a local stand-in, tests). */
export interface CustomEnvironment {
  /** Absolute `https:` URL (or `http:` on localhost / 127.0.0.1 / [::1]), without a fragment. Its own query is kept. */
  authorizationEndpoint: string;
  /**
   * The issuer identifier. When set, every callback must carry exactly this `iss`
   * (RFC 9207 mix-up defence); when unset, `iss` is not checked (Pleo documents none).
   */
  issuer?: string;
}

/** Where the browser hands the code to your backend, which exchanges it for tokens. */
export interface HandoffOptions {
  /**
   * A path on this origin (e.g. `"/api/pleo/exchange"`) or an absolute `https:` URL. The
   * browser POSTs `{ code, code_verifier, redirect_uri, state }` as JSON with the header
   * `X-Requested-With: pleo-oauth`; redirects are refused.
   */
  url: string;
  /**
   * Bound handoff (optional; same rules as `url`). Before {@link PleoOAuth.authorizationUrl} /
   * {@link PleoOAuth.redirect} return or navigate, the browser POSTs `{ state, code_challenge }`
   * here (same headers, credentials and timeout); a non-2xx answer or a failed request is
   * `handoff_failed` and nothing is stored. Your backend keeps them in the visitor's session and
   * at the exchange accepts only a `code_verifier` whose S256 challenge and state match what that
   * same session registered — so a code and verifier obtained elsewhere (an attacker's own) cannot
   * be pushed into a victim's session (RFC 9700 §4.5, code injection).
   */
  startUrl?: string;
  /** `fetch` credentials mode. Default `"same-origin"`; `"include"` for a cross-origin backend using cookies. */
  credentials?: "same-origin" | "include" | "omit";
  /** Extra request headers, e.g. a CSRF token. `Content-Type`, `X-Requested-With` and browser-controlled headers are refused. */
  headers?: Record<string, string>;
  /** Milliseconds before the request is aborted (1–600000). Default 15000. */
  timeoutMs?: number;
}

/** The options of {@link PleoOAuth.create}. Unknown option names are refused (`invalid_config`). */
export interface PleoOAuthOptions {
  /** The OAuth client ID Pleo issued to you (required). */
  clientId: string;
  /**
   * The redirect URI exactly as registered with Pleo (required): absolute `https:`, or `http:`
   * on localhost / 127.0.0.1 / [::1]; no fragment.
   */
  redirectUri: string;
  /**
   * At least one `resource:permission` scope; sent space-separated. The type catches a scope
   * without its colon. An options object declared apart from the call infers `scopes` as
   * `string[]`, which is not assignable here ("Type 'string[]' is not assignable to type
   * 'readonly `${string}:${string}`[]'"): declare it `satisfies PleoOAuthOptions` (or annotate it
   * `: PleoOAuthOptions`), or write the list `as const`.
   */
  scopes: readonly Scope[];
  /** `"production"` (default), `"staging"`, or a {@link CustomEnvironment}. */
  environment?: PleoEnvironmentName | CustomEnvironment;
  /**
   * Your backend's exchange endpoint. When set, {@link PleoOAuth.handleCallback} POSTs the code
   * there and resolves with its JSON answer in `backend`; when unset, it resolves with the
   * values in `handoff` for you to send yourself.
   */
  handoff?: HandoffOptions;
  /** Where pending connections are kept: `"session"` (default, per tab) or `"local"` (shared by tabs). */
  storage?: "session" | "local";
  /** How long a started connection stays valid, in whole seconds (1–86400). Default 600. */
  transactionTtlSeconds?: number;
}

/** The options of {@link PleoOAuth.authorizationUrl} and {@link PleoOAuth.redirect}. */
export interface AuthorizationUrlOptions {
  /** A path on this site to return to after the callback (one leading `/`, e.g. `"/settings/integrations"`). */
  returnTo?: string;
  /**
   * Additional authorisation request parameters (e.g. `{ prompt: "consent" }`). The names
   * pleo-oauth sets — `response_type`, `client_id`, `redirect_uri`, `scope`, `state`,
   * `code_challenge`, `code_challenge_method`, `response_mode` — are refused.
   */
  extraParams?: Record<string, string>;
  /**
   * State of your app to get back after the redirect (the open tab, a draft's ID): any JSON
   * value of at most 4096 bytes as JSON. It is kept with the connection in the configured
   * storage (not sent to Pleo) and returned as `appState` on the callback's result and on its
   * errors. `null` round-trips; `undefined` means none. A value `JSON.stringify` would drop or
   * cannot write (a function, `undefined` inside, `NaN`, a `Map`, a cycle) is `invalid_parameter`.
   * Not a place for secrets: it sits in Web Storage, readable by any script of the page.
   */
  appState?: unknown;
}

/** What your backend needs for the token request, when no `handoff` is configured. */
export interface HandoffPayload {
  /** The authorisation code. Secret: send it only to your backend. */
  code: string;
  /** The PKCE code verifier. Secret: send it only to your backend. */
  codeVerifier: string;
  /** The redirect URI of the request (the token request must repeat it exactly). */
  redirectUri: string;
  /** The state of the completed connection. */
  state: string;
}

/** The outcome of a successful {@link PleoOAuth.handleCallback}. */
export interface CallbackResult<Backend = unknown, AppState = unknown> {
  /** The `returnTo` given when the connection started. */
  returnTo?: string;
  /** The `appState` given when the connection started (absent when none was given). */
  appState?: AppState;
  /** With `handoff`: your backend's parsed JSON answer (`null` for an empty body). */
  backend?: Backend;
  /** Without `handoff`: the values for your own token exchange. */
  handoff?: HandoffPayload;
}

/** The options of {@link PleoOAuth.popup}. */
export interface PopupOptions extends AuthorizationUrlOptions {
  /** Milliseconds to wait for the connection before closing the popup (1–3600000). Default 300000. */
  timeoutMs?: number;
}

/** A PKCE pair. */
export interface Pkce {
  /** The code verifier (43 characters). Secret. */
  verifier: string;
  /** BASE64URL(SHA-256(verifier)). */
  challenge: string;
  /** Always `"S256"`. */
  method: "S256";
}

/** The OAuth parameters of a callback URL; absent ones are absent. */
export interface CallbackParameters {
  /** `code`: the authorisation code (secret until exchanged). */
  code?: string;
  /** `state`: ties the callback to the browser that started the flow. */
  state?: string;
  /** `error`: why the server refused, e.g. `"access_denied"`. */
  error?: string;
  /** `error_description`: the server's human-readable explanation. */
  errorDescription?: string;
  /** `error_uri`: a page about the error. */
  errorUri?: string;
  /** `iss`: the issuer of the response (RFC 9207), when the server sends it. */
  iss?: string;
}

// ------------------------------------------------------------------------------------ client

/**
 * A configured Pleo connection. Create it with {@link PleoOAuth.create} on the client.
 *
 * @example
 * ```ts
 * const pleo = await PleoOAuth.create({
 *   clientId: "9b2c…",
 *   redirectUri: "https://app.example.com/pleo/callback",
 *   scopes: ["users:read"],
 *   handoff: { url: "/api/pleo/exchange" },
 * });
 * button.onclick = () => pleo.redirect({ returnTo: "/settings/integrations" });
 * ```
 */
export class PleoOAuth {
  readonly #options: string;
  readonly #io: Io;
  /**
   * When this client sweeps expired records next (what the last sweep answered; none yet: its
   * first start sweeps). Kept here, not in storage: a start reads no record.
   */
  #sweep = "";

  private constructor(token: typeof UNREAD, options: string, io: Io) {
    // Only create() makes clients: a client the core did not configure is none.
    if (token !== UNREAD) throw new PleoOAuthError("invalid_config", "Use PleoOAuth.create().");
    this.#options = options;
    this.#io = io;
  }

  /**
   * Fetches and compiles the WebAssembly module now (idempotent; {@link PleoOAuth.create}
   * calls it). Call it early, e.g. when the page with the Connect button mounts, so that the
   * first click costs nothing. Rejects with `invalid_config` when the module cannot load.
   */
  static preload(): Promise<void> {
    const loaded = run(() => {});
    // Called at module level and never awaited (a 'use client' file rendered on the server), a
    // failure is no unhandled rejection: it rejects for whoever awaits it, and the next call
    // (create(), a helper) tries the load again and reports it.
    loaded.catch(() => {});
    return loaded;
  }

  /**
   * Checks the options and the chosen storage, loading the WebAssembly module on first use.
   * Rejects with `invalid_config` (a broken rule, or not in a browser) or `storage_unavailable`.
   */
  static create(options: PleoOAuthOptions): Promise<PleoOAuth> {
    return run(() => {
      if (options == null) throw failure("invalid_config", Msg.OptionsMissing);
      const snapshot = form(options, CREATE, "PleoOAuth.create", "invalid_config");
      // The redirect URI must be on this page's origin (the transaction is stored per origin).
      const io = core<Io>(Op.Configure, [snapshot, location.origin]);
      const pleo = new PleoOAuth(UNREAD, snapshot, io);
      pleo.#withStorage(() => {}); // the storage must be usable
      return pleo;
      // Outside a browser it fails before the module loads (there is no page to connect from).
    }, typeof window === "undefined" || typeof document === "undefined");
  }

  /** Runs `f` on the configured Web Storage; none, or one that throws, is `storage_unavailable`. */
  #withStorage<T>(f: (storage: Storage) => T): T {
    let storage: Storage | null | undefined;
    try {
      storage = window[this.#io.storage];
    } catch {
      // blocked by the browser's settings or a sandboxed frame
    }
    if (!storage) throw failure("storage_unavailable", Msg.StorageUnavailable, [this.#io.storage]);
    try {
      return f(storage);
    } catch (e) {
      if (e instanceof PleoOAuthError) throw e;
      throw failure("storage_unavailable", Msg.StorageRefused, [this.#io.storage]);
    }
  }

  async #start(options: unknown, popup?: boolean): Promise<Started> {
    const r = core<Started>(popup ? Op.Popup : Op.Start, [this.#io.client, form(options, popup ? POPUP : START, popup ? "popup" : "authorizationUrl", "invalid_parameter"), this.#sweep, appStateJson(options)], await digested());
    // Bound handoff: the backend learns this state and challenge before anything is stored;
    // a refusal leaves nothing behind. (The core answers `bind` only to a client configured
    // with handoff.startUrl: src/wasm.rs `start`, config.bound.)
    if (r.bind) await this.#post(this.#io.startUrl!, r.bind, "start");
    this.#withStorage((s) => {
      // When due, expired and unreadable records are dropped, and only then is the next sweep
      // scheduled (a sweep that failed is tried again at the next start).
      if (r.sweep) {
        // This library's records in storage: keys and values in turn, separated by U+0001
        // (src/wasm.rs `sweep`).
        const found: string[] = [];
        for (let i = 0; i < s.length; i++) {
          const key = s.key(i);
          // (clean() makes a key that is none, or that holds a separator, "".)
          if (clean(key).startsWith(KEY_PREFIX)) found.push(key!, clean(s.getItem(key!)));
        }
        // The stale ones' keys, as the names of the reply's members (own ones only: the reply
        // has no prototype).
        for (const stale in core<object>(Op.Sweep, [found.join("\x01")])) s.removeItem(stale);
        this.#sweep = r.sweep;
      }
      s.setItem(r.key, r.record);
    });
    return r;
  }

  /**
   * Starts a connection without navigating: a fresh PKCE verifier and state, the transaction
   * stored under the state (expired ones dropped), and the authorisation URL returned.
   */
  authorizationUrl(options?: AuthorizationUrlOptions): Promise<string> {
    return run(async () => (await this.#start(options)).url);
  }

  /** {@link PleoOAuth.authorizationUrl}, then `location.assign()` to it. */
  redirect(options?: AuthorizationUrlOptions): Promise<void> {
    return run(async () => location.assign((await this.#start(options)).url));
  }

  /**
   * For your Initiation URI, the page Pleo sends a user to who clicked "Connect" inside Pleo:
   * starts the connection at once ({@link PleoOAuth.redirect}). Pleo sends no parameters
   * there, so none are read.
   */
  handleInitiation(options?: AuthorizationUrlOptions): Promise<void> {
    return this.redirect(options);
  }

  /**
   * Connects in a popup: call it directly in a click handler, before any `await` (the popup is
   * opened at once, so popup blockers allow it). Resolves like {@link PleoOAuth.handleCallback}
   * — the callback is checked and handed off in this window, where the connection's verifier
   * is — or rejects with its errors, or with `popup_blocked`, `popup_closed` or
   * `popup_timeout` (`timeoutMs`, default 300000; the popup is then closed).
   *
   * Your redirect-URI page, loaded in the popup, calls {@link PleoOAuth.handleCallback} as
   * usual: there it passes the callback to this window (`postMessage` to this exact origin, or a
   * `BroadcastChannel` when a `Cross-Origin-Opener-Policy` severed the two) and closes the popup.
   *
   * One popup at a time: a new `popup()` that opens its window supersedes the one still
   * pending — that popup is closed and its promise rejects with `popup_closed` at once (its
   * listeners and timers are removed). A COOP severance makes a popup look closed from the
   * start, so a popup the user closes within 2 s of opening is waited for until `timeoutMs`;
   * keep the button usable while waiting, and a second click starts afresh.
   *
   * The waiting code is `popup.js`, which this module imports only now (after the window was
   * opened); when it cannot be loaded, `popup()` rejects with `invalid_config` naming it.
   */
  popup<Backend = unknown, AppState = unknown>(options?: PopupOptions): Promise<CallbackResult<Backend, AppState>> {
    // Synchronously, inside the click: blank first (same origin), Pleo once the request is built.
    let win: Window | null | undefined;
    try {
      // 520 × 720, centred on this window (each half-difference rounded down to a whole pixel;
      // a screenX of a fraction is read by open() as its whole part).
      win = open("", "_blank", `popup,width=520,height=720,left=${screenX + ((outerWidth - 520) >> 1)},top=${screenY + ((outerHeight - 720) >> 1)}`);
    } catch {
      // a sandboxed frame without allow-popups
    }
    // A popup that opened supersedes the one still pending (whose wait ends as popup_closed).
    let signal: AbortSignal | undefined;
    if (win) {
      superseded?.abort();
      signal = (superseded = new AbortController()).signal;
    }
    return run(async () => {
      if (!signal) return core<never>(Op.PopupFailed, [0]); // no window (a signal is made only for one)
      // The popup code loads while the request is built.
      try {
        // The relay's nonce first: without a working CSPRNG nothing is stored.
        const nonce = core<string>(Op.State, [], entropy());
        const [code, started] = await Promise.all([popupCode(), this.#start(options, true)]);
        // The callback its popup relayed: only this window may take a popup's transaction. (The
        // wait's own outcome is not awaited here: only the failures above close the popup.)
        return code.wait(win!, signal, started as Required<Started>, POPUP_PREFIX, nonce, core, enc, (url) => this.#callback(url, "popup") as Promise<CallbackResult<Backend, AppState>>);
      } catch (e) {
        win!.close();
        throw e;
      }
    });
  }

  /**
   * Call on the redirect URI page. Checks the callback in this order — repeated parameters,
   * `code`/`error` present, `state` present, a pending connection for that state (consumed
   * now), not expired, issuer (when configured), callback page = redirect URI, no `error`,
   * `code` present — then removes the OAuth parameters from the address bar and, with
   * `handoff`, POSTs the code to your backend.
   *
   * A second call with the same URL in the same page (React StrictMode) returns the same outcome.
   *
   * @param url The callback URL: a string, a `URL` or a `Location`; default `window.location.href`.
   */
  handleCallback<Backend = unknown, AppState = unknown>(url?: string | URL | Location): Promise<CallbackResult<Backend, AppState>> {
    return run(() => {
      let href: unknown;
      try {
        href = url == null ? location.href : url instanceof URL || (typeof Location != "undefined" && url instanceof Location) ? url.href : url;
      } catch {
        // a Location or URL whose href throws: no string, refused below
      }
      if (typeof href != "string") throw failure("invalid_parameter", Msg.CallbackUrlType);
      const here = location.href;
      // In a popup that popup() opened: pass the callback to the window that started it. The
      // nonce the opener put in the popup's session storage for the callback's state, taken (it
      // is used once); without one (or when anything here throws) the callback is handled here
      // as usual.
      if (href == here)
        try {
          const { state } = core<CallbackParameters>(Op.Parse, [enc(here)]);
          const nonce = state && sessionStorage.getItem(POPUP_PREFIX + state);
          if (nonce) {
            sessionStorage.removeItem(POPUP_PREFIX + state);
            return popupCode().then((code) => code.relay(nonce, here));
          }
        } catch {
          // not a callback URL, or no session storage
        }
      return this.#callback(href, "");
    }) as Promise<CallbackResult<Backend, AppState>>;
  }

  /**
   * The callback at `url`, handled once per client (options) and URL: another client on the
   * page gets its own outcome; `via` is `"popup"` for the one a popup relayed to this window.
   */
  #callback(url: string, via: string): Promise<CallbackResult<unknown>> {
    const key = via + this.#options + url;
    let outcome = outcomes.get(key);
    if (!outcome) {
      const here = location.href;
      // After the clean-up the address bar shows another URL; a second call that reads it
      // (React StrictMode's second effect) must still get this outcome.
      const cleaned = () => location.href != here && remember(via + this.#options + location.href, outcome!);
      // Steps 1–9 now (so that a second call finds the outcome), step 10 when it answers.
      outcome = (async (): Promise<CallbackResult<unknown>> => {
        // One read–decide–write of the one record the callback is about.
        const key = core<string>(Op.Locate, [enc(url)]);
        let edited = false;
        const step = () =>
          this.#withStorage((s) =>
            core<Finished>(Op.Finish, [this.#io.client, enc(url), key && clean(s.getItem(key)), here, via], NONE, (store, address) => {
              for (const [key, value] of store) {
                edited = true;
                try {
                  // The completed record replaces the consumed transaction under its key: done when
                  // it reads back (a storage shim or blocker may drop a write without throwing). An
                  // empty value removes.
                  if (value && (s.setItem(key, value), s.getItem(key) === value)) continue;
                } catch {
                  // not written (a full storage)
                }
                // Removed, whatever: a consumed transaction (with its verifier) must not outlive
                // the callback. A lost completed record costs only a later reload its
                // already_handled: the connection itself succeeded, so it is not failed for it.
                s.removeItem(key);
              }
              // Step 9 after every completed callback (a Deny too), given only when the callback
              // handled is this page's address.
              if (address != null) {
                try {
                  // Keep the router's history state; only the URL changes. Absolute, so that an
                  // injected <base> cannot make replaceState refuse the URL and leave the code visible.
                  history.replaceState(history.state, "", location.origin + address);
                  cleaned();
                } catch {
                  // a sandboxed document: the address bar keeps the parameters, nothing else changes
                }
              }
            }),
          );
        // localStorage is shared by the tabs, but each reads its own copy, brought up to date only
        // after a moment: under a Web Lock on the record's key, kept 2 s longer by a tab that
        // consumed it, another tab handling the same callback at this moment waits, then finds it
        // completed (already_handled).
        // (The core names sessionStorage or localStorage: only the latter sorts before "s".)
        const locks = this.#io.storage < "s" && key && navigator.locks;
        const r = locks
          ? await new Promise<Finished>((resolve) =>
              locks.request(key, () => {
                // step() now, under the lock; what it throws rejects.
                resolve(new Promise<Finished>((done) => done(step())));
                return edited && new Promise((done) => setTimeout(done, 2000));
              }),
            )
          : step();
        // What the connection carries (its returnTo and appState, when it has them).
        const { store: _store, clean: _clean, handoff, body, ...result }: Finished = r;
        const { url: exchange } = this.#io;
        if (!exchange) return { ...result, handoff: obj(handoff) as unknown as HandoffPayload };
        return this.#post(exchange, body, "").then(
          (backend) => ({ ...result, backend }),
          (e: PleoOAuthError) => {
            // Step 10's failure carries the connection's returnTo and appState, as steps 4–9's do.
            throw Object.assign(e, result);
          },
        );
      })();
      remember(key, outcome);
      cleaned();
    }
    return outcome;
  }

  /**
   * A handoff request (step 10's exchange, or `"start"` for `handoff.startUrl`): POST the
   * members of the form `body` as JSON with the handoff's headers, credentials and timeout; the
   * core judges what came back.
   */
  async #post(url: string, body: string, request: "" | "start"): Promise<unknown> {
    const h = this.#io as Required<Io>;
    const signal = AbortSignal.timeout(+h.timeoutMs);
    // 2 a response, 1 the timeout, 0 none.
    let kind = 2;
    let status = 0;
    let text = "";
    try {
      // The timeout bounds the whole exchange, also a fetch (wrapped by an extension or an SDK)
      // that ignores the signal or never settles.
      text = await Promise.race([
        new Promise<never>((_, reject) => signal.addEventListener("abort", reject)),
        (async () => {
          // Resolved against the origin, never document.baseURI: an injected <base> must not
          // redirect the code. Redirects are refused: the code goes to this URL and nowhere else.
          // The init without prototype: fetch reads every member it knows (mode, integrity,
          // referrerPolicy…), also a polluted Object.prototype's.
          const response = await fetch(
            new URL(url, location.origin),
            Object.setPrototypeOf({ method: "POST", body: JSON.stringify(obj(body)), headers: [...new URLSearchParams(h.headers)], credentials: h.credentials, redirect: "error", signal }, null),
          );
          status = response.status;
          return response.text();
        })(),
      ]);
    } catch {
      kind = +signal.aborted;
    }
    core(Op.HandedOff, [request, url, h.timeoutMs, kind, status]);
    // Step 10: the parsed JSON, else the text (a backend answering `200 OK` as text has
    // exchanged the code), `null` for a 0-byte body.
    try {
      return text ? JSON.parse(text) : null;
    } catch {
      return text;
    }
  }
}

// ------------------------------------------------------------------------------------ run and core
// (Here, after the client that calls them: in this place the minified module compresses best.)

/**
 * Runs a public call once the module is loaded. Errors leave here with their message written
 * out: the core answers a message as its number and arguments, and the texts (messages.js,
 * generated from src/messages.rs) are loaded only when an error is reported. `outside` (create()
 * outside a browser) fails before the module loads, its message written out too.
 */
async function run<T>(f: () => T | Promise<T>, outside?: boolean): Promise<T> {
  try {
    if (outside) throw failure("invalid_config", Msg.NotInBrowser);
    // Loads the WebAssembly module once; a failed load is retried on the next call, and its error
    // names the real cause (no network, an HTTP status, a response that is not WebAssembly, the
    // page's Content-Security-Policy). In a browser the module is compiled while it downloads
    // (`compileStreaming`; served with another MIME type it is compiled once it has arrived).
    // Under Node — unit tests with jsdom or happy-dom, scripts — `import.meta.url` is a `file:`
    // URL, which `fetch` cannot read: the file is read from disk instead. `new URL(…,
    // import.meta.url)` is the form bundlers recognise to emit the file as an asset.
    await (loading ??= (async () => {
      type Fs = { readFileSync(path: URL): Uint8Array<ArrayBuffer> };
      const fs = (globalThis as { process?: { getBuiltinModule?(name: string): Fs } }).process?.getBuiltinModule?.("fs");
      let url = new URL("pleo_oauth_bg.wasm", import.meta.url);
      // Bundled for a server (webpack's route handlers, webpack's and Turbopack's server renders
      // in Next.js), that is a URL without a scheme (/_next/static/media/…), which Node can neither
      // fetch nor read. Under Node the package's own file is read instead, next to this module's
      // file: URL: import.meta.url outside the `new URL(…, import.meta.url)` form, which bundlers
      // leave alone (webpack writes the module's path in, Turbopack resolves it at run time).
      if (fs && !url.protocol) url = new URL("pleo_oauth_bg.wasm", new URL(import.meta.url));
      // A blocked fetch or compile fires this event (asynchronously) naming the directive.
      let directive = "";
      const onViolation = (e: Event) => (directive ||= (e as SecurityPolicyViolationEvent).effectiveDirective);
      globalThis.addEventListener?.("securitypolicyviolation", onViolation);
      // What went wrong, as a message of src/messages.rs and its arguments.
      type Why = [Msg, ...Arg[]];
      const csp = async (cause: Why): Promise<Why> => {
        await new Promise((resolve) => setTimeout(resolve));
        return directive ? (directive.startsWith("connect") ? [Msg.LoadCspConnect, directive, url.origin] : [Msg.LoadCspScript, directive]) : cause;
      };
      try {
        let bytes!: ArrayBuffer | Uint8Array<ArrayBuffer>;
        // Served as WebAssembly: compiled while it downloads.
        let stream: Response | undefined;
        if (url.protocol == "file:") {
          if (!fs) throw [Msg.LoadNoFiles, url.pathname];
          try {
            bytes = fs.readFileSync(url);
          } catch (e) {
            throw [Msg.LoadRead, url.pathname, (e as { code?: string }).code ?? String(e)];
          }
        } else {
          let response: Response;
          try {
            response = await fetch(url);
          } catch (e) {
            throw await csp([Msg.LoadDownload, url, String(e)]);
          }
          if (!response.ok) throw [Msg.LoadStatus, response.status, url];
          const type = response.headers.get("content-type") ?? "";
          if (type.startsWith("application/wasm")) stream = response;
          else {
            bytes = await response.arrayBuffer();
            // A single-page app's fallback answers every path with its HTML page. (WebAssembly
            // starts with "\0asm", whose bytes String() writes as "0,97,115,109".)
            if (String(new Uint8Array(bytes.slice(0, 4))) != "0,97,115,109") throw [Msg.LoadNotWasm, url, type || "no content type"];
          }
        }
        try {
          wasm = new WebAssembly.Instance(await (stream ? WebAssembly.compileStreaming(stream) : WebAssembly.compile(bytes))).exports as unknown as Exports;
        } catch (e) {
          throw await csp([Msg.LoadCompile, String(e)]);
        }
      } finally {
        globalThis.removeEventListener?.("securitypolicyviolation", onViolation);
      }
    })().catch((e: unknown) => {
      loading = undefined;
      // The loader throws a message and its arguments; anything else (a bundler's odd URL) is a
      // failed load too, with its own text.
      const [msg, ...args] = Array.isArray(e) ? (e as [Msg, ...Arg[]]) : [Msg.LoadCompile, String(e)];
      throw failure("invalid_config", msg, args);
    }));
    return await f();
  } catch (e) {
    // Its message is written out once, however many calls report it (React StrictMode's second
    // call shares the first one's outcome): every caller waits for the same writing.
    const m = unwritten.get(e as PleoOAuthError);
    if (Array.isArray(m)) {
      unwritten.set(
        e as PleoOAuthError,
        (async () => {
          try {
            const { default: list, user } = await (texts ??= import("./messages.js"));
            // A messages.js of another build (a tab left open across a deploy) has other templates:
            // it is used only when it has as many as this build (so every Msg is one of its own
            // indices) and this one fits the arguments.
            const parts = list.length == MESSAGE_COUNT && list[m[0]]?.split("{}");
            if (parts && parts.length == m[1].length + 1) {
              // The template's pieces with the arguments between them.
              (e as PleoOAuthError).message = String.raw({ raw: parts }, ...m[1]);
              // The end user's sentence of this message (it takes no argument), its own string only;
              // an older messages.js has no `user` (own() reads that as unreadable), and the error
              // keeps the general one.
              const sentence = own(user, m[0]);
              if (typeof sentence == "string") (e as { userMessage: string }).userMessage = sentence;
            }
          } catch {
            // The texts could not be loaded: the error keeps its code and the message's facts.
            warned ||= (console.warn("pleo-oauth: serve messages.js next to index.js."), true);
            texts = undefined;
          }
        })(),
      );
    }
    await unwritten.get(e as PleoOAuthError);
    throw e;
  }
}

/**
 * Runs one operation of the core (src/boundary.rs `OPS`: its string arguments in order, the
 * CSPRNG bytes when it takes them, and the clock). Every operation answers a form-encoded text,
 * copied out of the module's memory: its members, `ok` for one value, or an error's `code`,
 * `msg`, one `a` per argument and its details. The core keeps nothing between calls and empties
 * its arena when the next one starts.
 */
function core<T>(op: Op, args: (string | number)[] = [], random = NONE, edit?: (store: URLSearchParams, clean?: string) => void): T {
  let reply: string;
  try {
    // The string arguments travel as one, NUL-separated: none of them can hold a raw NUL (they
    // are percent-encoded forms and strings, JSON.stringify's output, location.href, the
    // client record, or storage records handed over only without one); a number is written as
    // String() writes it.
    const text = args.join("\0");
    const room = random.length + text.length * 3;
    const ptr = wasm.input(room);
    new Uint8Array(wasm.memory.buffer).set(random, ptr);
    const { written: length } = encoder.encodeInto(text, new Uint8Array(wasm.memory.buffer, ptr + random.length, text.length * 3));
    const at = wasm.call(op, ptr, random.length, length, Date.now());
    const out = wasm.memory.buffer;
    reply = decoder.decode(new Uint8Array(out, at + 4, new DataView(out).getUint32(at, true)));
  } catch {
    // Only an input larger than the module's memory can get here (the core does not panic):
    // the call trapped, and the next call starts with an empty arena.
    throw failure(op ? "invalid_parameter" : "invalid_config", Msg.TooLarge);
  }
  // The reply's members (src/wasm.rs `Reply`), an error's too (`error_fields`), as own
  // properties of an object without prototype, so that a key the core left out reads
  // `undefined` (never a polluted `Object.prototype.handoff`, `returnTo`, `code`…). Values handed
  // to the caller keep theirs (`appState`, the handoff payload; `createPkce` and `parseCallback`
  // copy theirs).
  const r = Object.setPrototypeOf(obj(reply), null) as PleoOAuthErrorDetails & {
    ok?: T;
    code: PleoOAuthErrorCode;
    msg?: Msg;
    store?: string;
    clean?: string;
  };
  if (edit) {
    // `finish`'s appState (src/wasm.rs `context_fields`): the text JSON.stringify wrote at the
    // start, read back from storage, which any script of the origin can rewrite. This JSON.parse
    // is the one JSON grammar it meets, before any edit is made. One that does not parse makes
    // the record count as none, as one that does not decode does (src/transaction.rs
    // `Record::decode`): the core is asked again with no record (`stored`, its third argument),
    // and that answer's edits and outcome are made (unknown_state and the record removed; for a
    // reload of a cleaned address, not_a_callback), none of this one's.
    try {
      if (r.appState != null) r.appState = JSON.parse(r.appState as string);
    } catch {
      args[2] = "";
      return core(op, args, random, edit);
    }
    // Its storage edits (and the address a completed callback leaves) whatever the outcome.
    edit(new URLSearchParams(r.store), r.clean);
  }
  if (r.msg) {
    // (A message's number indexes the templates as its text does; only `status` is a number.)
    r.status &&= +r.status;
    throw failure(r.code, r.msg, new URLSearchParams(reply).getAll("a"), r);
  }
  // One value (`ok`), or the members.
  return r.ok ?? (r as T);
}

/** The members of a form-encoded text (a reply of the core, or a form inside one). */
function obj(form: string): Record<string, string> {
  return Object.fromEntries(new URLSearchParams(form));
}

// ------------------------------------------------------------------------------------ helpers

/** A fresh PKCE pair: 32 random bytes, base64url (43 characters), and its S256 challenge. */
export function createPkce(): Promise<Pkce> {
  return run(async () => ({ ...core<Pkce>(Op.Pkce, [], await digested()) }));
}

/**
 * The S256 challenge of a verifier (RFC 7636 §4.2). Rejects with `invalid_parameter` unless
 * the verifier is 43–128 characters of `[A-Za-z0-9-._~]`.
 */
export function codeChallenge(verifier: string): Promise<string> {
  return run(async () => {
    if (typeof verifier != "string") throw failure("invalid_parameter", Msg.ChallengeArgument);
    // The core checks the verifier first (invalid_parameter), then the digest.
    return core<string>(Op.Challenge, [enc(verifier)], await digested(verifier));
  });
}

/** A fresh `state`: 256 random bits, base64url. */
export function generateState(): Promise<string> {
  return run(() => core<string>(Op.State, [], entropy()));
}

/**
 * The OAuth parameters of a callback URL's query. Rejects with `duplicate_parameter` when
 * `code`, `state`, `error`, `error_description`, `error_uri` or `iss` is repeated. Empty values
 * count as absent (RFC 6749 §3.1).
 */
export function parseCallback(url: string): Promise<CallbackParameters> {
  return run(() => {
    if (typeof url != "string") throw failure("invalid_parameter", Msg.ParseArgument);
    return { ...core<CallbackParameters>(Op.Parse, [enc(url)]) };
  });
}
