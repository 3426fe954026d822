// The floor of a design that loads a separate WebAssembly module when the client is created:
// oauth4webapi's entry (the same job, unchanged) after fetching and compiling a module of 8 bytes
// (magic and version, no code) from next to this bundle, as pleo-oauth's create() fetches and
// compiles pleo_oauth_bg.wasm. What this takes over oauth4webapi is the cost of the request and of
// a compile, whatever the module holds: no module, however small, loads for less here.
import { createClient as base } from "./oauth4webapi.js";

export async function createClient(cfg) {
  const response = await fetch(new URL("floor.wasm", import.meta.url));
  new WebAssembly.Instance(await WebAssembly.compileStreaming(response));
  return base(cfg);
}
