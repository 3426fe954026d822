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
export const MESSAGE_COUNT = 97;
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
  AppStateJson = 55,
  VerifierLength = 56,
  VerifierCharacters = 57,
  CallbackUrl = 58,
  CallbackUrlType = 59,
  DuplicateParameter = 60,
  NotACallback = 61,
  MissingState = 62,
  AlreadyHandled = 63,
  UnknownState = 64,
  Expired = 65,
  IssuerNotConfigured = 66,
  IssuerMissing = 67,
  IssuerMismatch = 68,
  RedirectUriMismatch = 69,
  AccessDenied = 70,
  AuthorizationError = 71,
  MissingCode = 72,
  ExchangeTimedOut = 73,
  ExchangeStatus = 74,
  ExchangeUnreachable = 75,
  StartTimedOut = 76,
  StartStatus = 77,
  StartUnreachable = 78,
  PopupBlocked = 79,
  PopupClosed = 80,
  PopupTimedOut = 81,
  ChallengeArgument = 82,
  ParseArgument = 83,
  UnknownOperation = 84,
  NotText = 85,
  TooLarge = 86,
  LoadNoFiles = 87,
  LoadRead = 88,
  LoadDownload = 89,
  LoadStatus = 90,
  LoadNotWasm = 91,
  LoadPopup = 92,
  LoadCompile = 93,
  LoadCspConnect = 94,
  LoadCspScript = 95,
  NotInBrowser = 96,
}
