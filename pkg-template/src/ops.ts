// Generated from src/boundary.rs by `cargo test` (UPDATE_BOUNDARY=1 rewrites it): do not edit.
/** The core's operations; the string arguments of each, in order, in its comment. */
export const enum Op {
  /** (options, origin) */
  Configure = 0,
  /** (client, options, records, appState) */
  Start = 1,
  /** (client, options, records, appState) */
  Popup = 2,
  /** (client, url, records, here) */
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
}
/**
 * The options tables (src/boundary.rs): a name, then its kind — s a string, l an array of
 * strings, m an object of strings, n a number, o an object (the table of its name), e a preset
 * name or an object (the ENVIRONMENT table), j any JSON value (handed over apart).
 */
export const CREATE = "clientId s redirectUri s scopes l environment e handoff o storage s transactionTtlSeconds n";
export const ENVIRONMENT = "authorizationEndpoint s issuer s";
export const HANDOFF = "url s startUrl s credentials s headers m timeoutMs n";
export const START = "returnTo s extraParams m appState j";
export const POPUP = "returnTo s extraParams m appState j timeoutMs n";
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
  UrlEmpty = 35,
  UrlWhitespace = 36,
  UrlNotAbsolute = 37,
  UrlFragment = 38,
  UrlNoHost = 39,
  UrlUserInfo = 40,
  UrlHost = 41,
  UrlPlainHttp = 42,
  UrlScheme = 43,
  PopupTimeout = 44,
  NoRandomness = 45,
  ExtraParamEmpty = 46,
  ExtraParamReserved = 47,
  ExtraParamInEndpoint = 48,
  ReturnTo = 49,
  AppStateKind = 50,
  AppStateSize = 51,
  AppStateJson = 52,
  VerifierLength = 53,
  VerifierCharacters = 54,
  CallbackUrl = 55,
  CallbackUrlType = 56,
  DuplicateParameter = 57,
  NotACallback = 58,
  MissingState = 59,
  AlreadyHandled = 60,
  UnknownState = 61,
  Expired = 62,
  IssuerNotConfigured = 63,
  IssuerMissing = 64,
  IssuerMismatch = 65,
  RedirectUriMismatch = 66,
  AccessDenied = 67,
  AuthorizationError = 68,
  MissingCode = 69,
  ExchangeTimedOut = 70,
  ExchangeStatus = 71,
  ExchangeUnreachable = 72,
  StartTimedOut = 73,
  StartStatus = 74,
  StartUnreachable = 75,
  PopupBlocked = 76,
  PopupClosed = 77,
  PopupTimedOut = 78,
  ChallengeArgument = 79,
  ParseArgument = 80,
  UnknownOperation = 81,
  NotText = 82,
  TooLarge = 83,
  LoadNoFiles = 84,
  LoadRead = 85,
  LoadDownload = 86,
  LoadStatus = 87,
  LoadNotWasm = 88,
  LoadCompile = 89,
  LoadCspConnect = 90,
  LoadCspScript = 91,
}
