/**
 * The services a session offers its strategy (the seed's StrategyHostServices): data queries, realtime
 * subscriptions within their bounds (strategy-subscriptions.ts), orders through the risk-wrapped trading
 * provider, and `log` / `mark` into the event log.
 */
import type { RealtimeProvider } from '../providers/realtime-provider.ts';
import type { DuckDBDataService } from '../strategy/duckdb-data.ts';
import type { StrategyEvent } from '../strategy/events.ts';
import type { StrategyHostServices } from '../strategy/host-api.ts';
import { TokenBucket } from '../strategy/token-bucket.ts';
import type { TradingProvider } from '../trading/trading-provider.ts';
import { notReady } from './children.ts';
import type { StrategySubscriptions } from './strategy-subscriptions.ts';
import type { SessionEvents } from './types.ts';

/** What the services read and where they report. */
export interface StrategyServicesDeps {
  readonly provider: RealtimeProvider;
  /** The bounds of `subscribeRealtime` (its default interval is the session's). */
  readonly subscriptions: StrategySubscriptions;
  /** The strategy's name, for the events about its subscriptions (empty before it loaded). */
  readonly strategyName: () => string;
  /** Clock of the refusal event budget. */
  readonly now: () => number;
  /** The trading provider once connected. */
  readonly trading: () => TradingProvider | undefined;
  /** The data service once loaded. */
  readonly data: () => DuckDBDataService | undefined;
  /** Appends a session event. */
  readonly record: (type: string, event: Record<string, unknown>) => void;
  readonly emit: <K extends 'log' | 'mark' | 'strategy'>(type: K, event: SessionEvents[K]) => void;
}

// A strategy calling subscribeRealtime in a loop must not turn every refusal into an event-log row.
const REFUSALS_PER_SECOND = 5;

/** Builds the strategy's services; a call before its component is ready fails with a not-ready error. */
export const strategyServices = (deps: StrategyServicesDeps): StrategyHostServices => {
  const t = () => deps.trading() ?? (() => { throw notReady('the trading provider'); })();
  const d = () => deps.data() ?? (() => { throw notReady('the data service'); })();
  const tell = (event: StrategyEvent): void => {
    deps.record(`strategy:${event.type}`, event as unknown as Record<string, unknown>);
    deps.emit('strategy', event);
  };
  const refusals = new TokenBucket(REFUSALS_PER_SECOND, 2 * REFUSALS_PER_SECOND, deps.now);
  let unreported = 0;
  const subscribeRealtime: StrategyHostServices['subscribeRealtime'] = async (symbols, interval) => {
    const decision = deps.subscriptions.check(symbols, interval);
    if (!decision.ok) {
      if (refusals.take()) {
        const repeated = unreported;
        unreported = 0;
        tell({ type: 'strategy.subscription_refused', strategy: deps.strategyName(), reason: decision.reason, code: decision.error.code, message: decision.error.message, ...(repeated > 0 ? { repeated } : {}) });
      } else {
        unreported += 1;
      }
      throw decision.error;
    }
    if (decision.symbols.length === 0) return;
    try {
      await deps.provider.subscribe(decision.symbols, decision.interval);
    } catch (e) {
      deps.subscriptions.release(decision.symbols, decision.interval);
      throw e;
    }
    tell({ type: 'strategy.subscribed', strategy: deps.strategyName(), streams: decision.symbols.map((s) => `${s}|${decision.interval}`) });
  };
  return {
    getRange: (...a) => d().getRange(...a),
    readLastData: (...a) => d().readLastData(...a),
    executeSQL: (...a) => d().executeSQL(...a),
    subscribeRealtime,
    placeOrder: (req) => t().placeOrder(req),
    getPositions: () => t().getPositions(),
    cancelOrder: (orderId) => t().cancelOrder(orderId),
    getAccountInfo: () => t().getAccountInfo(),
    getOpenOrders: () => t().getOpenOrders(),
    getOrderStatus: (orderId) => t().getOrderStatus(orderId),
    log: async (level, message, extra) => {
      const event = { level, message, ...(extra === undefined ? {} : { data: extra }) };
      deps.record('strategy:log', event);
      deps.emit('log', event);
    },
    mark: async (name, value) => {
      const event = { name, ...(value === undefined ? {} : { value }) };
      deps.record('strategy:mark', event);
      deps.emit('mark', event);
    },
  };
};
