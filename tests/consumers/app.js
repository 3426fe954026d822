// The browser app shared by the Vite fixture and the plain-ESM fixture: on a normal visit it
// builds a Pleo authorisation URL; back on the same page with ?code&state it completes the
// callback. It reports into #out as JSON for the test to read.
import { PleoOAuth, PleoOAuthError } from "pleo-oauth";

const out = document.getElementById("out");
const report = (data) => {
  out.textContent = JSON.stringify(data);
  out.dataset.done = "1";
};

async function main() {
  try {
    const pleo = await PleoOAuth.create({
      clientId: "9b2c3d4e-0000-4000-8000-000000000001",
      redirectUri: `${location.origin}${location.pathname}`,
      scopes: ["users:read", "export-jobs:read"],
    });
    const params = new URLSearchParams(location.search);
    if (params.has("code") || params.has("error")) {
      const r = await pleo.handleCallback();
      report({ phase: "callback", code: r.handoff.code, verifierLength: r.handoff.codeVerifier.length, returnTo: r.returnTo, href: location.href });
    } else {
      report({ phase: "start", url: await pleo.authorizationUrl({ returnTo: "/done" }) });
    }
  } catch (e) {
    report({ error: e.code ?? String(e), message: e.message, isPleo: e instanceof PleoOAuthError });
  }
}

main();
