// No 'use client': a Server Component that calls a client hook (the README's settings page,
// pasted without its first line).
import { usePleoConnect } from "pleo-oauth/react";

export default function SettingsPage() {
  const { pending } = usePleoConnect({ clientId: "c", redirectUri: "https://app.example.com/cb", scopes: ["users:read"] });
  return <p>{pending ? "Connecting…" : "Connect to Pleo"}</p>;
}
