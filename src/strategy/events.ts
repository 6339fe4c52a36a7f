/**
 * What the strategy runtime reports: events on `onEvent` (a strategy failed, was restarted, was halted by
 * policy) and the outcome of each bar. All are plain JSON-serialisable data, ready for the session event log.
 */
import type { LatencySummary } from './latency.ts';

/** Why a strategy failed: it threw (or rejected), overran the per-bar budget, ran out of memory, its worker
 * exited, or it could not be (re)loaded. */
export type StrategyFailureReason = 'threw' | 'timeout' | 'oom' | 'exited' | 'load_failed';

/** A strategy failure, on a bar (`barKey`) or between bars. */
export interface StrategyFailed {
  readonly type: 'strategy.failed';
  /** The strategy's `name`. */
  readonly strategy: string;
  readonly reason: StrategyFailureReason;
  readonly message: string;
  /** Stack inside the strategy's worker, when there was an error object. */
  readonly stack?: string;
  /** Key of the bar in hand (`provider|symbol|interval|openTime`), when there was one. */
  readonly barKey?: string;
  /** Failures since the last reported one that were counted in the stats but not reported one by one (over the event budget). */
  readonly repeated?: number;
}

/** A fresh worker replaced one that timed out, ran out of memory or exited; strategy memory was reset. */
export interface StrategyRestarted {
  readonly type: 'strategy.restarted';
  readonly strategy: string;
  /** Restarts so far, this one included. */
  readonly restarts: number;
  readonly after: StrategyFailureReason;
}

/** The runtime refuses further bars: policy `stop` after a failure, too many restarts, or a failed restart. */
export interface StrategyHalted {
  readonly type: 'strategy.halted';
  readonly strategy: string;
  readonly reason: StrategyFailureReason;
  readonly message: string;
}

/** A host service (`log`, `mark`) failed while serving a one-way call; the strategy is not affected. */
export interface StrategyServiceFailed {
  readonly type: 'strategy.service_failed';
  readonly strategy: string;
  readonly method: string;
  readonly message: string;
}

/** Why a `subscribeRealtime` call was refused: a symbol not allowed, past the stream cap, over the call rate, or malformed. */
export type StrategySubscriptionRefusal = 'symbol' | 'streams' | 'rate' | 'invalid';

/** The strategy added streams with `subscribeRealtime` (`SYMBOL|interval`, those the session did not have yet). */
export interface StrategySubscribed {
  readonly type: 'strategy.subscribed';
  readonly strategy: string;
  readonly streams: readonly string[];
}

/** The session refused a `subscribeRealtime` call; the strategy got the error (code `SUBSCRIPTION_REFUSED` or `RATE_LIMITED`). */
export interface StrategySubscriptionRefused {
  readonly type: 'strategy.subscription_refused';
  readonly strategy: string;
  readonly reason: StrategySubscriptionRefusal;
  readonly code: string;
  readonly message: string;
  /** Refusals since the last reported one that were not reported one by one (over the event budget). */
  readonly repeated?: number;
}

/** Every event the runtime reports, and the session's answers to the strategy's subscriptions. */
export type StrategyEvent = StrategyFailed | StrategyRestarted | StrategyHalted | StrategyServiceFailed | StrategySubscribed | StrategySubscriptionRefused;

/** The result of handing one bar to the strategy. */
export type BarOutcome =
  | { readonly status: 'ok'; readonly barKey: string; readonly latencyMs: number }
  | { readonly status: 'failed'; readonly barKey: string; readonly latencyMs: number; readonly failure: StrategyFailed }
  | { readonly status: 'refused'; readonly barKey: string; readonly reason: 'halted' | 'stopped' };

/** Runner lifecycle: `running` (restarting a worker in between when needed) → `stopping` → `stopped`, or
 * `halted` once policy or a failed restart ends it. */
export type RunnerState = 'running' | 'restarting' | 'halted' | 'stopping' | 'stopped';

/** Counters and latency of a runner. */
export interface StrategyStats {
  readonly state: RunnerState;
  /** Bars handed to the strategy (succeeded + failed). */
  readonly barsProcessed: number;
  /** Bars on which the strategy threw, timed out, or lost its worker. */
  readonly barsFailed: number;
  /** Of `barsFailed`, those that overran the budget. */
  readonly barsTimedOut: number;
  /** Bars refused because the runner was halted or stopped. */
  readonly barsRefused: number;
  /** Messages that carried bars to the worker (`barsProcessed / batches` is the mean batch size). */
  readonly batches: number;
  /** Every `strategy.failed` reported, between bars included. */
  readonly failures: number;
  readonly restarts: number;
  /** Host-measured time from a bar's start (its batch sent, or the bar before it answered) to knowing its outcome (timeouts count as the budget). */
  readonly latencyMs: LatencySummary;
}
