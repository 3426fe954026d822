"use client";

import { useEffect } from "react";
import { useRouter } from "next/navigation";
import { usePleoCallback } from "pleo-oauth/react";
import { pleoOptions } from "@/lib/pleo";

export default function PleoCallbackPage() {
  const router = useRouter();
  const state = usePleoCallback<{ connected: boolean; scope?: string }>(pleoOptions);
  const error = state.status === "error" ? state.error : null;
  const again = error?.code === "already_handled" ? (error.returnTo ?? "/settings") : null;
  useEffect(() => {
    if (again !== null) router.replace(again); // a reload, or Back and Approve again
    else if (error) console.error(error); // the developer's message
  }, [again, error, router]);
  if (state.status === "pending" || again !== null) return <p id="status">Connecting to Pleo…</p>;
  if (state.status === "success") {
    return (
      <main>
        <p id="connected">Connected to Pleo ({state.result.backend?.scope}).</p>
        <a id="continue" href={state.result.returnTo ?? "/settings"}>
          Continue
        </a>
      </main>
    );
  }
  return (
    <main>
      <p id="error" role="alert" data-code={state.error.code}>
        {state.error.userMessage}
      </p>
      <a id="back" href={state.error.returnTo ?? "/settings"}>
        Back to settings
      </a>
    </main>
  );
}
