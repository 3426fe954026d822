// A Server Component rendered at every request that uses the main entry's helpers on the server.
import { createPkce, PleoOAuthError } from "pleo-oauth";

export const dynamic = "force-dynamic";

export default async function RscPage() {
  let outcome: string;
  try {
    const { verifier, challenge, method } = await createPkce();
    outcome = `${method} ${verifier.length} ${challenge.length}`;
  } catch (e) {
    outcome = e instanceof PleoOAuthError ? e.message : String(e);
  }
  return <p id="pkce">{outcome}</p>;
}
