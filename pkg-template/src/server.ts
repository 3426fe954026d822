/**
 * pleo-oauth/server — the backend half, for Node ≥ 20: what a partner's backend does once the
 * browser hands it the code.
 *
 * The rules (the handoff body read strictly, the bound check, the token request with HTTP
 * Basic, the token response read strictly, when to refresh, which refresh token survives) are
 * the Rust core's (src/server/), run from a server build of the WebAssembly module
 * (`pleo_oauth_server.wasm`, read from disk). This module does the I/O: `fetch` to Pleo's token
 * endpoint, the database ({@link sqliteStore}), AES-256-GCM encryption of the tokens at rest,
 * and refresh single flight — one refresh per connection at a time, in this process (a shared
 * promise) and across processes (a lease in the database), with the new tokens committed before
 * they are used, so that Pleo's refresh-token rotation never loses a connection.
 *
 * No token, code, verifier or client secret appears in an error message or a log line.
 *
 * @packageDocumentation
 */

import crypto from "node:crypto";
import fs from "node:fs";
import type { IncomingMessage, ServerResponse } from "node:http";
import { Readable } from "node:stream";
import { ServerOp, TOKEN_ENDPOINTS } from "./ops.js";

// ------------------------------------------------------------------------------------ errors

/** What failed; stable. */
export type PleoServerErrorCode =
  /** The handoff or registration body broke a rule (not exactly its JSON fields, sizes, verifier grammar, redirect URI). */
  | "invalid_handoff"
  /** No registration of the bound handoff for this session and state (never registered, or used). */
  | "unknown_state"
  /** The registration expired. */
  | "expired"
  /** S256(verifier) is not the registered challenge: a code injected from another browser. */
  | "challenge_mismatch"
  /** The token endpoint refused the request with an OAuth error (`oauth.error`). */
  | "token_error"
  /** The token endpoint answered something that is not a token response. */
  | "token_response_invalid"
  /** The token endpoint answered an HTTP status that is neither success nor an OAuth error. */
  | "token_endpoint_failed"
  /** The token endpoint could not be reached (network, timeout). */
  | "token_endpoint_unreachable"
  /** No connection under this id (never made, or disconnected). */
  | "not_connected"
  /** Pleo revoked the authorisation (a refresh was refused with `invalid_grant`): the user must connect again. The connection was removed. */
  | "reconnect_required"
  /** The row was sealed with a key id that is not among `encryption.keys`. */
  | "key_unavailable"
  /** The row could not be opened: a wrong key, or a row changed outside this library. */
  | "tokens_unreadable"
  /** Another process held the refresh lease longer than the lease lasts. */
  | "refresh_timeout"
  /** The options given to {@link createPleoServer} break a rule. */
  | "invalid_config";

/** A failure of pleo-oauth/server. */
export class PleoServerError extends Error {
  override readonly name = "PleoServerError";
  /** The HTTP status of the token endpoint, for the token errors. */
  readonly status?: number;
  /** For `token_error` and `reconnect_required`: what the token endpoint said. */
  readonly oauth?: { error: string; errorDescription?: string; errorUri?: string };
  constructor(
    readonly code: PleoServerErrorCode,
    message: string,
    details: { status?: number; oauth?: PleoServerError["oauth"] } = {},
  ) {
    super(message);
    if (details.status !== undefined) this.status = details.status;
    if (details.oauth !== undefined) this.oauth = details.oauth;
  }
}

// ------------------------------------------------------------------------------------ the core

/** The WebAssembly API as Node has it (typed here: no DOM library, no global declaration). */
const WA = (globalThis as unknown as {
  WebAssembly: { Module: new (bytes: Uint8Array) => object; Instance: new (module: object, imports: object) => { exports: unknown } };
}).WebAssembly;

interface Exports {
  memory: { buffer: ArrayBuffer };
  input(len: number): number;
  call(op: number, ptr: number, entropyLen: number, argsLen: number, nowMs: number): number;
}

let exports: Exports | undefined;

/** The server build of the core, from `pleo_oauth_server.wasm` next to this file. */
function wasm(): Exports {
  if (!exports) {
    // webpack's server bundles (a Next.js route handler) turn `new URL(…, import.meta.url)` into
    // a URL without a scheme (/_next/static/media/…), which fs cannot read. import.meta.url
    // outside that form is this module's file: URL (webpack writes it in, Turbopack resolves it
    // at run time).
    let file = new URL("./pleo_oauth_server.wasm", import.meta.url);
    if (file.protocol !== "file:") file = new URL("./pleo_oauth_server.wasm", new URL(import.meta.url));
    let bytes: Buffer;
    try {
      bytes = fs.readFileSync(file);
    } catch (e) {
      throw new PleoServerError("invalid_config", `pleo-oauth/server could not read its WebAssembly module ${file.protocol === "file:" ? file.pathname : String(file)} (${(e as { code?: string }).code ?? String(e)}); run the server where node_modules/pleo-oauth is installed.`);
    }
    exports = new WA.Instance(new WA.Module(bytes), {}).exports as Exports;
  }
  return exports;
}

/** Runs server operation `op` (src/boundary.rs `SERVER_OPS`) on its string arguments. */
function core<T>(op: ServerOp, args: string[]): T {
  const w = wasm();
  const text = Buffer.from(args.join("\0"), "utf8");
  const ptr = w.input(text.length);
  new Uint8Array(w.memory.buffer).set(text, ptr);
  const at = w.call(op, ptr, 0, text.length, Date.now());
  const out = new Uint8Array(w.memory.buffer);
  const len = new DataView(out.buffer).getUint32(at, true);
  const reply = JSON.parse(Buffer.from(out.subarray(at + 4, at + 4 + len)).toString("utf8")) as {
    ok: T;
    err?: { code: PleoServerErrorCode; message: string; status?: number; oauth?: PleoServerError["oauth"] };
  };
  if (reply.err) {
    const details: { status?: number; oauth?: PleoServerError["oauth"] } = {};
    if (reply.err.status !== undefined) details.status = reply.err.status;
    if (reply.err.oauth !== undefined) details.oauth = reply.err.oauth;
    throw new PleoServerError(reply.err.code, reply.err.message, details);
  }
  return reply.ok;
}

interface HttpRequest {
  method: string;
  url: string;
  headers: [string, string][];
  body: string;
}

interface CoreTokens {
  accessToken: string;
  expiresAt: number | null;
  refreshToken?: string;
  scope?: string;
}

// ------------------------------------------------------------------------------------ storage

/** A connection as the store keeps it: the tokens sealed (AES-256-GCM), never in plaintext. */
export interface StoredConnection {
  id: string;
  /** Bumped by every lease and commit (compare-and-set). */
  version: number;
  /** The id of the key the tokens were sealed with. */
  keyId: string;
  /** IV (12 bytes) ‖ tag (16 bytes) ‖ ciphertext. */
  sealed: Uint8Array;
  /** Until when (ms since the epoch) a refresh holds the connection; 0 for none. */
  leaseUntil: number;
}

/**
 * Where pleo-oauth/server keeps the bound handoff's registrations and the connections. Every
 * method is one atomic step of the database; {@link sqliteStore} is the embedded default.
 */
export interface PleoStore {
  putRegistration(sessionId: string, state: string, challenge: string, expiresAt: number): Promise<void>;
  /** Reads and removes the registration in one step (one use), or `null`. */
  takeRegistration(sessionId: string, state: string): Promise<{ challenge: string; expiresAt: number } | null>;
  insertConnection(c: StoredConnection): Promise<void>;
  getConnection(id: string): Promise<StoredConnection | null>;
  /**
   * Takes the refresh lease when the row is still at `version` and holds no lease running at
   * `now`: the new version, or `null` when another caller got there first.
   */
  lease(id: string, version: number, now: number, until: number): Promise<number | null>;
  /** Commits refreshed tokens under the lease `version` (and ends it); `false` when the lease was lost. */
  commit(id: string, version: number, keyId: string, sealed: Uint8Array): Promise<boolean>;
  /** Ends the lease `version` without new tokens (the refresh failed before any rotation). */
  release(id: string, version: number): Promise<void>;
  deleteConnection(id: string): Promise<void>;
  close(): Promise<void>;
}

/** The few better-sqlite3 calls used here. */
interface Sqlite {
  exec(sql: string): unknown;
  pragma(sql: string): unknown;
  prepare(sql: string): {
    run(...params: unknown[]): { changes: number };
    get(...params: unknown[]): unknown;
  };
  close(): void;
}

/**
 * The embedded store: SQLite through `better-sqlite3` (install it next to pleo-oauth; 12.x for
 * Node 20), in the file `path` (WAL mode, so several processes on one machine can share it).
 * Each method is one statement, atomic in SQLite.
 */
export async function sqliteStore(path: string): Promise<PleoStore> {
  let Database: new (file: string) => Sqlite;
  try {
    // A specifier in a variable: resolved at run time from the partner's node_modules (an
    // optional peer dependency), never bundled. The comments keep webpack and Turbopack (a
    // Next.js route handler) from turning it into a bundle lookup that can only fail.
    const name = "better-sqlite3";
    Database = ((await import(/* webpackIgnore: true */ /* turbopackIgnore: true */ name)) as { default: new (file: string) => Sqlite }).default;
  } catch {
    throw new PleoServerError("invalid_config", "sqliteStore needs the npm package better-sqlite3: npm install better-sqlite3@12");
  }
  const db = new Database(path);
  db.pragma("journal_mode = WAL");
  db.pragma("busy_timeout = 5000");
  db.exec(`
    CREATE TABLE IF NOT EXISTS pleo_registrations (
      session_id TEXT NOT NULL, state TEXT NOT NULL, code_challenge TEXT NOT NULL, expires_at INTEGER NOT NULL,
      PRIMARY KEY (session_id, state));
    CREATE TABLE IF NOT EXISTS pleo_connections (
      id TEXT PRIMARY KEY, version INTEGER NOT NULL, key_id TEXT NOT NULL, sealed BLOB NOT NULL,
      lease_until INTEGER NOT NULL DEFAULT 0);`);
  const q = {
    put: db.prepare("INSERT OR REPLACE INTO pleo_registrations VALUES (?, ?, ?, ?)"),
    take: db.prepare("DELETE FROM pleo_registrations WHERE session_id = ? AND state = ? RETURNING code_challenge, expires_at"),
    insert: db.prepare("INSERT INTO pleo_connections (id, version, key_id, sealed, lease_until) VALUES (?, ?, ?, ?, 0)"),
    get: db.prepare("SELECT id, version, key_id, sealed, lease_until FROM pleo_connections WHERE id = ?"),
    lease: db.prepare("UPDATE pleo_connections SET version = version + 1, lease_until = ? WHERE id = ? AND version = ? AND lease_until <= ? RETURNING version"),
    commit: db.prepare("UPDATE pleo_connections SET version = version + 1, key_id = ?, sealed = ?, lease_until = 0 WHERE id = ? AND version = ?"),
    release: db.prepare("UPDATE pleo_connections SET version = version + 1, lease_until = 0 WHERE id = ? AND version = ?"),
    delete: db.prepare("DELETE FROM pleo_connections WHERE id = ?"),
  };
  return {
    async putRegistration(sessionId, state, challenge, expiresAt) {
      q.put.run(sessionId, state, challenge, expiresAt);
    },
    async takeRegistration(sessionId, state) {
      const row = q.take.get(sessionId, state) as { code_challenge: string; expires_at: number } | undefined;
      return row ? { challenge: row.code_challenge, expiresAt: row.expires_at } : null;
    },
    async insertConnection(c) {
      q.insert.run(c.id, c.version, c.keyId, Buffer.from(c.sealed));
    },
    async getConnection(id) {
      const row = q.get.get(id) as { id: string; version: number; key_id: string; sealed: Buffer; lease_until: number } | undefined;
      return row ? { id: row.id, version: row.version, keyId: row.key_id, sealed: new Uint8Array(row.sealed), leaseUntil: row.lease_until } : null;
    },
    async lease(id, version, now, until) {
      const row = q.lease.get(until, id, version, now) as { version: number } | undefined;
      return row ? row.version : null;
    },
    async commit(id, version, keyId, sealed) {
      return q.commit.run(keyId, Buffer.from(sealed), id, version).changes === 1;
    },
    async release(id, version) {
      q.release.run(id, version);
    },
    async deleteConnection(id) {
      q.delete.run(id);
    },
    async close() {
      db.close();
    },
  };
}

/** The few node-postgres (`pg`) calls used here. */
interface PgClient {
  query(text: string, values?: unknown[]): Promise<{ rows: Record<string, unknown>[]; rowCount: number | null }>;
}
interface PgPool extends PgClient {
  connect(): Promise<PgClient & { release(): void }>;
  end(): Promise<void>;
}

/**
 * A PostgreSQL store, for more than one instance of your backend: `pg` (install it next to
 * pleo-oauth) with a pool on `connectionString`. The tables are created when missing (under an
 * advisory lock, so that instances starting together do not collide). Each method is one
 * statement; the refresh lease is a compare-and-set on the row's version.
 */
export async function postgresStore(connectionString: string): Promise<PleoStore> {
  let Pool: new (options: { connectionString: string; max: number }) => PgPool;
  try {
    const name = "pg";
    Pool = ((await import(/* webpackIgnore: true */ /* turbopackIgnore: true */ name)) as { default: { Pool: typeof Pool } }).default.Pool;
  } catch {
    throw new PleoServerError("invalid_config", "postgresStore needs the npm package pg: npm install pg");
  }
  const pool = new Pool({ connectionString, max: 10 });
  const schema = await pool.connect();
  try {
    await schema.query("SELECT pg_advisory_lock(727274)");
    await schema.query(`
      CREATE TABLE IF NOT EXISTS pleo_registrations (
        session_id TEXT NOT NULL, state TEXT NOT NULL, code_challenge TEXT NOT NULL, expires_at BIGINT NOT NULL,
        PRIMARY KEY (session_id, state));
      CREATE TABLE IF NOT EXISTS pleo_connections (
        id TEXT PRIMARY KEY, version BIGINT NOT NULL, key_id TEXT NOT NULL, sealed BYTEA NOT NULL,
        lease_until BIGINT NOT NULL DEFAULT 0)`);
  } finally {
    await schema.query("SELECT pg_advisory_unlock(727274)").catch(() => {});
    schema.release();
  }
  const one = async (text: string, values: unknown[]) => (await pool.query(text, values)).rows[0];
  return {
    async putRegistration(sessionId, state, challenge, expiresAt) {
      await pool.query(
        "INSERT INTO pleo_registrations VALUES ($1, $2, $3, $4) ON CONFLICT (session_id, state) DO UPDATE SET code_challenge = EXCLUDED.code_challenge, expires_at = EXCLUDED.expires_at",
        [sessionId, state, challenge, expiresAt],
      );
    },
    async takeRegistration(sessionId, state) {
      const row = await one("DELETE FROM pleo_registrations WHERE session_id = $1 AND state = $2 RETURNING code_challenge, expires_at", [sessionId, state]);
      return row ? { challenge: String(row.code_challenge), expiresAt: Number(row.expires_at) } : null;
    },
    async insertConnection(c) {
      await pool.query("INSERT INTO pleo_connections (id, version, key_id, sealed, lease_until) VALUES ($1, $2, $3, $4, 0)", [c.id, c.version, c.keyId, Buffer.from(c.sealed)]);
    },
    async getConnection(id) {
      const row = await one("SELECT id, version, key_id, sealed, lease_until FROM pleo_connections WHERE id = $1", [id]);
      return row
        ? { id: String(row.id), version: Number(row.version), keyId: String(row.key_id), sealed: new Uint8Array(row.sealed as Buffer), leaseUntil: Number(row.lease_until) }
        : null;
    },
    async lease(id, version, now, until) {
      const row = await one("UPDATE pleo_connections SET version = version + 1, lease_until = $1 WHERE id = $2 AND version = $3 AND lease_until <= $4 RETURNING version", [until, id, version, now]);
      return row ? Number(row.version) : null;
    },
    async commit(id, version, keyId, sealed) {
      const r = await pool.query("UPDATE pleo_connections SET version = version + 1, key_id = $1, sealed = $2, lease_until = 0 WHERE id = $3 AND version = $4", [keyId, Buffer.from(sealed), id, version]);
      return r.rowCount === 1;
    },
    async release(id, version) {
      await pool.query("UPDATE pleo_connections SET version = version + 1, lease_until = 0 WHERE id = $1 AND version = $2", [id, version]);
    },
    async deleteConnection(id) {
      await pool.query("DELETE FROM pleo_connections WHERE id = $1", [id]);
    },
    async close() {
      await pool.end();
    },
  };
}

// ------------------------------------------------------------------------------------ sealing

/** The tokens of a connection, as sealed. */
interface Plain {
  a: string;
  r?: string;
  /** Expires at (ms since the epoch), when Pleo said. */
  e: number | null;
  /** Issued at (ms since the epoch): when the token response arrived. */
  i: number;
  s?: string;
}

/** Keys for AES-256-GCM: ids to 32-byte keys; `current` seals, every listed one opens. */
export interface EncryptionKeys {
  current: string;
  keys: Record<string, Uint8Array | string>;
}

/**
 * Keys from an environment variable: `id:base64key[,id:base64key…]`, the first sealing new rows
 * (list an old key after it to keep reading rows sealed with it, while they are rewritten).
 */
export function keysFromEnv(value: string | undefined): EncryptionKeys {
  const pairs = (value ?? "").split(",").map((p) => p.trim()).filter(Boolean);
  const keys: Record<string, string> = {};
  for (const pair of pairs) {
    const i = pair.indexOf(":");
    if (i < 1) throw new PleoServerError("invalid_config", "Encryption keys are id:base64key pairs, separated by commas.");
    keys[pair.slice(0, i)] = pair.slice(i + 1);
  }
  const current = pairs[0]?.slice(0, pairs[0].indexOf(":"));
  if (!current) throw new PleoServerError("invalid_config", "No encryption key: set one as id:base64key (32 random bytes, base64).");
  return { current, keys };
}

function keyOf(keys: EncryptionKeys, id: string): Buffer {
  const k = Object.hasOwn(keys.keys, id) ? keys.keys[id] : undefined;
  if (k === undefined) throw new PleoServerError("key_unavailable", `The tokens were sealed with key "${id.slice(0, 64)}", which is not among the encryption keys.`);
  const key = typeof k === "string" ? Buffer.from(k, "base64") : Buffer.from(k);
  if (key.length !== 32) throw new PleoServerError("invalid_config", `Encryption key "${id.slice(0, 64)}" is not 32 bytes.`);
  return key;
}

/** AES-256-GCM with the connection id as additional data: a row moved to another id does not open. */
function seal(keys: EncryptionKeys, id: string, plain: Plain): Uint8Array {
  const iv = crypto.randomBytes(12);
  const cipher = crypto.createCipheriv("aes-256-gcm", keyOf(keys, keys.current), iv);
  cipher.setAAD(Buffer.from(`pleo-oauth:${id}`));
  const body = Buffer.concat([cipher.update(JSON.stringify(plain), "utf8"), cipher.final()]);
  return Buffer.concat([iv, cipher.getAuthTag(), body]);
}

function open(keys: EncryptionKeys, row: StoredConnection): Plain {
  const key = keyOf(keys, row.keyId);
  const sealed = Buffer.from(row.sealed);
  try {
    const decipher = crypto.createDecipheriv("aes-256-gcm", key, sealed.subarray(0, 12));
    decipher.setAAD(Buffer.from(`pleo-oauth:${row.id}`));
    decipher.setAuthTag(sealed.subarray(12, 28));
    const text = Buffer.concat([decipher.update(sealed.subarray(28)), decipher.final()]).toString("utf8");
    return JSON.parse(text) as Plain;
  } catch {
    throw new PleoServerError("tokens_unreadable", "The connection's tokens could not be opened: a wrong key for its key id, or a row changed outside pleo-oauth. The user must connect again.");
  }
}

// ------------------------------------------------------------------------------------ the server

/** Options of {@link createPleoServer}. */
export interface PleoServerOptions {
  clientId: string;
  /** The client secret Pleo issued; only ever sent to the token endpoint. */
  clientSecret: string;
  /** The redirect URI, exactly as registered (and as the browser's `redirectUri`). */
  redirectUri: string;
  /** `"production"` (default), `"staging"`, or a token endpoint of your own (the local stand-in's). */
  environment?: "production" | "staging" | { tokenEndpoint: string };
  store: PleoStore;
  encryption: EncryptionKeys;
  /**
   * The bound handoff (default `true`): every exchange must match a registration made by
   * {@link PleoServer.register} from the same session. Pair it with `handoff.startUrl` in the
   * browser.
   */
  bound?: boolean;
  /** How long a registration lasts, in seconds (default 600). */
  registrationTtlSeconds?: number;
  /** Refresh this long before the access token expires, in ms (default 60000). */
  refreshSkewMs?: number;
  /** How long a refresh may hold its lease, in ms (default 30000): also the token request's timeout. */
  leaseMs?: number;
  /** The `fetch` to use (default the global one). */
  fetch?: typeof fetch;
}

/** Options of {@link PleoServer.routes}. */
export interface PleoRoutesOptions {
  /**
   * Called once a connection is made, with its id: keep it with your user. Answer the
   * response the browser's `handleCallback()` gets as `backend` (default `{ "connected": true }`).
   */
  onConnected(connectionId: string, request: Request, scope?: string): Promise<Response | undefined> | Response | undefined;
  /** The visitor's pre-connection session cookie (default `pleo_oauth_session`). */
  cookieName?: string;
  /** Mark the cookie `Secure` (default: when the request's URL is https). */
  secure?: boolean;
  /**
   * Called with every refusal the routes answer (400, 403, 502), before answering: the browser
   * gets only the code, so this is where the cause is told — a wrong client secret
   * (`token_error`, with `oauth.error` `invalid_client`), a `redirectUri` that is not the
   * browser's (`invalid_handoff`), a replay (`unknown_state`). Default: one `console.error` line
   * with the route, the status, the code, the message and the token endpoint's `error`. No
   * secret is in any of them. Pass your logger, or `() => {}` for none.
   */
  onError?(error: PleoServerError, route: "start" | "exchange", status: number): void;
}

/** Fetch API handlers for the two routes the browser's `handoff` option names. */
export interface PleoRoutes {
  /** `POST handoff.startUrl`: the bound handoff's registration, under a session cookie it sets. */
  start(request: Request): Promise<Response>;
  /** `POST handoff.url`: the exchange; then `onConnected`. */
  exchange(request: Request): Promise<Response>;
}

/** What {@link createPleoServer} returns. */
export interface PleoServer {
  /**
   * The two routes as Fetch API handlers (Next.js route handlers, Hono, Deno-style servers; for
   * node:http and Express, wrap them with {@link toNodeHandler}). Each refuses a request without
   * `X-Requested-With: pleo-oauth` and a JSON content type (403: a cross-site form can set
   * neither) or with a body over 16 KiB (413), and answers a refusal as `{ "error": code }`:
   * 400 `invalid_handoff`; 403 `unknown_state`, `expired`, `challenge_mismatch`; 502 for the
   * token endpoint's failures.
   */
  routes(options: PleoRoutesOptions): PleoRoutes;
  /** The bound handoff's start (`handoff.startUrl`): keeps `{ state, code_challenge }` for this session. */
  register(sessionId: string, body: string): Promise<void>;
  /** The handoff (`handoff.url`): checks it, exchanges the code, stores the tokens sealed. */
  exchange(sessionId: string, body: string): Promise<{ connectionId: string; scope?: string }>;
  /** A working access token for the connection, refreshed first when due (one refresh at a time). */
  getAccessToken(connectionId: string): Promise<string>;
  /** Forgets the connection's tokens. */
  disconnect(connectionId: string): Promise<void>;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Creates the backend half for one Pleo client. */
export function createPleoServer(options: PleoServerOptions): PleoServer {
  const { clientId, clientSecret, redirectUri, store, encryption } = options;
  const env = options.environment ?? "production";
  const tokenEndpoint = typeof env === "string" ? TOKEN_ENDPOINTS[env] : env.tokenEndpoint;
  if (!tokenEndpoint) throw new PleoServerError("invalid_config", 'environment is "production", "staging" or { tokenEndpoint }.');
  if (!clientId || !clientSecret || !redirectUri) throw new PleoServerError("invalid_config", "clientId, clientSecret and redirectUri are required.");
  keyOf(encryption, encryption.current);
  const bound = options.bound ?? true;
  const ttlMs = (options.registrationTtlSeconds ?? 600) * 1000;
  const skew = String(options.refreshSkewMs ?? 60_000);
  const leaseMs = options.leaseMs ?? 30_000;
  const fetcher = options.fetch ?? fetch;

  /** The token endpoint's answer to `request`, read by the core (`used`: the refresh token sent). */
  async function tokenCall(request: HttpRequest, used: string): Promise<CoreTokens> {
    let status: number;
    let text: string;
    try {
      const res = await fetcher(request.url, {
        method: request.method,
        headers: request.headers,
        body: request.body,
        redirect: "error",
        signal: AbortSignal.timeout(leaseMs),
      });
      status = res.status;
      text = await res.text();
    } catch {
      throw new PleoServerError("token_endpoint_unreachable", `The token endpoint (${tokenEndpoint}) could not be reached, or did not answer within ${leaseMs} ms.`);
    }
    return core<CoreTokens>(ServerOp.Tokens, [String(status), text, used]);
  }

  const plain = (t: CoreTokens): Plain => {
    const p: Plain = { a: t.accessToken, e: t.expiresAt, i: Date.now() };
    if (t.refreshToken !== undefined) p.r = t.refreshToken;
    if (t.scope !== undefined) p.s = t.scope;
    return p;
  };

  async function access(id: string): Promise<string> {
    const started = Date.now();
    for (;;) {
      const row = await store.getConnection(id);
      if (!row) throw new PleoServerError("not_connected", "No Pleo connection under this id: it was never made, or it was disconnected.");
      const tokens = open(encryption, row);
      if (!core<boolean>(ServerOp.Due, [tokens.e == null ? "" : String(tokens.e), String(tokens.i ?? 0), skew])) return tokens.a;
      const now = Date.now();
      if (row.leaseUntil > now) {
        // Another process is refreshing: wait for its tokens instead of using the same refresh token.
        if (now - started > leaseMs * 2) throw new PleoServerError("refresh_timeout", "Another process held this connection's refresh for longer than its lease.");
        await sleep(20);
        continue;
      }
      const version = await store.lease(id, row.version, now, now + leaseMs);
      if (version == null) continue; // another caller took it: read what it commits
      if (!tokens.r) {
        await store.release(id, version);
        throw new PleoServerError("reconnect_required", "The access token expired and Pleo issued no refresh token: the user must connect again.");
      }
      let fresh: CoreTokens;
      try {
        fresh = await tokenCall(core<HttpRequest>(ServerOp.Refresh, [clientId, clientSecret, tokenEndpoint, tokens.r]), tokens.r);
      } catch (e) {
        if (e instanceof PleoServerError && e.code === "token_error" && e.oauth?.error === "invalid_grant") {
          // Pleo revoked the authorisation: the tokens are worthless now.
          await store.deleteConnection(id);
          throw new PleoServerError("reconnect_required", "Pleo refused the refresh (invalid_grant): the authorisation was revoked or expired. The connection was removed; the user must connect again.", { ...(e.status === undefined ? {} : { status: e.status }), ...(e.oauth === undefined ? {} : { oauth: e.oauth }) });
        }
        // No answer, or one without tokens: whether Pleo rotated the refresh token cannot be
        // known. The lease ends now and the next caller tries again with the stored one; if Pleo
        // had rotated it, that try is refused (invalid_grant) and the user connects again.
        await store.release(id, version);
        throw e;
      }
      // Committed before the new access token is used: the rotated-in refresh token is never lost.
      if (!(await store.commit(id, version, encryption.current, seal(encryption, id, plain(fresh))))) {
        throw new PleoServerError("refresh_timeout", "The refresh outlasted its lease and another caller took over; try again.");
      }
      return fresh.accessToken;
    }
  }

  /** One refresh per connection at a time in this process: callers share the same promise. */
  const inflight = new Map<string, Promise<string>>();

  const api: PleoServer = {
    async register(sessionId, body) {
      const r = core<{ state: string; code_challenge: string }>(ServerOp.Registration, [body]);
      await store.putRegistration(sessionId, r.state, r.code_challenge, Date.now() + ttlMs);
    },
    async exchange(sessionId, body) {
      const { state } = core<{ state: string }>(ServerOp.Handoff, [body, redirectUri]);
      const reg = bound ? await store.takeRegistration(sessionId, state) : null;
      const request = core<HttpRequest>(ServerOp.Exchange, [
        body,
        redirectUri,
        clientId,
        clientSecret,
        tokenEndpoint,
        bound ? "1" : "",
        reg ? state : "",
        reg?.challenge ?? "",
        reg ? String(reg.expiresAt) : "",
      ]);
      const tokens = await tokenCall(request, "");
      const connectionId = crypto.randomUUID();
      await store.insertConnection({ id: connectionId, version: 0, keyId: encryption.current, sealed: seal(encryption, connectionId, plain(tokens)), leaseUntil: 0 });
      return tokens.scope === undefined ? { connectionId } : { connectionId, scope: tokens.scope };
    },
    getAccessToken(connectionId) {
      let p = inflight.get(connectionId);
      if (!p) {
        p = access(connectionId).finally(() => inflight.delete(connectionId));
        inflight.set(connectionId, p);
      }
      return p;
    },
    async disconnect(connectionId) {
      await store.deleteConnection(connectionId);
    },
    routes(routeOptions) {
      const name = routeOptions.cookieName ?? "pleo_oauth_session";
      const answer = (status: number, body: unknown, headers: Record<string, string> = {}) =>
        new Response(JSON.stringify(body), { status, headers: { "content-type": "application/json", "cache-control": "no-store", ...headers } });
      /** The checks both routes make, the body, and the session (a new one when the cookie is missing). */
      const read = async (request: Request): Promise<Response | { body: string; session: string; setCookie?: string }> => {
        const type = request.headers.get("content-type") ?? "";
        if (request.method !== "POST" || request.headers.get("x-requested-with") !== "pleo-oauth" || !type.startsWith("application/json")) {
          return answer(403, { error: "forbidden" });
        }
        const body = await readLimited(request, MAX_BODY_BYTES);
        if (body == null) return answer(413, { error: "too_large" });
        const found = cookieValue(request.headers.get("cookie"), name);
        if (found) return { body, session: found };
        const session = crypto.randomBytes(32).toString("base64url");
        const secure = routeOptions.secure ?? new URL(request.url).protocol === "https:";
        return { body, session, setCookie: `${name}=${session}; Path=/; HttpOnly; SameSite=Lax; Max-Age=${ttlMs / 1000}${secure ? "; Secure" : ""}` };
      };
      const report =
        routeOptions.onError ??
        ((e: PleoServerError, route: string, status: number) =>
          console.error(`pleo-oauth/server: ${route} answered ${status} ${e.code}: ${e.message}${e.oauth ? ` (token endpoint: ${e.oauth.error}${e.status ? `, HTTP ${e.status}` : ""})` : ""}`));
      const refused = (e: unknown, route: "start" | "exchange"): Response => {
        if (!(e instanceof PleoServerError)) throw e;
        const status = e.code === "invalid_handoff" ? 400 : ["unknown_state", "expired", "challenge_mismatch"].includes(e.code) ? 403 : 502;
        report(e, route, status);
        return answer(status, { error: e.code });
      };
      return {
        start: async (request) => {
          const r = await read(request);
          if (r instanceof Response) return r;
          try {
            await api.register(r.session, r.body);
          } catch (e) {
            return refused(e, "start");
          }
          return answer(200, { registered: true }, r.setCookie ? { "set-cookie": r.setCookie } : {});
        },
        exchange: async (request) => {
          const r = await read(request);
          if (r instanceof Response) return r;
          let made: { connectionId: string; scope?: string };
          try {
            made = await api.exchange(r.session, r.body);
          } catch (e) {
            return refused(e, "exchange");
          }
          return (await routeOptions.onConnected(made.connectionId, request, made.scope)) ?? answer(200, { connected: true });
        },
      };
    },
  };
  return api;
}

/** The largest handoff body read (the core's limit, src/server/handoff.rs). */
const MAX_BODY_BYTES = 16 * 1024;

/** The request's body as text, or `null` past `max` bytes (the rest is not read). */
async function readLimited(request: Request, max: number): Promise<string | null> {
  if (!request.body) return "";
  const chunks: Uint8Array[] = [];
  let size = 0;
  const reader = request.body.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.length;
    if (size > max) {
      await reader.cancel().catch(() => {});
      return null;
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks).toString("utf8");
}

/** A cookie's value from a Cookie header. */
function cookieValue(header: string | null, name: string): string | undefined {
  for (const part of (header ?? "").split(";")) {
    const i = part.indexOf("=");
    if (i > 0 && part.slice(0, i).trim() === name) return part.slice(i + 1).trim();
  }
  return undefined;
}

/**
 * A Fetch API handler as a node:http / Express handler (`app.post("/api/pleo/exchange",
 * toNodeHandler(routes.exchange))`). Mount it before any body parser: it reads the body itself.
 */
export function toNodeHandler(handler: (request: Request) => Promise<Response>): (req: IncomingMessage, res: ServerResponse) => Promise<void> {
  return async (req, res) => {
    const encrypted = (req.socket as { encrypted?: boolean }).encrypted === true;
    const url = new URL(req.url ?? "/", `${encrypted ? "https" : "http"}://${req.headers.host ?? "localhost"}`);
    const headers = new Headers();
    for (const [key, value] of Object.entries(req.headers)) {
      for (const one of Array.isArray(value) ? value : value === undefined ? [] : [value]) headers.append(key, one);
    }
    const method = req.method ?? "GET";
    const init: RequestInit & { duplex?: "half" } = { method, headers };
    if (method !== "GET" && method !== "HEAD") {
      init.body = Readable.toWeb(req) as unknown as ReadableStream<Uint8Array>;
      init.duplex = "half";
    }
    const response = await handler(new Request(url, init));
    const out: [string, string][] = [];
    response.headers.forEach((value, key) => key !== "set-cookie" && out.push([key, value]));
    for (const cookie of response.headers.getSetCookie()) out.push(["set-cookie", cookie]);
    res.writeHead(response.status, out.flat());
    res.end(Buffer.from(await response.arrayBuffer()));
  };
}
