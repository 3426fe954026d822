// What an SSR framework does at build or render time: import the package in Node.
// The import must not touch window, document, storage or crypto; PleoOAuth.create must fail
// with a PleoOAuthError (not a ReferenceError). Exits non-zero with a reason otherwise.
const WATCHED = ["window", "document", "localStorage", "sessionStorage", "crypto", "location", "history", "self", "navigator"];
const touched = new Set();
for (const name of WATCHED) {
  const original = Object.getOwnPropertyDescriptor(globalThis, name);
  Object.defineProperty(globalThis, name, {
    configurable: true,
    get() {
      touched.add(name);
      return original?.get ? original.get.call(globalThis) : original?.value;
    },
  });
}

const fail = (why) => {
  console.error(`node-ssr: FAIL — ${why}`);
  process.exit(1);
};

const m = await import("pleo-oauth");
if (touched.size) fail(`importing touched ${[...touched].join(", ")}`);
for (const name of ["PleoOAuth", "PleoOAuthError", "createPkce", "codeChallenge", "generateState", "parseCallback"]) {
  if (typeof m[name] !== "function") fail(`export ${name} is missing`);
}

try {
  await m.PleoOAuth.create({ clientId: "c", redirectUri: "https://app.example.com/cb", scopes: ["users:read"] });
  fail("PleoOAuth.create resolved outside a browser");
} catch (e) {
  if (!(e instanceof m.PleoOAuthError)) fail(`create threw ${e?.name}: ${e?.message}`);
  if (e.code !== "invalid_config") fail(`code ${e.code}, expected invalid_config`);
  if (!/client/.test(e.message)) fail(`message does not say to call it on the client: ${e.message}`);
  // Its message is written out from messages.js (read from disk in Node), with a sentence for
  // the end user that is not the developer's.
  if (!/^PleoOAuth\.create needs a browser/.test(e.message)) fail(`message not written out: ${e.message}`);
  if (typeof e.userMessage !== "string" || !e.userMessage || e.userMessage === e.message) fail(`userMessage: ${e.userMessage}`);
}
const err = new m.PleoOAuthError("unknown_state", "x");
if (!(err instanceof Error) || err.name !== "PleoOAuthError") fail("PleoOAuthError is not a named Error subclass");
console.log("node-ssr: ok — import touched no browser global; create() rejected with invalid_config");
