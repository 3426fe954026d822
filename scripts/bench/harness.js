// The page side of the bench, the same for every library. A page imports one library's bundle
// (its createClient) and this file, then calls run(); bench.mjs reads the results from
// window.__bench or sessionStorage. Served as is, not counted in the bytes of any library.
export function config() {
  return {
    clientId: "bench-client",
    redirectUri: `${location.origin}/cb`,
    authorizationEndpoint: `${location.origin}/authorize`,
    scope: "users:read",
  };
}

// The callback the authorization server would redirect to for an authorization URL.
export function callbackFor(authorizationUrl) {
  const state = new URL(authorizationUrl).searchParams.get("state");
  return `${location.origin}/cb?code=bench-code&state=${encodeURIComponent(state)}`;
}

export async function run(lib, mode) {
  const bench = (window.__bench = { mode });
  try {
    if (mode === "cold") {
      // (b) load → URL: the client made and the authorization URL ready, in ms since navigation start.
      const client = await lib.createClient(config());
      bench.url = await client.start("/done");
      bench.coldMs = performance.now();
    } else if (mode === "warm") {
      // (c) start + finish round trips, driven by bench.mjs through window.benchRounds.
      const client = await lib.createClient(config());
      window.benchRounds = async (n) => {
        const t0 = performance.now();
        for (let i = 0; i < n; i++) {
          const url = await client.start("/done");
          const result = await client.finish(callbackFor(url));
          if (result.code !== "bench-code" || !result.codeVerifier) throw new Error("bad round trip result");
        }
        return performance.now() - t0;
      };
      // One checked round trip: the URL's S256 challenge matches the returned verifier, and
      // the transaction is consumed: no value in sessionStorage holds the verifier afterwards
      // (a library may leave a record of the completed connection without secrets, as
      // pleo-oauth does for already_handled).
      window.benchCheck = async () => {
        const url = new URL(await client.start("/done"));
        const stored = sessionStorage.length;
        const { code, codeVerifier } = await client.finish(callbackFor(url.href));
        const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(codeVerifier)));
        const challenge = btoa(String.fromCharCode(...digest)).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
        return {
          code,
          challengeOk: url.searchParams.get("code_challenge") === challenge && url.searchParams.get("code_challenge_method") === "S256",
          stateLength: (url.searchParams.get("state") ?? "").length,
          storedDuringFlow: stored,
          storedAfter: sessionStorage.length,
          verifierLeft: Object.keys(sessionStorage).some((k) => (sessionStorage.getItem(k) ?? "").includes(codeVerifier)),
          params: [...url.searchParams.keys()].sort().join(","),
        };
      };
    } else if (mode === "click-mount" || mode === "click-click") {
      // Click → navigation: the time from the click event to the navigate event that
      // location.assign(url) fires, kept in sessionStorage across the navigation.
      let clickAt = NaN;
      navigation.addEventListener("navigate", () => {
        sessionStorage.setItem("bench:clickToNavMs", String(performance.now() - clickAt));
      });
      let mounted;
      if (mode === "click-mount") {
        await lib.preload?.();
        mounted = await lib.createClient(config());
      }
      const button = document.getElementById("go");
      button.addEventListener("click", async (event) => {
        clickAt = event.timeStamp;
        const client = mounted ?? (await lib.createClient(config()));
        location.assign(await client.start("/done"));
      });
      button.disabled = false;
    } else {
      throw new Error(`unknown mode ${mode}`);
    }
    bench.ready = true;
  } catch (e) {
    bench.error = String(e?.stack ?? e);
  }
}
