/** Public types of the realtime trading session: its events, statistics and final summary. */
import type { Bar } from '../domain/bar.ts';
import type { ErrorCode, RealtimeError } from '../errors.ts';
import type { ConnectionState, ProviderStats } from '../providers/realtime-provider.ts';
import type { RealtimeWriterStats } from '../storage/realtime-writer.ts';
import type { RiskFact, RiskStats } from '../risk/guarded-provider.ts';
import type { SessionBusStats } from '../bus/session-bus.ts';
import type { BarOutcome, StrategyEvent, StrategyStats } from '../strategy/events.ts';
import type { DurabilityStats, UnpersistedRange } from './durability.ts';
import type { AccountInfo, Fill, Order, Position } from '../trading/types.ts';

/** States of a session, as the session machine names them. */
export type SessionState = 'idle' | 'starting' | 'running' | 'stopping' | 'stopped' | 'failed';

/** Everything a session tells its listeners, by event name. */
export interface SessionEvents {
  /** A closed bar, as it reaches the writer and the strategy. */
  readonly bar: Bar;
  readonly state: { readonly state: SessionState; readonly reason?: string };
  readonly connection: { readonly state: ConnectionState; readonly reason?: string };
  readonly error: RealtimeError;
  readonly order: Order;
  readonly fill: Fill;
  /** Strategy runtime facts: failures, restarts, halts. */
  readonly strategy: StrategyEvent;
  readonly log: { readonly level: string; readonly message: string; readonly data?: unknown };
  readonly mark: { readonly name: string; readonly value?: unknown };
  /** A durability fact (`gap.opened`, `gap.closed`, `range.backfilled`, `correction.applied`, `writes.failing`, ...), as logged. */
  readonly durability: { readonly type: string; readonly [field: string]: unknown };
  /** A bar the strategy did not get because its queue was full (oldest dropped first). */
  readonly 'strategy.skipped': { readonly bar: Bar; readonly skipped: number };
  /** The strategy is done with a bar (ok, failed or refused): what waits for it to catch up listens to. */
  readonly 'strategy.processed': BarOutcome;
  /** Risk engine facts: an order refused (with the check and reason), the kill switch tripped, swept or reset. */
  readonly risk: RiskFact;
}

/** Live figures of a session. */
export interface SessionStats {
  readonly id: string;
  readonly state: SessionState;
  readonly connection: ConnectionState;
  readonly barsReceived: number;
  /** Closed bars per second over the last 10 s. */
  readonly barsPerSecond: number;
  readonly lastBars: Readonly<Record<string, { readonly openTime: number; readonly close: number; readonly ageMs: number }>>;
  readonly writer: RealtimeWriterStats;
  readonly provider: ProviderStats | null;
  readonly positions: readonly Position[];
  readonly account: AccountInfo | null;
  readonly orders: { readonly placed: number; readonly filled: number; readonly rejected: number; readonly cancelled: number };
  readonly strategy: (StrategyStats & { readonly queued: number; readonly skipped: number }) | null;
  /** Events appended to the log and not yet flushed to DuckDB. */
  readonly eventsPending: number;
  /** The risk engine: kill switch, rejections by check, open orders, exposure, daily P&L. */
  readonly risk?: RiskStats;
  /** Bus figures when the session publishes to or consumes from NATS JetStream (docs/scale-out.md). */
  readonly bus?: SessionBusStats;
  /** Write failures, bars held back, gaps, corrections, resume ranges left uncovered (once the writer is open). */
  readonly durability?: DurabilityStats;
}

/** How a session ended. */
export interface SessionSummary {
  readonly id: string;
  readonly state: 'stopped' | 'failed';
  readonly reason?: string;
  readonly failure?: { readonly code: ErrorCode; readonly message: string; readonly source: string };
  readonly bars: number;
  readonly orders: number;
  readonly fills: number;
  readonly account: AccountInfo | null;
  readonly positions: readonly Position[];
  readonly dbPath: string;
  readonly table: string;
  /** True when the session continued an earlier run with the same id. */
  readonly resumed: boolean;
  /** Ranges of bars not in the file when the session ended (held rows that could not be flushed, gaps not fetched). */
  readonly unpersisted?: readonly UnpersistedRange[];
}
