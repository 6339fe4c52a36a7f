/**
 * The risk engine in front of a trading provider: `guardTradingProvider(inner, options)` returns a provider with
 * the same interface whose `placeOrder` runs the pre-trade checks first (a refused order resolves `rejected`
 * with `rejectCode` RISK_REJECTED or KILL_SWITCH_ACTIVE and never reaches the venue), and whose bars, order
 * updates and fills feed the risk state. When the kill switch trips (daily loss limit, `kill()`), every open
 * order is cancelled and, with `flatten_on_kill`, every position is closed with market orders.
 */
import type { Bar } from '../domain/bar.ts';
import { describe, realtimeError, type ErrorCode } from '../errors.ts';
import type { Unlisten } from '../providers/realtime-provider.ts';
import type { OrderUpdate, TradingProvider } from '../trading/trading-provider.ts';
import type { Order, OrderRequest } from '../trading/types.ts';
import type { RiskLimits } from './config.ts';
import { checkOrder, totalExposure, type RiskVerdict } from './risk-engine.ts';
import { applyRisk, dailyLossLimit, dailyPnl, initialRiskState, RISK_CHECKS, type KillSwitch, type RiskCheck, type RiskInput, type RiskState } from './risk-state.ts';

/** What the risk engine reports, for the session event log (`risk:<type>`). */
export type RiskFact =
  /** An order refused before the venue: the check, its error code, why, and the request as sent. */
  | { readonly type: 'risk.rejected'; readonly check: RiskCheck; readonly code: ErrorCode; readonly reason: string; readonly orderId: string; readonly request: Record<string, unknown>; readonly at: number }
  /** The kill switch tripped: by the daily loss limit or by an operator (`kill()`, SIGUSR2). */
  | { readonly type: 'risk.killed'; readonly reason: string; readonly source: 'manual' | 'daily_loss'; readonly at: number }
  /** What a trip did: open orders cancelled, flattening market orders sent, and what failed. */
  | { readonly type: 'risk.swept'; readonly cancelled: readonly string[]; readonly flattened: readonly string[]; readonly failed: readonly { readonly target: string; readonly message: string }[]; readonly at: number }
  /** The kill switch was re-armed. */
  | { readonly type: 'risk.reset'; readonly at: number }
  /** A UTC day began (or the engine started): the daily loss counts from this equity; a resume continues it. */
  | { readonly type: 'risk.day_started'; readonly day: number; readonly equity: number; readonly at: number };

/** Live figures of the risk engine (in `stats().risk` and the metrics). */
export interface RiskStats {
  readonly killSwitch: KillSwitch['status'];
  readonly killReason?: string;
  readonly rejected: number;
  readonly rejectedBy: Readonly<Record<RiskCheck, number>>;
  readonly trips: number;
  readonly openOrders: number;
  /** Worst-case value of all positions, working orders counted as filled. */
  readonly exposure: number;
  readonly dailyPnl: number;
  readonly dailyLossLimit: number | null;
}

/** The operator's handle on the risk engine. */
export interface RiskControl {
  /** Trips the kill switch (if armed), cancels every open order, flattens when configured; resolves after the sweep. */
  kill(reason?: string): Promise<void>;
  /** Re-arms the kill switch; throws KILL_SWITCH_ACTIVE while the daily loss limit is still breached. */
  reset(): void;
  /** Resolves once the sweep a trip started (cancels, flatten orders) is over; at once when none runs. */
  whenSwept(): Promise<void>;
  stats(): RiskStats;
  /** Registers a listener for every {@link RiskFact}. */
  onFact(callback: (fact: RiskFact) => void): Unlisten;
}

/** A trading provider behind the risk engine. */
export interface GuardedTradingProvider extends TradingProvider {
  onMarketData(bar: Bar): void;
  readonly risk: RiskControl;
}

/** How to guard a provider. */
export interface GuardOptions {
  readonly limits: RiskLimits;
  /** Clock of rate windows, days and fact times (ms); `Date.now` by default. */
  readonly now?: () => number;
  /** The kill switch as a resumed session left it. */
  readonly kill?: KillSwitch;
  /** The day start a resumed session logged, so today's loss keeps counting from it. */
  readonly dayStart?: { readonly day: number; readonly equity: number };
}

const MAX_REMEMBERED = 1_000;

const MAX_TEXT = 200;
const clip = (text: string): string => (text.length > MAX_TEXT ? `${text.slice(0, MAX_TEXT)}…` : text);

// The request as the log keeps it: known fields only, text clipped (a refused order may be junk of any size).
const plainRequest = (request: unknown): Record<string, unknown> => {
  if (typeof request !== 'object' || request === null) return { value: clip(String(request)) };
  const keys = ['symbol', 'side', 'type', 'quantity', 'price', 'stopPrice', 'clientOrderId', 'reason'] as const;
  return Object.fromEntries(keys.flatMap((k): [string, unknown][] => {
    const v = (request as Record<string, unknown>)[k];
    if (v === undefined) return [];
    if (typeof v === 'number') return [[k, Number.isFinite(v) ? v : String(v)]];
    return [[k, typeof v === 'boolean' ? v : clip(String(v))]];
  }));
};

/** Wraps `inner` with the pre-trade checks and the kill switch. */
export const guardTradingProvider = (inner: TradingProvider, options: GuardOptions): GuardedTradingProvider => {
  const now = options.now ?? Date.now;
  let state: RiskState = initialRiskState(options.limits, options.kill);
  const updateListeners = new Set<(u: OrderUpdate) => void>();
  const factListeners = new Set<(f: RiskFact) => void>();
  const refused = new Map<string, Order>();
  const flattenIds = new Set<string>();
  // Ids a sweep already cancelled: an order answered late and swept meanwhile is not cancelled (or reported) twice.
  const cancelledIds = new Set<string>();
  let seq = 0;
  let sweeping: Promise<void> | undefined;

  const emitFact = (fact: RiskFact) => { for (const l of [...factListeners]) l(fact); };
  const notify = (u: OrderUpdate) => { for (const l of [...updateListeners]) l(u); };

  const apply = (input: RiskInput): void => {
    const before = state;
    state = applyRisk(state, input);
    if (state.day !== before.day && state.day !== null) emitFact({ type: 'risk.day_started', day: state.day, equity: state.dayStartEquity, at: now() });
    if (before.kill.status === 'armed' && state.kill.status === 'tripped') {
      emitFact({ type: 'risk.killed', reason: state.kill.reason, source: state.kill.source, at: state.kill.at });
      void sweep();
    }
  };

  const cancel = async (id: string, cancelled: string[], failed: { target: string; message: string }[]) => {
    if (cancelledIds.has(id)) return;
    cancelledIds.add(id);
    try {
      const order = await inner.cancelOrder(id);
      apply({ type: 'updated', order });
      cancelled.push(id);
    } catch (e) {
      cancelledIds.delete(id);
      failed.push({ target: id, message: describe(e) });
    }
  };

  // Sends an order the engine has passed (or one it places itself, a flatten) and tracks it as working.
  const send = async (request: OrderRequest): Promise<Order> => {
    const key = `pending-${++seq}`;
    apply({ type: 'submitted', key, request, at: now() });
    let order: Order;
    try {
      order = await inner.placeOrder(request);
    } catch (e) {
      apply({ type: 'dropped', key });
      throw e;
    }
    apply({ type: 'placed', key, order });
    return order;
  };

  const flatten = async (flattened: string[], failed: { target: string; message: string }[]) => {
    const positions = await inner.getPositions().catch(() => Object.entries(state.books).map(([symbol, b]) => ({ symbol, quantity: b.quantity })));
    for (const p of positions) {
      if (p.quantity === 0) continue;
      try {
        const order = await send({ symbol: p.symbol, side: p.quantity > 0 ? 'sell' : 'buy', type: 'market', quantity: Math.abs(p.quantity), reason: 'kill switch: flatten' });
        flattenIds.add(order.id);
        flattened.push(order.id);
      } catch (e) {
        failed.push({ target: p.symbol, message: describe(e) });
      }
    }
  };

  const sweep = (): Promise<void> => (sweeping ??= (async () => {
    const cancelled: string[] = [];
    const flattened: string[] = [];
    const failed: { target: string; message: string }[] = [];
    const venueOpen = await inner.getOpenOrders().catch(() => [] as Order[]);
    const ids = new Set([...Object.keys(state.working).filter((k) => !k.startsWith('pending-')), ...venueOpen.map((o) => o.id)]);
    // All at once: on a live venue each cancel is a round trip, and a kill must not wait for them in turn.
    await Promise.all([...ids].filter((id) => !flattenIds.has(id)).map((id) => cancel(id, cancelled, failed)));
    if (options.limits.flattenOnKill) await flatten(flattened, failed);
    emitFact({ type: 'risk.swept', cancelled, flattened, failed, at: now() });
  })().finally(() => { sweeping = undefined; }));

  const reject = (request: OrderRequest, verdict: Extract<RiskVerdict, { ok: false }>): Order => {
    const at = now();
    const id = `risk-rejected-${++seq}`;
    const r = request as Partial<OrderRequest> | null;
    const order: Order = {
      id, clientOrderId: typeof r?.clientOrderId === 'string' ? clip(r.clientOrderId) : id, symbol: clip(String(r?.symbol ?? '')),
      side: r?.side === 'sell' ? 'sell' : 'buy', type: r?.type === 'limit' || r?.type === 'stop' ? r.type : 'market',
      quantity: typeof r?.quantity === 'number' ? r.quantity : NaN,
      ...(typeof r?.price === 'number' ? { price: r.price } : {}), ...(typeof r?.stopPrice === 'number' ? { stopPrice: r.stopPrice } : {}),
      status: 'rejected', filledQuantity: 0, averagePrice: 0, createdAt: at, updatedAt: at,
      rejectReason: `${verdict.code} (${verdict.check}): ${verdict.reason}`, rejectCode: verdict.code,
    };
    refused.set(id, order);
    if (refused.size > MAX_REMEMBERED) refused.delete(refused.keys().next().value!);
    apply({ type: 'rejected', check: verdict.check });
    emitFact({ type: 'risk.rejected', check: verdict.check, code: verdict.code, reason: verdict.reason, orderId: id, request: plainRequest(request), at });
    notify({ order });
    return order;
  };

  inner.onOrderUpdate((update) => {
    apply({ type: 'updated', order: update.order });
    if (update.fill) apply({ type: 'filled', fill: update.fill });
    notify(update);
  });

  const risk: RiskControl = {
    async kill(reason = 'manual kill switch') {
      apply({ type: 'kill', reason, source: 'manual', at: now() });
      // Already tripped: sweep again, so that a second kill still leaves no open order.
      await (sweeping ?? sweep());
    },
    reset() {
      if (state.kill.status === 'armed') return;
      apply({ type: 'reset', at: now() });
      if (state.kill.status === 'tripped') {
        throw realtimeError('KILL_SWITCH_ACTIVE', `the kill switch stays tripped: the daily loss ${-dailyPnl(state)} is still at or past the limit ${dailyLossLimit(state)}`, { loss: -dailyPnl(state), limit: dailyLossLimit(state) });
      }
      emitFact({ type: 'risk.reset', at: now() });
    },
    whenSwept: async () => { while (sweeping) await sweeping; },
    stats: () => ({
      killSwitch: state.kill.status,
      ...(state.kill.status === 'tripped' ? { killReason: state.kill.reason } : {}),
      rejected: RISK_CHECKS.reduce((n, c) => n + state.rejected[c], 0),
      rejectedBy: state.rejected,
      trips: state.trips,
      openOrders: Object.keys(state.working).length,
      exposure: totalExposure(state),
      dailyPnl: dailyPnl(state),
      dailyLossLimit: dailyLossLimit(state),
    }),
    onFact(callback) {
      factListeners.add(callback);
      return () => factListeners.delete(callback);
    },
  };

  const guarded: GuardedTradingProvider = {
    name: inner.name,
    risk,
    async connect(signal?: AbortSignal) {
      await inner.connect(signal);
      const [positions, openOrders, account] = await Promise.all([
        inner.getPositions().catch(() => []), inner.getOpenOrders().catch(() => []), inner.getAccountInfo().catch(() => undefined),
      ]);
      const equity = account && Number.isFinite(account.equity) ? account.equity : null;
      apply({ type: 'synced', positions, openOrders, equity, at: now(), ...(options.dayStart ? { dayStart: options.dayStart } : {}) });
      if (state.kill.status === 'tripped' && Object.keys(state.working).length > 0) await sweep();
    },
    disconnect: () => inner.disconnect(),
    isConnected: () => inner.isConnected(),
    async placeOrder(request: OrderRequest) {
      // Not connected: the venue's own error (CONNECTION_FAILED) says it best.
      if (!inner.isConnected()) return inner.placeOrder(request);
      const verdict = checkOrder(state, request, now());
      if (!verdict.ok) return reject(request, verdict);
      const order = await send(request);
      // Sent before the switch tripped and answered after the sweep: cancel it now.
      if (state.kill.status === 'tripped' && Object.hasOwn(state.working, order.id)) {
        const cancelled: string[] = [];
        const failed: { target: string; message: string }[] = [];
        await cancel(order.id, cancelled, failed);
        if (cancelled.length + failed.length > 0) emitFact({ type: 'risk.swept', cancelled, flattened: [], failed, at: now() });
        return (await inner.getOrderStatus(order.id).catch(() => undefined)) ?? order;
      }
      return order;
    },
    cancelOrder: (id) => inner.cancelOrder(id),
    async getOrderStatus(id) {
      return refused.get(id) ?? inner.getOrderStatus(id);
    },
    getOpenOrders: () => inner.getOpenOrders(),
    getPositions: () => inner.getPositions(),
    getAccountInfo: () => inner.getAccountInfo(),
    getTrades: () => inner.getTrades(),
    onOrderUpdate(callback) {
      updateListeners.add(callback);
      return () => updateListeners.delete(callback);
    },
    onMarketData(bar: Bar) {
      if (bar.final) apply({ type: 'bar', symbol: bar.symbol, close: bar.close, at: now() });
      inner.onMarketData?.(bar);
    },
  };
  if (inner.onEvent) guarded.onEvent = inner.onEvent.bind(inner);
  return guarded;
};
