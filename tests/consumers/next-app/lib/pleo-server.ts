// The backend half (pleo-oauth/server), created on the first request and shared by both route
// handlers. Not at module level: `next build` loads route modules to read their configuration,
// and the client secret and the encryption keys need not exist on the build machine.
import { createPleoServer, keysFromEnv, sqliteStore, type PleoRoutes } from "pleo-oauth/server";

let routes: Promise<PleoRoutes> | undefined;

export function pleoRoutes(): Promise<PleoRoutes> {
  routes ??= (async () => {
    const pleo = createPleoServer({
      clientId: process.env.PLEO_CLIENT_ID ?? "",
      clientSecret: process.env.PLEO_CLIENT_SECRET ?? "",
      redirectUri: process.env.PLEO_REDIRECT_URI ?? "",
      // The fixture's token endpoint is the stand-in's; a partner writes "production".
      environment: { tokenEndpoint: process.env.PLEO_TOKEN_ENDPOINT ?? "" },
      store: await sqliteStore(process.env.PLEO_DB ?? "pleo.db"),
      encryption: keysFromEnv(process.env.PLEO_TOKEN_KEYS),
    });
    return pleo.routes({
      // A partner keeps connectionId with the signed-in user here.
      onConnected: (_connectionId, _request, scope) => Response.json({ connected: true, scope }),
    });
  })().catch((e: unknown) => {
    routes = undefined; // a broken configuration is reported again on the next request
    throw e;
  });
  return routes;
}
