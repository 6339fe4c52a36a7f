/**
 * The session's view of its trading provider: order and fill counts from its updates, broker events into the
 * event log, and the last account and positions (read asynchronously, kept for the synchronous `stats()`).
 */
import type { TradingProvider } from '../trading/trading-provider.ts';
import type { SessionEvents, SessionSummary } from './types.ts';

/** What the hookup reports to. */
export interface TradingHookupDeps {
  /** Appends a session event. */
  readonly record: (type: string, event: Record<string, unknown>) => void;
  readonly emit: <K extends 'order' | 'fill'>(type: K, event: SessionEvents[K]) => void;
}

/** Counts a trading provider's orders and fills and keeps its last account snapshot. */
export class TradingHookup {
  readonly #deps: TradingHookupDeps;
  #trading: TradingProvider | undefined;
  /** Orders by outcome (an order the risk engine refused is rejected, never placed). */
  readonly orders = { placed: 0, filled: 0, rejected: 0, cancelled: 0 };
  fills = 0;
  account: SessionSummary['account'] = null;
  positions: SessionSummary['positions'] = [];

  constructor(deps: TradingHookupDeps) {
    this.#deps = deps;
  }

  /** The provider attached, if any. */
  get trading(): TradingProvider | undefined {
    return this.#trading;
  }

  /** Listens to a provider's broker events and order updates. */
  attach(trading: TradingProvider): void {
    this.#trading = trading;
    trading.onEvent?.((ev) => this.#deps.record(`broker:${ev.type}`, ev as Record<string, unknown>));
    trading.onOrderUpdate(({ order, fill }) => {
      if (fill) { this.fills++; this.#deps.emit('fill', fill); void this.snapshot(); }
      if (order.status === 'accepted' && !fill) this.orders.placed++;
      if (order.status === 'filled' && fill) this.orders.filled++;
      // An order the risk engine refused never reached the venue: rejected, not placed.
      if (order.status === 'rejected') { if (!order.rejectCode) this.orders.placed++; this.orders.rejected++; }
      if (order.status === 'cancelled') this.orders.cancelled++;
      this.#deps.emit('order', order);
    });
  }

  /** Refreshes the account and positions (a failed read keeps the previous ones). */
  async snapshot(): Promise<void> {
    const t = this.#trading;
    if (!t) return;
    this.account = await t.getAccountInfo().catch(() => this.account);
    this.positions = await t.getPositions().catch(() => this.positions);
  }
}
