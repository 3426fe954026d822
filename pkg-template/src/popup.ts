/**
 * pleo-oauth's popup code, loaded only when used: `index.js` imports it (`import("./popup.js")`)
 * when `PleoOAuth.popup()` has opened its window, and on a redirect-URI page that finds the
 * popup's nonce in its session storage (it runs in such a popup). A page that only redirects
 * never downloads it. Not a public entry: what it needs from `index.js` (the core's checks and
 * messages, `handleCallback`) comes in as arguments, so it imports nothing at run time.
 *
 * @packageDocumentation
 */

import { Op } from "./ops.js";

/** The BroadcastChannel and message type between a popup and its opener. */
const CHANNEL = "pleo-oauth";
const MESSAGE = "pleo-oauth:callback";
/** The channel between a popup and its opener, where there is BroadcastChannel. */
const broadcast = () => (typeof BroadcastChannel == "function" ? new BroadcastChannel(CHANNEL) : undefined);
/** `closed` this soon after opening is a Cross-Origin-Opener-Policy severance, not the user. */
const SEVERED_WITHIN_MS = 2000;
/** After the popup closes, a callback on its way is still accepted this long. */
const CLOSED_GRACE_MS = 3000;

/**
 * Sends the popup to Pleo and waits for its callback (or its end, the timeout, or a newer
 * `popup()`), then handles it in this window. What it needs from `index.js`, where the core and
 * the connection's storage are, comes as arguments (in order; positional, so that no property
 * name ships):
 *
 * @param win The popup, still this origin's blank page.
 * @param signal Aborted when a newer `popup()` opened its window: this wait ends as `popup_closed`.
 * @param started What the core's `popup` start answered: Pleo's authorisation URL for the popup,
 *   and the state to wait for and for how long (`popup_timeout`).
 * @param prefix The session-storage key prefix of the relay's nonce (the key names the awaited state).
 * @param nonce The relay's nonce, drawn (through the core, from the CSPRNG) before anything was stored.
 * @param core Runs an operation of the core: `popupFailed` rejects with `popup_closed` (1) or
 *   `popup_timeout` (2), `parse` reads a relayed URL's own state.
 * @param enc A string as the core reads it.
 * @param handle Checks the callback and hands it off here (`handleCallback`).
 */
export function wait<R>(
  win: Window,
  signal: AbortSignal,
  { url, state, timeoutMs }: { url: string; state: string; timeoutMs: string },
  prefix: string,
  nonce: string,
  core: (op: Op, args: string[]) => { state?: string },
  enc: (s: string) => string,
  handle: (url: string) => Promise<R>,
): Promise<R> {
  /** Rejects with the core's `popup_closed` (1) or `popup_timeout` (2). */
  const fail = async (kind: 1 | 2): Promise<never> => core(Op.PopupFailed, [String(kind), timeoutMs]) as never;
  // Binds the relay to this popup: a nonce in the popup's own session storage, written while
  // it is still this origin's blank page (it keeps it through Pleo and back, also when a COOP
  // severs it). Its redirect-URI page sends the callback only with the nonce, and only that is
  // accepted here: a callback for this state opened in any other window (a leaked request
  // replayed by an attacker, RFC 9700 §4.5) is not.
  try {
    win.sessionStorage.setItem(prefix + state, nonce);
    win.location.replace(url);
  } catch {
    // closed by the user while the request was being built
  }
  // Closed by the user, or superseded, while the request was being built.
  if (win.closed || signal.aborted) {
    win.close();
    return fail(1);
  }
  return new Promise((resolve, reject) => {
    const channel = broadcast();
    const opened = Date.now();
    let closedAt = 0;
    let severed = false;
    let settled = false;
    const end = (outcome: Promise<R>) => {
      settled = true;
      clearInterval(poll);
      clearTimeout(timer);
      removeEventListener("message", onMessage);
      signal.removeEventListener("abort", onSuperseded);
      channel?.close();
      win.close();
      outcome.then(resolve, reject);
    };
    // Only this origin, only the popup (when it can still be seen), only with its nonce, only
    // a callback URL whose own state is the one awaited.
    const accept = (data: unknown) => {
      const d = data as { type?: unknown; nonce?: unknown; url?: unknown } | null;
      if (d?.type !== MESSAGE || d.nonce !== nonce || typeof d.url != "string" || settled) return;
      try {
        if (core(Op.Parse, [enc(d.url)]).state !== state) return;
      } catch {
        return; // not a callback URL
      }
      end(handle(d.url));
    };
    const onMessage = (e: MessageEvent) => {
      if (e.origin === location.origin && e.source === win) accept(e.data);
    };
    // A newer popup() ends this wait: the window is closed, popup_closed.
    const onSuperseded = () => end(fail(1));
    addEventListener("message", onMessage);
    signal.addEventListener("abort", onSuperseded);
    if (channel) channel.onmessage = (e) => accept(e.data);
    const timer = setTimeout(() => end(fail(2)), +timeoutMs);
    // `closed` is also true at once when a Cross-Origin-Opener-Policy severs the popup from
    // this window: within the first seconds it is taken for that (the callback then arrives
    // by BroadcastChannel, or the timeout ends the wait, or a newer popup()); later, for the
    // user closing it, after a grace period in which a callback on its way is still accepted.
    const poll = setInterval(() => {
      if (severed || !win.closed) return;
      closedAt ||= Date.now();
      if (closedAt - opened < SEVERED_WITHIN_MS) severed = true;
      else if (Date.now() - closedAt > CLOSED_GRACE_MS) end(fail(1));
    }, 250);
  });
}

/**
 * On the redirect-URI page in a popup that `popup()` opened (`index.js` found and took the
 * opener's nonce for this state in the popup's session storage): sends the callback URL with
 * the nonce to the opener — `postMessage` to this exact origin, or a `BroadcastChannel` when a
 * Cross-Origin-Opener-Policy severed `window.opener` — removes it from the address bar and
 * closes the popup. The opener checks it and hands it off. The promise never settles (the
 * popup closes): it is `handleCallback`'s there.
 */
export function relay(nonce: string, url: string): Promise<never> {
  const message = { type: MESSAGE, nonce, url };
  // To the opener at this exact origin; only when a COOP severed the two (no `opener`) over
  // the channel, which every window of this origin hears.
  if (opener) {
    try {
      opener.postMessage(message, location.origin);
    } catch {
      // the opener is gone: nothing to pass the callback to
    }
  } else {
    const channel = broadcast();
    channel?.postMessage(message);
    channel?.close();
  }
  try {
    history.replaceState(null, "", location.origin + location.pathname);
  } catch {
    // a sandboxed document
  }
  close();
  return new Promise(() => {});
}
