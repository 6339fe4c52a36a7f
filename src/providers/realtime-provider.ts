/**
 * The seed's RealtimeProvider interface in TypeScript: connect, subscribe, listen, disconnect. Every market data
 * provider (Binance, Polygon) implements it, so sessions and the CLI never depend on a venue.
 */
import type { Bar } from '../domain/bar.ts';
import type { Interval } from '../domain/interval.ts';
import type { RealtimeError } from '../errors.ts';

// Lives in the domain so that the connection machine does not depend on providers; re-exported for callers.
export type { ConnectionState } from '../domain/connection.ts';
import type { ConnectionState } from '../domain/connection.ts';

/** Extra detail delivered with a state change (which connection, why). */
export interface ConnectionStateDetail {
  /** Connection (shard) index inside the provider's pool. */
  readonly connection: number;
  readonly reason?: string;
  readonly attempt?: number;
}

/** Counters every provider keeps; exposed through `stats()` and the session's status line. */
export interface ProviderStats {
  readonly connections: number;
  readonly framesReceived: number;
  readonly barsEmitted: number;
  readonly barsBackfilled: number;
  readonly malformedFrames: number;
  readonly duplicatesDropped: number;
  readonly reconnects: number;
  readonly reconnectReasons: Readonly<Record<string, number>>;
  readonly controlMessagesSent: number;
}

/** Unsubscribes a listener. */
export type Unlisten = () => void;

/** A realtime market data provider. */
export interface RealtimeProvider {
  /** Registry name, e.g. `binance-realtime`. */
  readonly name: string;
  /** Opens the connection(s); resolves once connected, rejects with a {@link RealtimeError} on a fatal failure. */
  connect(signal?: AbortSignal): Promise<void>;
  /**
   * Adds streams for `symbols` at `interval`; resolves when the server confirmed them. Call after `connect()` (it may
   * still be in progress); before it, or after `disconnect()`, it rejects at once with NOT_READY (CLOSED after `disconnect()`).
   */
  subscribe(symbols: readonly string[], interval: Interval): Promise<void>;
  /** Removes every stream of `symbols`. */
  unsubscribe(symbols: readonly string[]): Promise<void>;
  /** Registers a bar listener; bars arrive in order per stream, each closed bar exactly once. */
  onData(callback: (bar: Bar) => void): Unlisten;
  /** Registers an error listener (malformed frames, invalid symbols, connection faults). */
  onError(callback: (error: RealtimeError) => void): Unlisten;
  /** Registers a connection state listener. */
  onConnectionStateChange(callback: (state: ConnectionState, detail: ConnectionStateDetail) => void): Unlisten;
  /** Closes everything gracefully; no callback fires after it resolves. */
  disconnect(): Promise<void>;
  getConnectionState(): ConnectionState;
  /** Symbols with at least one confirmed stream. */
  getSubscribedSymbols(): string[];
  stats(): ProviderStats;
  /**
   * Tells the provider the last closed bar already persisted for a stream (resuming a session), so that the bars
   * since are backfilled before the first live one. Call before `subscribe`. Optional: providers without backfill omit it.
   * With `maxGapMs`, bars older than that before the venue's present are not fetched but reported (GAP_UNCOVERED,
   * `data: { symbol, interval, from, to }`).
   */
  resumeAfter?(symbol: string, interval: Interval, lastOpenTime: number, maxGapMs?: number): void;
  /**
   * The closed bars of a stream opening in [from, to), from the venue's REST history, in order (`backfilled: true`):
   * the session fetches the bars it could not persist (a full disk) with it. Optional: providers without REST omit it.
   */
  fetchClosedBars?(symbol: string, interval: Interval, from: number, to: number): Promise<Bar[]>;
}

/** The bar source name a provider writes into the `provider` column (`binance-realtime` → `binance`, a futures feed its own). */
export const barProviderOf = (provider: Pick<RealtimeProvider, 'name'>): string =>
  (provider as { barProvider?: string }).barProvider ?? provider.name.replace(/-realtime$/, '');
