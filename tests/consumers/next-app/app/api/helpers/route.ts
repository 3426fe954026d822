// The main entry's helpers on the server (issue 18): in a route handler bundled by webpack or
// Turbopack they must work, or fail naming the real cause.
import { PleoOAuth, PleoOAuthError, codeChallenge, createPkce, generateState, parseCallback } from "pleo-oauth";

export const dynamic = "force-dynamic";

export async function GET(): Promise<Response> {
  try {
    await PleoOAuth.preload();
    const pkce = await createPkce();
    return Response.json({
      pkce,
      challenge: await codeChallenge(pkce.verifier),
      state: await generateState(),
      callback: await parseCallback("https://app.example.com/pleo/callback?code=c1&state=s1"),
    });
  } catch (e) {
    const error = e instanceof PleoOAuthError ? { code: e.code, message: e.message } : { code: "not_a_pleo_error", message: String(e) };
    return Response.json({ error }, { status: 500 });
  }
}
