/**
 * The services a session offers its strategy (the seed's StrategyHostServices): data queries, realtime
 * subscriptions, orders through the risk-wrapped trading provider, and `log` / `mark` into the event log.
 */
import type { Interval } from '../domain/interval.ts';
import type { RealtimeProvider } from '../providers/realtime-provider.ts';
import type { DuckDBDataService } from '../strategy/duckdb-data.ts';
import type { StrategyHostServices } from '../strategy/host-api.ts';
import type { TradingProvider } from '../trading/trading-provider.ts';
import { notReady } from './children.ts';
import type { SessionEvents } from './types.ts';

/** What the services read and where they report. */
export interface StrategyServicesDeps {
  readonly provider: RealtimeProvider;
  /** Interval of `subscribeRealtime` without one (the session's). */
  readonly interval: Interval;
  /** The trading provider once connected. */
  readonly trading: () => TradingProvider | undefined;
  /** The data service once loaded. */
  readonly data: () => DuckDBDataService | undefined;
  /** Appends a session event. */
  readonly record: (type: string, event: Record<string, unknown>) => void;
  readonly emit: <K extends 'log' | 'mark'>(type: K, event: SessionEvents[K]) => void;
}

/** Builds the strategy's services; a call before its component is ready fails with a not-ready error. */
export const strategyServices = (deps: StrategyServicesDeps): StrategyHostServices => {
  const t = () => deps.trading() ?? (() => { throw notReady('the trading provider'); })();
  const d = () => deps.data() ?? (() => { throw notReady('the data service'); })();
  return {
    getRange: (...a) => d().getRange(...a),
    readLastData: (...a) => d().readLastData(...a),
    executeSQL: (...a) => d().executeSQL(...a),
    subscribeRealtime: (symbols, interval) => deps.provider.subscribe(symbols, interval ?? deps.interval),
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
