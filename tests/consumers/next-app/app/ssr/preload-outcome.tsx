"use client";

import { use } from "react";
import { PleoOAuth, PleoOAuthError } from "pleo-oauth";

// Module level: on the server this runs during the server render (and must neither crash it nor
// leave an unhandled rejection); the outcome is rendered so the test can read it.
const outcome: Promise<string> = PleoOAuth.preload().then(
  () => "loaded",
  (e: unknown) => (e instanceof PleoOAuthError ? e.message : String(e)),
);

export function PreloadOutcome() {
  return <p id="preload">{use(outcome)}</p>;
}
