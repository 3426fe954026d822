/**
 * pleo-oauth/react — React bindings (React ≥ 18, an optional peer dependency).
 *
 * Two hooks, over the main entry's {@link PleoOAuth}: {@link usePleoConnect} for the page with
 * the "Connect to Pleo" button, {@link usePleoCallback} for the redirect-URI route. Both are
 * StrictMode-safe (the handoff is made once: `handleCallback` returns the same outcome to a
 * second call in the same page) and SSR-safe (nothing touches `window` during render; the
 * client is created in an effect). No logic of the flow lives here.
 *
 * @packageDocumentation
 */

import { useCallback, useEffect, useRef, useState } from "react";
import { PleoOAuth, PleoOAuthError } from "./index.js";
import type { CallbackResult, PleoOAuthOptions, PopupOptions } from "./index.js";

/** Clients by options (their JSON), so that every hook with the same options shares one. */
const clients = new Map<string, Promise<PleoOAuth>>();
/** The same clients once created: a popup must open in the click, before any `await`. */
const ready = new Map<string, PleoOAuth>();

/** The options' identity for effects: equal options give equal keys, whatever the object. */
function keyOf(options: PleoOAuthOptions): string {
  try {
    return JSON.stringify(options) ?? "";
  } catch {
    return ""; // not JSON (a cycle): create() says what is wrong with it
  }
}

/** The client for these options, created once; a failed creation is tried again next time. */
function client(options: PleoOAuthOptions): Promise<PleoOAuth> {
  const key = keyOf(options);
  let pleo = clients.get(key);
  if (!pleo) {
    pleo = PleoOAuth.create(options);
    clients.set(key, pleo);
    pleo.then(
      (p) => ready.set(key, p),
      () => clients.delete(key),
    );
  }
  return pleo;
}

/** Every failure as a {@link PleoOAuthError} (the package rejects with nothing else). */
function asError(e: unknown): PleoOAuthError {
  return e instanceof PleoOAuthError ? e : new PleoOAuthError("invalid_config", String(e));
}

/** The options of `connect()`: those of `redirect()`, or of `popup()` with `popup: true`. */
export interface ConnectOptions extends PopupOptions {
  /** Connect in a popup (`PleoOAuth.popup`) instead of redirecting this page. */
  popup?: boolean;
}

/** What {@link usePleoConnect} returns. */
export interface PleoConnect<Backend = unknown, AppState = unknown> {
  /**
   * Starts the connection: stores the transaction and navigates to Pleo (`redirect()`), or with
   * `{ popup: true }` opens Pleo in a popup (`popup()`) and resolves with its result (also in
   * `result`). Call it directly in the click handler. Never rejects: a failure lands in `error`
   * (and the promise resolves with `undefined`).
   *
   * A call while an earlier one is still under way supersedes it: `pending`, `awaitingPopup`
   * and `error` follow the newer call, and a new popup closes the one still awaited (that
   * call resolves with `undefined`; its `popup_closed` is not put in `error`).
   */
  connect: (options?: ConnectOptions) => Promise<CallbackResult<Backend, AppState> | undefined>;
  /**
   * True from the click until the page navigates away to Pleo (it stays true while it does), or
   * until the redirect failed. A popup never sets it (see `awaitingPopup`), so a button disabled
   * while `pending` stays usable for a new attempt while a popup is awaited.
   */
  pending: boolean;
  /**
   * With `{ popup: true }`: true from the click until the popup's outcome. Not a reason to
   * disable the button: a popup the user closes within 2 s of opening looks to this page like a
   * Cross-Origin-Opener-Policy severance and is awaited until `timeoutMs`, and a new `connect()`
   * closes it and starts afresh at once.
   */
  awaitingPopup: boolean;
  /** With `{ popup: true }`: the connection's result once it succeeded; `null` before. */
  result: CallbackResult<Backend, AppState> | null;
  /** Why the last attempt failed (or why the client could not be created on mount); `null` otherwise. */
  error: PleoOAuthError | null;
}

/**
 * For the page with the "Connect to Pleo" button. Creates the client (and loads the
 * WebAssembly module) when the component mounts, so that the click costs nothing; a
 * configuration error shows in `error` at once.
 *
 * @example
 * ```tsx
 * const { connect, pending, error } = usePleoConnect(pleoOptions);
 * return (
 *   <>
 *     <button disabled={pending} onClick={() => connect({ returnTo: "/settings/integrations" })}>Connect to Pleo</button>
 *     {error && <p role="alert">{error.userMessage}</p>}
 *   </>
 * );
 * ```
 */
export function usePleoConnect<Backend = unknown, AppState = unknown>(options: PleoOAuthOptions): PleoConnect<Backend, AppState> {
  /** What is under way: 1 a redirect (`pending`), 2 a popup (`awaitingPopup`), 0 nothing. */
  const [busy, setBusy] = useState(0);
  const [error, setError] = useState<PleoOAuthError | null>(null);
  const [result, setResult] = useState<CallbackResult<Backend, AppState> | null>(null);
  const key = keyOf(options);
  const latest = useRef(options);
  latest.current = options;
  /** The latest connect(): only its end changes `busy` and `error`. */
  const attempt = useRef(0);
  useEffect(() => {
    let live = true;
    client(options).catch((e: unknown) => live && setError(asError(e)));
    return () => {
      live = false;
    };
  }, [key]);
  const connect = useCallback((call: ConnectOptions = {}) => {
    const id = ++attempt.current;
    const { popup, ...rest } = call;
    setBusy(popup ? 2 : 1);
    setError(null);
    const options = latest.current;
    // The popup opens synchronously when the client is ready (created on mount).
    const pleo = ready.get(keyOf(options));
    // Only the caller's own `popup` (never a polluted Object.prototype.popup).
    const started: Promise<CallbackResult<Backend, AppState> | void> = popup && Object.hasOwn(call, "popup")
      ? pleo
        ? pleo.popup<Backend, AppState>(rest)
        : client(options).then((p) => p.popup<Backend, AppState>(rest))
      : client(options).then((p) => p.redirect(rest));
    // Only the latest call's end is shown: a superseded popup's popup_closed is not an error.
    const last = () => id == attempt.current && (setBusy(0), true);
    return started.then(
      (r) => {
        if (!r) return undefined; // navigating away: still pending
        setResult(r);
        last();
        return r;
      },
      (e: unknown) => {
        if (last()) setError(asError(e));
        return undefined;
      },
    );
  }, []);
  return { connect, pending: busy == 1, awaitingPopup: busy == 2, error, result };
}

/** What {@link usePleoCallback} returns. */
export type PleoCallbackState<Backend = unknown, AppState = unknown> =
  | { status: "pending" }
  | { status: "success"; result: CallbackResult<Backend, AppState> }
  | { status: "error"; error: PleoOAuthError };

/**
 * For the redirect-URI route: handles the callback in the address bar once (also under
 * StrictMode), hands the code to `options.handoff`, and reports the outcome. On
 * `already_handled` (a reload or Back after connecting) send the user on to
 * `error.returnTo`; on other errors, `error.returnTo` is where the connection started, when
 * it was found.
 *
 * @example
 * ```tsx
 * const state = usePleoCallback(pleoOptions);
 * if (state.status === "pending") return <p>Connecting…</p>;
 * if (state.status === "success") return <Navigate to={state.result.returnTo ?? "/"} replace />;
 * if (state.error.code === "already_handled") return <Navigate to={state.error.returnTo ?? "/"} replace />;
 * return <p role="alert">{state.error.userMessage} <a href={state.error.returnTo ?? "/"}>Back</a></p>;
 * ```
 */
export function usePleoCallback<Backend = unknown, AppState = unknown>(
  options: PleoOAuthOptions,
): PleoCallbackState<Backend, AppState> {
  const [state, setState] = useState<PleoCallbackState<Backend, AppState>>({ status: "pending" });
  const key = keyOf(options);
  /**
   * The callback's handling, once under way: options that change after it started (a header
   * that arrives later) neither start it again nor report the first one's outcome as another.
   */
  const handling = useRef<Promise<CallbackResult<Backend, AppState>> | null>(null);
  useEffect(() => {
    // The options of this render (the effect runs again only when they changed, by `key`).
    // Every run reports the one outcome (a report after unmount does nothing).
    (handling.current ??= client(options).then(
      (pleo) => pleo.handleCallback<Backend, AppState>(),
      // Options a client could not be created from: the next options try again.
      (e: unknown) => {
        handling.current = null;
        throw e;
      },
    )).then(
      (result) => setState({ status: "success", result }),
      (e: unknown) => setState({ status: "error", error: asError(e) }),
    );
  }, [key]);
  return state;
}
