// Generated from src/boundary.rs by `cargo test` (UPDATE_BOUNDARY=1 rewrites it): do not edit.
/** The core's operations; the string arguments of each, in order, in its comment. */
export const enum Op {
  /** (options, origin) */
  Configure = 0,
  /** (client, options, schedule, appState) */
  Start = 1,
  /** (client, options, schedule, appState) */
  Popup = 2,
  /** (client, url, record, here, via) */
  Finish = 3,
  /** (request, url, timeoutMs, response, status) */
  HandedOff = 4,
  /** (why, timeoutMs) */
  PopupFailed = 5,
  /** () */
  Pkce = 6,
  /** (verifier) */
  Challenge = 7,
  /** () */
  State = 8,
  /** (url) */
  Parse = 9,
  /** (url) */
  Locate = 10,
  /** (records) */
  Sweep = 11,
  /** () */
  Verifier = 12,
}
/** The server build's operations (pleo-oauth/server); the string arguments of each, in order. */
export const enum ServerOp {
  /** (body) */
  Registration = 100,
  /** (body, redirectUri) */
  Handoff = 101,
  /** (body, redirectUri, clientId, clientSecret, tokenEndpoint, bound, registeredState, registeredChallenge, registrationExpiresAt) */
  Exchange = 102,
  /** (clientId, clientSecret, tokenEndpoint, refreshToken) */
  Refresh = 103,
  /** (status, body, usedRefreshToken) */
  Tokens = 104,
  /** (expiresAt, issuedAt, skewMs) */
  Due = 105,
}
/**
 * The options tables (src/boundary.rs): each option its kind's letter, then its name — s a
 * string, l an array of strings, m an object of strings, n a number, o an object (the table of
 * its name), e a preset name or an object (the ENVIRONMENT table), j any JSON value (handed
 * over apart).
 */
export const CREATE = "sclientId sredirectUri lscopes eenvironment ohandoff sstorage ntransactionTtlSeconds";
export const ENVIRONMENT = "sauthorizationEndpoint sissuer";
export const HANDOFF = "surl sstartUrl scredentials mheaders ntimeoutMs";
export const START = "sreturnTo mextraParams jappState";
export const POPUP = "sreturnTo mextraParams jappState ntimeoutMs";
/** How many messages there are: a messages.js of another build has another count. */
export const MESSAGE_COUNT = 96;
/** The prefix of every storage key this library writes (src/transaction.rs). */
export const KEY_PREFIX = "pleo-oauth:tx:";
/** Pleo's token endpoints, for pleo-oauth/server (src/protocol.rs). */
export const TOKEN_ENDPOINTS = { production: "https://auth.pleo.io/oauth/token", staging: "https://auth.staging.pleo.io/oauth/token" };
/** The core's messages (src/messages.rs `Msg`): their templates are in messages.ts. */
export const enum Msg {
  OptionsMissing = 0,
  StorageUnavailable = 1,
  StorageRefused = 2,
  RedirectUriRequired = 3,
  RedirectUriRewritten = 4,
  RedirectUriCallbackParameter = 5,
  StorageName = 6,
  TransactionTtl = 7,
  PageOrigin = 8,
  PageOriginNull = 9,
  ClientIdRequired = 10,
  ClientIdEmpty = 11,
  ClientIdCharacters = 12,
  ScopesEmpty = 13,
  ScopeForm = 14,
  ScopeTwice = 15,
  EnvironmentUnknown = 16,
  EndpointRequired = 17,
  EndpointReservedParameter = 18,
  EnvironmentType = 19,
  IssuerQuery = 20,
  HandoffUrlForm = 21,
  HandoffUrlFragment = 22,
  HandoffUrlRequired = 23,
  Credentials = 24,
  HeaderName = 25,
  HeaderTwice = 26,
  HeaderForbidden = 27,
  HeaderLineBreak = 28,
  HeaderLatin1 = 29,
  HandoffTimeout = 30,
  ClientRecord = 31,
  UnknownOption = 32,
  UnknownOptionHint = 33,
  WrongType = 34,
  WrongTypeInstance = 35,
  WrongTypeUnreadable = 36,
  UrlEmpty = 37,
  UrlWhitespace = 38,
  UrlNotAbsolute = 39,
  UrlFragment = 40,
  UrlNoHost = 41,
  UrlUserInfo = 42,
  UrlHost = 43,
  UrlPlainHttp = 44,
  UrlScheme = 45,
  PopupTimeout = 46,
  NoRandomness = 47,
  NoDigest = 48,
  ExtraParamEmpty = 49,
  ExtraParamReserved = 50,
  ExtraParamInEndpoint = 51,
  ReturnTo = 52,
  AppStateKind = 53,
  AppStateSize = 54,
  VerifierLength = 55,
  VerifierCharacters = 56,
  CallbackUrl = 57,
  CallbackUrlType = 58,
  DuplicateParameter = 59,
  NotACallback = 60,
  MissingState = 61,
  AlreadyHandled = 62,
  UnknownState = 63,
  Expired = 64,
  IssuerNotConfigured = 65,
  IssuerMissing = 66,
  IssuerMismatch = 67,
  RedirectUriMismatch = 68,
  AccessDenied = 69,
  AuthorizationError = 70,
  MissingCode = 71,
  ExchangeTimedOut = 72,
  ExchangeStatus = 73,
  ExchangeUnreachable = 74,
  StartTimedOut = 75,
  StartStatus = 76,
  StartUnreachable = 77,
  PopupBlocked = 78,
  PopupClosed = 79,
  PopupTimedOut = 80,
  ChallengeArgument = 81,
  ParseArgument = 82,
  UnknownOperation = 83,
  NotText = 84,
  TooLarge = 85,
  LoadNoFiles = 86,
  LoadRead = 87,
  LoadDownload = 88,
  LoadStatus = 89,
  LoadNotWasm = 90,
  LoadPopup = 91,
  LoadCompile = 92,
  LoadCspConnect = 93,
  LoadCspScript = 94,
  NotInBrowser = 95,
}
