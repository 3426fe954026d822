/**
 * pleo-oauth — connect a customer's Pleo account from your web frontend.
 *
 * The browser builds the authorisation redirect (PKCE S256) and checks the callback; your
 * backend exchanges the code for tokens with its client secret. Every rule and every message
 * lives in the WebAssembly core, a set of pure functions over strings; this wrapper loads it
 * lazily (once), does the I/O it asks for (Web Storage, the address bar, `fetch`, the CSPRNG,
 * the clock) and turns its failures into {@link PleoOAuthError}s. The core never sees a
 * caller's JS value: options and arguments are read here, inside `try`, and cross as JSON.
 *
 * Importing this module touches no `window`, `document`, storage or `crypto`, so server-side
 * rendering frameworks can import it; the WebAssembly loads on first use.
 *
 * @packageDocumentation
 */

import { initSync, call as wasmCall, reset } from "./pleo_oauth.js";

// ------------------------------------------------------------------------------------ errors

/**
 * Why a call failed. Stable: check `error.code`, never the message.
 *
 * - `invalid_config` — an option of {@link PleoOAuth.create} breaks a rule, or the code runs
 *   outside a browser, or the WebAssembly module could not be loaded.
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
  | "handoff_failed";

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

  /**
   * @param code The stable failure code.
   * @param message What went wrong and what to do (never a secret).
   * @param details The server's error fields, or the handoff status.
   */
  constructor(code: PleoOAuthErrorCode, message: string, details: PleoOAuthErrorDetails = {}) {
    super(message);
    this.name = "PleoOAuthError";
    this.code = code;
    for (const key of ["error", "errorDescription", "errorUri", "status"] as const) {
      if (details[key] !== undefined) Object.assign(this, { [key]: details[key] });
    }
  }
}

// ------------------------------------------------------------------------------------ loading

let loading: Promise<unknown> | undefined;

/**
 * Loads the WebAssembly module once; a failed load is retried on the next call. Compiled while
 * it downloads (`compileStreaming`; served with another MIME type it is compiled once it has
 * arrived), then instantiated with wasm-bindgen's imports. `new URL(…, import.meta.url)` is the
 * form bundlers recognise to emit the file as an asset.
 */
function load(): Promise<unknown> {
  return (loading ??= (async () => {
    const response = await fetch(new URL("pleo_oauth_bg.wasm", import.meta.url));
    if (!response.ok) throw `HTTP ${response.status} for ${response.url}`;
    const module = await (response.headers.get("content-type")?.startsWith("application/wasm")
      ? WebAssembly.compileStreaming(response)
      : response.arrayBuffer().then((bytes) => WebAssembly.compile(bytes)));
    initSync({ module });
  })().catch((cause: unknown) => {
    loading = undefined;
    throw new PleoOAuthError(
      "invalid_config",
      `pleo-oauth could not load its WebAssembly module (${String(cause)}). Serve pleo_oauth_bg.wasm next to index.js and allow 'wasm-unsafe-eval' in your Content-Security-Policy.`,
    );
  }));
}

async function run<T>(f: () => T | Promise<T>): Promise<T> {
  await load();
  return f();
}

// ------------------------------------------------------------------------------------ the edge

/**
 * What every core function answers: `{ ok }` or `{ err: { code, message, … } }`. The answer
 * has been copied out of the module's memory, and the core keeps nothing between calls, so
 * its arena is emptied here, after every call.
 */
function core<T>(op: Op, a = "", b = "", c = "", d = "", entropy = NONE, n = 0, m = 0): T {
  // The string arguments travel as one, NUL-separated: none of them can hold a raw NUL (they
  // are JSON.stringify's output or location.href).
  let reply: string;
  try {
    reply = wasmCall(op, [a, b, c, d].join("\0"), entropy, n, m);
  } catch {
    // Only an input larger than the module's memory can get here (the core does not panic):
    // the call trapped; the arena is emptied below and the module keeps working.
    reply = `{"err":{"code":"${op ? "invalid_parameter" : "invalid_config"}","message":"pleo-oauth: an argument is too large to process."}}`;
  } finally {
    reset();
  }
  const r = JSON.parse(reply) as { ok: T; err?: PleoOAuthErrorDetails & { code: PleoOAuthErrorCode; message: string } };
  if (r.err) throw new PleoOAuthError(r.err.code, r.err.message, r.err);
  return r.ok;
}

/**
 * A caller's value as the JSON the core reads, taken inside `try`: what JSON cannot hold is
 * tagged `{"\0": kind}` for the core to name in its message; a getter or `Proxy` trap that
 * throws becomes the tag "unreadable". `undefined` is `null`.
 */
function snap(value: unknown): string {
  const copy = (v: unknown, depth: number): unknown => {
    try {
      if (v == null) return null;
      const type = typeof v;
      if (type == "string" || type == "boolean") return v;
      if (type == "number") return isFinite(v as number) ? v : { "\0": "number" };
      if (type != "object") return { "\0": type };
      if (depth > 4) return { "\0": "deep" };
      // Without a prototype, a polluted Array.prototype.toJSON cannot rewrite the snapshot.
      if (Array.isArray(v)) return Object.setPrototypeOf(Array.from(v, (x) => copy(x, depth + 1)), null);
      // A Map, Headers, URLSearchParams or other class instance: its entries are not own
      // properties, so copying it would silently drop them.
      const proto = Object.getPrototypeOf(v);
      if (proto != Object.prototype && proto != null) return { "\0": "instance" };
      // No prototype, so an own "__proto__" key stays a key (and is refused as unknown).
      const out: Record<string, unknown> = Object.create(null);
      for (const k of Object.keys(v as object)) out[k] = copy((v as Record<string, unknown>)[k], depth + 1);
      return out;
    } catch {
      return { "\0": "unreadable" };
    }
  };
  return JSON.stringify(copy(value, 0));
}

/** The core's functions (src/wasm.rs `call`). */
const enum Op {
  Configure,
  Start,
  Locate,
  Finish,
  HandedOff,
  Pkce,
  Challenge,
  State,
  Parse,
}

const NONE: Uint8Array<ArrayBuffer> = new Uint8Array(0);

/** 64 bytes from the platform CSPRNG (none, where there is none: the core refuses that). */
function entropy(): Uint8Array<ArrayBuffer> {
  const bytes = new Uint8Array(64);
  const csprng = globalThis.crypto as Crypto | undefined;
  return csprng ? csprng.getRandomValues(bytes) : bytes.subarray(0, 0);
}

/** What the core's `configure` answers: what the I/O here needs. */
interface Io {
  storage: "sessionStorage" | "localStorage";
  prefix: string;
  unavailable: string;
  refused: string;
  handoff?: { url: string; startUrl?: string; credentials: RequestCredentials; headers: [string, string][]; timeoutMs: number };
}

/** What `start` answers. */
interface Started {
  url: string;
  key: string;
  record: string;
  remove: string[];
  /** With `handoff.startUrl`: the `{ state, code_challenge }` JSON to register first. */
  bind?: string;
}

/** What `finish` answers. */
interface Finished {
  clean: string;
  returnTo?: string;
  handoff: HandoffPayload;
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
  /** At least one `resource:permission` scope; sent space-separated. */
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
export interface CallbackResult<Backend = unknown> {
  /** The `returnTo` given when the connection started. */
  returnTo?: string;
  /** With `handoff`: your backend's parsed JSON answer (`null` for an empty body). */
  backend?: Backend;
  /** Without `handoff`: the values for your own token exchange. */
  handoff?: HandoffPayload;
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

  private constructor(options: string, io: Io) {
    this.#options = options;
    this.#io = io;
  }

  /**
   * Fetches and compiles the WebAssembly module now (idempotent; {@link PleoOAuth.create}
   * calls it). Call it early, e.g. when the page with the Connect button mounts, so that the
   * first click costs nothing. Rejects with `invalid_config` when the module cannot load.
   */
  static async preload(): Promise<void> {
    await load();
  }

  /**
   * Checks the options and the chosen storage, loading the WebAssembly module on first use.
   * Rejects with `invalid_config` (a broken rule, or not in a browser) or `storage_unavailable`.
   */
  static async create(options: PleoOAuthOptions): Promise<PleoOAuth> {
    if (typeof window === "undefined" || typeof document === "undefined") {
      throw new PleoOAuthError(
        "invalid_config",
        "PleoOAuth.create needs a browser: call it on the client (for example in an effect or an event handler), not during server-side rendering.",
      );
    }
    return run(() => {
      const snapshot = snap(options);
      const pleo = new PleoOAuth(snapshot, core<Io>(Op.Configure, snapshot));
      pleo.#storage();
      return pleo;
    });
  }

  /** The configured Web Storage, or `storage_unavailable`. */
  #storage(): Storage {
    let storage: Storage | null = null;
    try {
      storage = window[this.#io.storage];
    } catch {
      // blocked by the browser's settings or a sandboxed frame
    }
    if (!storage) throw new PleoOAuthError("storage_unavailable", this.#io.unavailable);
    return storage;
  }

  /** Runs `f` on the storage; a storage that throws is `storage_unavailable`. */
  #withStorage<T>(f: (storage: Storage) => T): T {
    const storage = this.#storage();
    try {
      return f(storage);
    } catch {
      throw new PleoOAuthError("storage_unavailable", this.#io.refused);
    }
  }

  async #start(options: unknown): Promise<string> {
    const { prefix, handoff } = this.#io;
    const pending = this.#withStorage((s) => {
      const found: [string, string | null][] = [];
      for (let i = 0; i < s.length; i++) {
        const key = s.key(i);
        if (key?.startsWith(prefix)) found.push(Object.setPrototypeOf([key, s.getItem(key)], null));
      }
      return found;
    });
    // Without prototypes, a polluted Array.prototype.toJSON cannot rewrite the list.
    const r = core<Started>(Op.Start, this.#options, snap(options), JSON.stringify(Object.setPrototypeOf(pending, null)), "", entropy(), Date.now());
    // Bound handoff: the backend learns this state and challenge before anything is stored;
    // a refusal leaves nothing behind.
    if (r.bind && handoff?.startUrl) await this.#post(handoff, handoff.startUrl, r.bind, "start");
    this.#withStorage((s) => {
      for (const key of r.remove) s.removeItem(key);
      s.setItem(r.key, r.record);
    });
    return r.url;
  }

  /**
   * Starts a connection without navigating: a fresh PKCE verifier and state, the transaction
   * stored under the state (expired ones dropped), and the authorisation URL returned.
   */
  authorizationUrl(options?: AuthorizationUrlOptions): Promise<string> {
    return run(() => this.#start(options));
  }

  /** {@link PleoOAuth.authorizationUrl}, then `location.assign()` to it. */
  redirect(options?: AuthorizationUrlOptions): Promise<void> {
    return run(async () => location.assign(await this.#start(options)));
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
  handleCallback<Backend = unknown>(url?: string | URL | Location): Promise<CallbackResult<Backend>> {
    return run(() => {
      let href: unknown;
      try {
        href = url == null ? location.href : url instanceof URL || (typeof Location != "undefined" && url instanceof Location) ? url.href : url;
      } catch {
        href = Symbol();
      }
      const url_ = snap(href);
      const here = location.href;
      const isHere = url_ == snap(here);
      // Outcomes are per client (options) and URL: another client on the page gets its own.
      const key = this.#options + url_;
      let outcome = outcomes.get(key);
      if (!outcome) {
        outcome = this.#complete(url_, here, isHere);
        remember(key, outcome);
        // After the clean-up the address bar shows another URL; a second call that reads it
        // must still get this outcome.
        if (isHere && location.href != here) remember(this.#options + snap(location.href), outcome);
      }
      return outcome as Promise<CallbackResult<Backend>>;
    });
  }

  /** Steps 1–9 now (so that a second call finds the outcome), step 10 when it answers. */
  #complete(url: string, here: string, isHere: boolean): Promise<CallbackResult<unknown>> {
    try {
      const { key } = core<{ key: string }>(Op.Locate, url);
      const record = this.#withStorage((s) => {
        const value = s.getItem(key);
        if (value != null) s.removeItem(key);
        return value;
      });
      const r = core<Finished>(Op.Finish, this.#options, url, JSON.stringify(record), here, NONE, Date.now());
      // Only the address of the callback being handled is cleaned, not another page's.
      if (isHere && !here.endsWith(r.clean)) {
        try {
          // Keep the router's history state; only the URL changes. Absolute, so that an
          // injected <base> cannot make replaceState refuse the URL and leave the code visible.
          history.replaceState(history.state, "", location.origin + r.clean);
        } catch {
          // a sandboxed document: the address bar keeps the parameters, nothing else changes
        }
      }
      const result: CallbackResult<unknown> = r.returnTo === undefined ? {} : { returnTo: r.returnTo };
      if (!this.#io.handoff) return Promise.resolve({ ...result, handoff: r.handoff });
      const h = this.#io.handoff;
      return this.#post(h, h.url, r.body, "").then((backend) => ({ ...result, backend }));
    } catch (e) {
      return Promise.reject(e);
    }
  }

  /**
   * A handoff request (step 10's exchange, or `"start"` for `handoff.startUrl`): POST the body
   * with the handoff's headers, credentials and timeout; the core judges what came back.
   */
  async #post(h: NonNullable<Io["handoff"]>, url: string, body: string, request: "" | "start"): Promise<unknown> {
    const signal = AbortSignal.timeout(h.timeoutMs);
    let kind = 0;
    let status = 0;
    let backend: unknown = null;
    try {
      // The timeout bounds the whole exchange, also a fetch (wrapped by an extension or an SDK)
      // that ignores the signal or never settles.
      const timedOut = new Promise<never>((_, reject) => signal.addEventListener("abort", reject));
      const text = await Promise.race([
        timedOut,
        (async () => {
          // Resolved against the origin, never document.baseURI: an injected <base> must not
          // redirect the code. Redirects are refused: the code goes to this URL and nowhere else.
          const response = await fetch(new URL(url, location.origin), {
            method: "POST",
            body,
            headers: h.headers,
            credentials: h.credentials,
            redirect: "error",
            signal,
          });
          status = response.status;
          return response.text();
        })(),
      ]);
      kind = 4;
      if (!text.trim()) kind = 2;
      else {
        backend = JSON.parse(text);
        kind = 3;
      }
    } catch {
      if (kind != 4) kind = signal.aborted ? 1 : 0;
    }
    core(Op.HandedOff, this.#options, request, "", "", NONE, kind, status);
    return backend;
  }
}

// ------------------------------------------------------------------------------------ helpers

/** A fresh PKCE pair: 32 random bytes, base64url (43 characters), and its S256 challenge. */
export function createPkce(): Promise<Pkce> {
  return run(() => core<Pkce>(Op.Pkce, "", "", "", "", entropy()));
}

/**
 * The S256 challenge of a verifier (RFC 7636 §4.2). Rejects with `invalid_parameter` unless
 * the verifier is 43–128 characters of `[A-Za-z0-9-._~]`.
 */
export function codeChallenge(verifier: string): Promise<string> {
  return run(() => core<string>(Op.Challenge, snap(verifier)));
}

/** A fresh `state`: 256 random bits, base64url. */
export function generateState(): Promise<string> {
  return run(() => core<string>(Op.State, "", "", "", "", entropy()));
}

/**
 * The OAuth parameters of a callback URL's query. Rejects with `duplicate_parameter` when
 * `code`, `state`, `error`, `error_description`, `error_uri` or `iss` is repeated. Empty values
 * count as absent (RFC 6749 §3.1).
 */
export function parseCallback(url: string): Promise<CallbackParameters> {
  return run(() => core<CallbackParameters>(Op.Parse, snap(url)));
}
