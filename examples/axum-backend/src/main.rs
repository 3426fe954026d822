//! A partner backend in Rust (axum) on `pleo_oauth::server`: the two routes the browser's
//! `handoff` option names, and a status route that uses the connection's access token.
//!
//! - `POST /api/pleo/start` (`handoff.startUrl`): the bound handoff's `{ state, code_challenge }`,
//!   kept for this visitor's session.
//! - `POST /api/pleo/exchange` (`handoff.url`): the handoff read strictly, the bound check, the
//!   code exchange with HTTP Basic; the connection's id goes into an `HttpOnly` cookie.
//! - `GET /api/pleo/status`: the access token, refreshed first when due — once per connection
//!   however many requests ask (a lock per connection, held across the refresh), because Pleo
//!   revokes the whole authorisation when a rotated-away refresh token is used again.
//!
//! Every rule is the library's; this file does the HTTP. Tokens stay in this process's memory:
//! a real backend keeps them encrypted in a database (Node's `pleo-oauth/server` does).
//!
//! Configuration from the environment: `PLEO_CLIENT_ID`, `PLEO_CLIENT_SECRET`,
//! `PLEO_REDIRECT_URI`, `PLEO_TOKEN_ENDPOINT` (default Pleo's production one), `PORT` (0: any).

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use axum::extract::{DefaultBodyLimit, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use pleo_oauth::server::handoff::{check_bound, HandoffBody, Registration, MAX_BODY_BYTES};
use pleo_oauth::server::token::{parse_response, Client, TokenRequest, PRODUCTION_TOKEN_ENDPOINT};
use pleo_oauth::server::{refresh, AccessToken, ClientSecret, RefreshToken, ServerError};
use tokio::sync::Mutex;

/// How long a registration of the bound handoff lasts.
const REGISTRATION_TTL_MS: u64 = 10 * 60 * 1000;

fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64)
}

/// A connection's tokens.
struct Connection {
    access_token: AccessToken,
    expires_at_ms: Option<u64>,
    issued_at_ms: u64,
    refresh_token: Option<RefreshToken>,
}

struct App {
    client: Client,
    redirect_uri: String,
    http: reqwest::Client,
    /// (session, state) → (registration, expiry).
    registrations: Mutex<HashMap<(String, String), (Registration, u64)>>,
    /// connection id → its tokens, behind a lock per connection (refresh single flight).
    connections: Mutex<HashMap<String, Arc<Mutex<Connection>>>>,
}

type Shared = Arc<App>;

/// 32 random bytes, base64url: session and connection ids.
fn random_id() -> Result<String, StatusCode> {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).map_err(|_| StatusCode::INTERNAL_SERVER_ERROR)?;
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    Ok(bytes
        .iter()
        .map(|b| ALPHABET[usize::from(b & 63)] as char)
        .collect())
}

fn cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|c| c.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.to_owned())
}

/// A cross-site form can set neither header: JSON from our own page's script only.
fn from_our_script(headers: &HeaderMap) -> bool {
    let h = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
    };
    h("x-requested-with") == "pleo-oauth" && h("content-type").starts_with("application/json")
}

fn json(status: StatusCode, body: String) -> Response {
    (status, [(header::CONTENT_TYPE, "application/json")], body).into_response()
}

/// A rule's refusal as the page sees it: the code only (messages are for the logs, and name no
/// secret either).
fn refused(e: &ServerError) -> Response {
    eprintln!("pleo: {e}");
    let status = match e.code().as_str() {
        "invalid_handoff" => StatusCode::BAD_REQUEST,
        "unknown_state" | "expired" | "challenge_mismatch" => StatusCode::FORBIDDEN,
        _ => StatusCode::BAD_GATEWAY,
    };
    json(status, format!(r#"{{"error":"{}"}}"#, e.code().as_str()))
}

/// Sends a token request; `Err` with a response when the token endpoint could not be reached
/// or refused, else the tokens read strictly.
async fn token_call(
    app: &App,
    request: &TokenRequest,
) -> Result<pleo_oauth::server::token::Tokens, Response> {
    let mut r = app.http.post(&request.url).body(request.body.clone());
    for (name, value) in &request.headers {
        r = r.header(*name, value);
    }
    let unreachable = || {
        json(
            StatusCode::BAD_GATEWAY,
            r#"{"error":"token_endpoint_unreachable"}"#.into(),
        )
    };
    let response = r.send().await.map_err(|_| unreachable())?;
    let status = response.status().as_u16();
    let text = response.text().await.map_err(|_| unreachable())?;
    parse_response(status, &text, now_ms()).map_err(|e| refused(&e))
}

async fn start(State(app): State<Shared>, headers: HeaderMap, body: String) -> Response {
    if !from_our_script(&headers) {
        return StatusCode::FORBIDDEN.into_response();
    }
    let registration = match Registration::parse(&body) {
        Ok(r) => r,
        Err(e) => return refused(&e),
    };
    let (session, new) = match cookie(&headers, "pleo_session") {
        Some(s) => (s, false),
        None => match random_id() {
            Ok(s) => (s, true),
            Err(status) => return status.into_response(),
        },
    };
    app.registrations.lock().await.insert(
        (session.clone(), registration.state.clone()),
        (registration, now_ms() + REGISTRATION_TTL_MS),
    );
    let mut response = json(StatusCode::OK, r#"{"registered":true}"#.into());
    if new {
        if let Ok(v) =
            format!("pleo_session={session}; Path=/api/pleo; HttpOnly; SameSite=Lax").parse()
        {
            response.headers_mut().insert(header::SET_COOKIE, v);
        }
    }
    response
}

async fn exchange(State(app): State<Shared>, headers: HeaderMap, body: String) -> Response {
    if !from_our_script(&headers) {
        return StatusCode::FORBIDDEN.into_response();
    }
    let handoff = match HandoffBody::parse(&body, &app.redirect_uri) {
        Ok(h) => h,
        Err(e) => return refused(&e),
    };
    // One use: the registration is removed as it is read.
    let session = cookie(&headers, "pleo_session").unwrap_or_default();
    let registered = app
        .registrations
        .lock()
        .await
        .remove(&(session, handoff.state.clone()));
    if let Err(e) = check_bound(
        &handoff,
        registered.as_ref().map(|(r, at)| (r, *at)),
        now_ms(),
    ) {
        return refused(&e);
    }
    let issued_at_ms = now_ms();
    let tokens = match token_call(&app, &app.client.exchange(&handoff)).await {
        Ok(t) => t,
        Err(response) => return response,
    };
    let id = match random_id() {
        Ok(id) => id,
        Err(status) => return status.into_response(),
    };
    let connection = Connection {
        access_token: tokens.access_token,
        expires_at_ms: tokens.expires_at_ms,
        issued_at_ms,
        refresh_token: tokens.refresh_token,
    };
    app.connections
        .lock()
        .await
        .insert(id.clone(), Arc::new(Mutex::new(connection)));
    let mut response = json(StatusCode::OK, r#"{"connected":true}"#.into());
    if let Ok(v) = format!("pleo_connection={id}; Path=/; HttpOnly; SameSite=Lax").parse() {
        response.headers_mut().insert(header::SET_COOKIE, v);
    }
    response
}

async fn status(State(app): State<Shared>, headers: HeaderMap) -> Response {
    let Some(id) = cookie(&headers, "pleo_connection") else {
        return json(StatusCode::OK, r#"{"connected":false}"#.into());
    };
    let Some(connection) = app.connections.lock().await.get(&id).cloned() else {
        return json(StatusCode::OK, r#"{"connected":false}"#.into());
    };
    // Held across the refresh: a second request for this connection waits, then finds the new
    // tokens instead of refreshing with the token this one is using up.
    let mut c = connection.lock().await;
    let mut refreshed = false;
    if refresh::due(
        c.expires_at_ms,
        c.issued_at_ms,
        now_ms(),
        refresh::DEFAULT_SKEW_MS,
    ) {
        let Some(used) = c.refresh_token.clone() else {
            return json(
                StatusCode::OK,
                r#"{"connected":false,"reason":"reconnect_required"}"#.into(),
            );
        };
        let issued_at_ms = now_ms();
        let tokens = match token_call(&app, &app.client.refresh(&used)).await {
            Ok(t) => t,
            Err(response) => return response,
        };
        // Kept before the new access token is used: the rotated-in refresh token is never lost.
        c.refresh_token = Some(refresh::surviving(&used, &tokens));
        c.access_token = tokens.access_token;
        c.expires_at_ms = tokens.expires_at_ms;
        c.issued_at_ms = issued_at_ms;
        refreshed = true;
    }
    // A real backend calls Pleo's API here with `c.access_token.secret()` as the Bearer token.
    let _bearer = c.access_token.secret();
    json(
        StatusCode::OK,
        format!(
            r#"{{"connected":true,"refreshed":{refreshed},"expiresAt":{}}}"#,
            c.expires_at_ms
                .map_or("null".to_owned(), |at| at.to_string())
        ),
    )
}

#[tokio::main]
async fn main() {
    let env = |name: &str| std::env::var(name).unwrap_or_default();
    let app: Shared = Arc::new(App {
        client: Client {
            client_id: env("PLEO_CLIENT_ID"),
            client_secret: ClientSecret::new(env("PLEO_CLIENT_SECRET")),
            token_endpoint: std::env::var("PLEO_TOKEN_ENDPOINT")
                .unwrap_or_else(|_| PRODUCTION_TOKEN_ENDPOINT.to_owned()),
        },
        redirect_uri: env("PLEO_REDIRECT_URI"),
        http: reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(std::time::Duration::from_secs(30))
            .build()
            .expect("an HTTP client"),
        registrations: Mutex::new(HashMap::new()),
        connections: Mutex::new(HashMap::new()),
    });
    let router = Router::new()
        .route("/api/pleo/start", post(start))
        .route("/api/pleo/exchange", post(exchange))
        .route("/api/pleo/status", get(status))
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        .with_state(app);
    let port = std::env::var("PORT").unwrap_or_else(|_| "3000".into());
    let listener = tokio::net::TcpListener::bind(format!("127.0.0.1:{port}"))
        .await
        .expect("a free port");
    println!(
        "listening on http://{}",
        listener.local_addr().expect("an address")
    );
    axum::serve(listener, router).await.expect("serving");
}
