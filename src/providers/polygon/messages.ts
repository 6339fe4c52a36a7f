/**
 * Massive (formerly Polygon.io) WebSocket and REST aggregate frames, as documented; shared by the provider
 * (which decodes them) and the simulator (which produces them). Every server frame is a JSON array of events,
 * status and data mixed.
 * Sources: the AsyncAPI spec `.massive/websocket.json` and the OpenAPI spec `.massive/rest.json` in
 * massive-com/client-python; https://massive.com/docs/websocket/quickstart.
 */

/** The markets (clusters) Massive serves, one WebSocket path each. */
export const POLYGON_FEEDS = ['stocks', 'options', 'forex', 'crypto', 'indices'] as const;

/** One of {@link POLYGON_FEEDS}. */
export type PolygonFeed = (typeof POLYGON_FEEDS)[number];

/**
 * Aggregate events: `AM` minute and `A` second bars (stocks, options, indices), `XA` / `XAS` crypto and
 * `CA` / `CAS` forex minute / second bars.
 */
export type PolygonAggregateEventType = 'AM' | 'A' | 'XA' | 'XAS' | 'CA' | 'CAS';

/** Every aggregate event type. */
export const POLYGON_AGGREGATE_EVENTS: readonly PolygonAggregateEventType[] = ['AM', 'A', 'XA', 'XAS', 'CA', 'CAS'];

/** Client → server message: `auth`, `subscribe` or `unsubscribe`; params are comma separated. */
export interface PolygonAction {
  readonly action: 'auth' | 'subscribe' | 'unsubscribe';
  readonly params: string;
}

/** Server status event, e.g. `{"ev":"status","status":"auth_success","message":"authenticated"}`. */
export interface PolygonStatusEvent {
  readonly ev: 'status';
  readonly status: string;
  readonly message: string;
}

/**
 * `AM` / `A` event. v window volume, av day volume, op day open, vw window VWAP, a day VWAP, z average trade
 * size, s/e window start/end (Unix ms). Indices carry no volume fields, and their `s` and `e` are one instant
 * inside the window (`s == e`, not aligned to it).
 */
export interface PolygonStockAggregate {
  readonly ev: 'AM' | 'A';
  readonly sym: string;
  readonly v?: number;
  readonly av?: number;
  readonly op?: number;
  readonly vw?: number;
  readonly o: number;
  readonly c: number;
  readonly h: number;
  readonly l: number;
  readonly a?: number;
  readonly z?: number;
  readonly s: number;
  readonly e: number;
}

/** `XA` crypto minute bar, `XAS` crypto second bar. */
export interface PolygonCryptoAggregate {
  readonly ev: 'XA' | 'XAS';
  readonly pair: string;
  readonly v: number;
  readonly vw?: number;
  readonly z?: number;
  readonly o: number;
  readonly c: number;
  readonly h: number;
  readonly l: number;
  readonly s: number;
  readonly e: number;
}

/** `CA` forex minute bar, `CAS` forex second bar (the end time is optional, no VWAP). */
export interface PolygonForexAggregate {
  readonly ev: 'CA' | 'CAS';
  readonly pair: string;
  readonly o: number;
  readonly c: number;
  readonly h: number;
  readonly l: number;
  readonly v: number;
  readonly s: number;
  readonly e?: number;
}

/** Any aggregate event. */
export type PolygonAggregateEvent = PolygonStockAggregate | PolygonCryptoAggregate | PolygonForexAggregate;

/** One row of REST `results`: o h l c v, vw VWAP, n trade count, t window start (Unix ms); index rows carry no v, vw or n. */
export interface PolygonAggRow {
  readonly o: number;
  readonly h: number;
  readonly l: number;
  readonly c: number;
  readonly v?: number;
  readonly vw?: number;
  readonly n?: number;
  readonly t: number;
}

/** REST `/v2/aggs/ticker/{ticker}/range/{multiplier}/{timespan}/{from}/{to}` answer; follow `next_url` to page. */
export interface PolygonAggsResponse {
  readonly ticker?: string;
  readonly status: string;
  readonly adjusted?: boolean;
  readonly queryCount?: number;
  readonly resultsCount?: number;
  readonly request_id?: string;
  readonly results?: readonly PolygonAggRow[];
  /** Absolute URL of the next page, without the API key (the client adds it again). */
  readonly next_url?: string;
  /** Error text of `status: "ERROR"` answers. */
  readonly error?: string;
  /** Error text of `status: "NOT_AUTHORIZED"` answers (a plan without the data asked for). */
  readonly message?: string;
}

/**
 * Every status value, as the AsyncAPI spec lists them (connect `success`; auth `auth_success`, `auth_timeout`,
 * `auth_failed`; subscribe `success`, `auth_required`, `error`; unsubscribe `success`; disconnect
 * `max_connections`, `force_disconnect`, `slow_consumer`), plus `connected`, which the servers and the official
 * clients' mock servers send on connect.
 */
export const POLYGON_STATUS = {
  connected: 'connected',
  authSuccess: 'auth_success',
  authFailed: 'auth_failed',
  authTimeout: 'auth_timeout',
  authRequired: 'auth_required',
  success: 'success',
  error: 'error',
  maxConnections: 'max_connections',
  forceDisconnect: 'force_disconnect',
  slowConsumer: 'slow_consumer',
} as const;

/** Messages that tell what a `success` or `error` status answers (the status alone is shared by several events). */
export const POLYGON_STATUS_MESSAGES = {
  /** Connect event: `{"status":"success","message":"Connected Successfully"}` (spec), or with `connected`. */
  connected: 'Connected Successfully',
  /** Authentication accepted: `auth_success` today, `success` in older servers. */
  authenticated: 'authenticated',
  /** Key refused: `auth_failed` today, `error` in older servers. */
  authenticationFailed: 'authentication failed',
} as const;

/**
 * Statuses after which the connection cannot go on, and what each means: the server ends it after the first
 * four; after `auth_required` (the server asks for a key on a connection it had authenticated) the provider ends
 * it itself, to authenticate again on a new one.
 */
export const POLYGON_DISCONNECT_STATUSES: Readonly<Record<string, string>> = {
  max_connections: 'another connection with the same API key and market took the slot',
  force_disconnect: 'the server ended the connection',
  slow_consumer: 'the client read too slowly and the server dropped it',
  auth_timeout: 'no authentication was received in time',
  auth_required: 'the server asked for authentication on a connection it had authenticated',
};

/** Documented limits and defaults. */
export const POLYGON_LIMITS = {
  /** Maximum rows per REST aggregates page. */
  aggsPerRequest: 50_000,
  /** Minute bars may be re-sent with corrections for about this long. */
  correctionWindowMs: 15 * 60_000,
  /** Connections per market per key on the default plan (a second one evicts the oldest). */
  connectionsPerMarket: 1,
} as const;
