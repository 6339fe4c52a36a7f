/**
 * Test helpers for the strategy runtime: a recording fake of the host services with a tiny in-memory broker
 * (market orders fill at once at the last bar's close), and synthetic 1m bars.
 */
import type { Bar } from '../../src/domain/bar.ts';
import type { MarkValue, StrategyHostServices } from '../../src/strategy/host-api.ts';
import type { Order, OrderRequest, Position } from '../../src/trading/types.ts';

/** One recorded call to the fake services. */
export interface Call {
  readonly method: keyof StrategyHostServices;
  readonly args: readonly unknown[];
}

/** The fake services plus what they recorded. */
export interface FakeServices extends StrategyHostServices {
  readonly calls: Call[];
  readonly marks: { name: string; value: MarkValue | undefined }[];
  readonly orders: OrderRequest[];
  /** Net position per symbol. */
  readonly positions: Map<string, number>;
  /** Price used to fill market orders. */
  lastPrice: number;
}

const MINUTE = 60_000;
/** Open time of the first synthetic bar (2025-01-01T00:00Z). */
export const T0 = Date.UTC(2025, 0, 1);

/** A final 1m bar of `symbol` whose open is `T0 + i` minutes and whose close is `close`. */
export const bar = (i: number, close = 100, symbol = 'BTCUSDT'): Bar => ({
  provider: 'binance', symbol, interval: '1m', openTime: T0 + i * MINUTE, closeTime: T0 + (i + 1) * MINUTE - 1,
  open: close, high: close, low: close, close, volume: 1, vwap: close, tradeCount: 1, final: true, receivedAt: T0 + (i + 1) * MINUTE,
});

/** Recording fake of {@link StrategyHostServices}; `overrides` replace single methods. */
export const fakeServices = (overrides: Partial<StrategyHostServices> = {}): FakeServices => {
  const calls: Call[] = [];
  const marks: FakeServices['marks'] = [];
  const orders: OrderRequest[] = [];
  const positions = new Map<string, number>();
  let nextId = 1;
  const record = (method: keyof StrategyHostServices, args: readonly unknown[]): void => { calls.push({ method, args }); };
  const orderOf = (req: OrderRequest, id: string, status: Order['status']): Order => ({
    id, clientOrderId: req.clientOrderId ?? id, symbol: req.symbol, side: req.side, type: req.type, quantity: req.quantity,
    status, filledQuantity: status === 'filled' ? req.quantity : 0, averagePrice: status === 'filled' ? services.lastPrice : 0,
    createdAt: 0, updatedAt: 0,
  });
  const services: FakeServices = {
    calls, marks, orders, positions, lastPrice: 100,
    async getRange(...args) { record('getRange', args); return []; },
    async readLastData(...args) { record('readLastData', args); return bar(0, 42, args[0]); },
    async executeSQL(...args) { record('executeSQL', args); return [{ n: 7 }]; },
    async subscribeRealtime(...args) { record('subscribeRealtime', args); },
    async placeOrder(req) {
      record('placeOrder', [req]);
      orders.push(req);
      positions.set(req.symbol, (positions.get(req.symbol) ?? 0) + (req.side === 'buy' ? req.quantity : -req.quantity));
      return orderOf(req, `o${nextId++}`, 'filled');
    },
    async getPositions() {
      record('getPositions', []);
      return [...positions].filter(([, q]) => q !== 0).map(([symbol, quantity]): Position => ({
        symbol, quantity, averagePrice: services.lastPrice, realizedPnl: 0, unrealizedPnl: 0, lastPrice: services.lastPrice,
      }));
    },
    async cancelOrder(id) {
      record('cancelOrder', [id]);
      return orderOf({ symbol: 'BTCUSDT', side: 'buy', type: 'market', quantity: 0.5 }, id, 'cancelled');
    },
    async getAccountInfo() {
      record('getAccountInfo', []);
      return { currency: 'USDT', cash: 10_000, equity: 10_000, realizedPnl: 0, unrealizedPnl: 0, fees: 0 };
    },
    async getOpenOrders() { record('getOpenOrders', []); return []; },
    async getOrderStatus(id) {
      record('getOrderStatus', [id]);
      return orderOf({ symbol: 'BTCUSDT', side: 'buy', type: 'market', quantity: 0.5 }, id, 'filled');
    },
    async log(...args) { record('log', args); },
    async mark(name, value) { record('mark', [name, value]); marks.push({ name, value }); },
    ...overrides,
  };
  return services;
};

/** Values of the marks named `name`. */
export const marked = (services: FakeServices, name: string): unknown[] =>
  services.marks.filter((m) => m.name === name).map((m) => m.value);
