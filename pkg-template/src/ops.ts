// Generated from src/boundary.rs by `cargo test` (UPDATE_BOUNDARY=1 rewrites it): do not edit.
/** The core's operations; the string arguments of each, in order, in its comment. */
export const enum Op {
  /** (options, origin) */
  Configure = 0,
  /** (client, options, records, appState) */
  Start = 1,
  /** (client, options, records, appState) */
  Popup = 2,
  /** (client, url, records, here) */
  Finish = 3,
  /** (request, url, timeoutMs, response, status) */
  HandedOff = 4,
  /** (why, timeoutMs) */
  PopupFailed = 5,
  /** () */
  Pkce = 6,
  /** (verifier) */
  Challenge = 7,
  /** () */
  State = 8,
  /** (url) */
  Parse = 9,
}
