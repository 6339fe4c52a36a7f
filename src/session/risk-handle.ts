/**
 * `session.risk` and `session.kill()` without the risk engine loaded: the engine (src/risk/session-risk.ts) is
 * imported when the session trades, when its event log holds risk rows, or on the first kill; a session that only
 * records never loads it. Until then nothing can have tripped the kill switch, so `reset()` has nothing to re-arm
 * and `stats()` is the armed switch with nothing refused.
 */
import type { RiskCheck } from '../risk/risk-state.ts';
import type { RiskStats } from '../risk/guarded-provider.ts';
import type { SessionRisk, SessionRiskControl } from '../risk/session-risk.ts';

/** A row of the session's event log, as far as the risk engine's resume reads it. */
type LoggedRow = Parameters<SessionRisk['resume']>[0][number];

// Typed against RiskCheck: a check added to the engine does not compile here until it is listed.
const NO_REJECTIONS: Readonly<Record<RiskCheck, number>> = {
  kill_switch: 0, invalid_order: 0, symbol: 0, order_quantity: 0, no_price: 0, price_band: 0, order_notional: 0,
  rate_second: 0, rate_minute: 0, open_orders: 0, position: 0, exposure: 0,
};

/** The session's handle on its risk engine, loaded on first need; see the module comment. */
export class RiskHandle implements SessionRiskControl {
  readonly #create: () => Promise<SessionRisk>;
  #risk: SessionRisk | undefined;
  #loading: Promise<SessionRisk> | undefined;
  #history: readonly LoggedRow[] | undefined;

  /** `create` imports and builds the engine (called at most once). */
  constructor(create: () => Promise<SessionRisk>) {
    this.#create = create;
  }

  /** The engine once loaded. */
  get loaded(): SessionRisk | undefined {
    return this.#risk;
  }

  /** Loads the engine (once), with the earlier run's risk rows applied. */
  load(): Promise<SessionRisk> {
    this.#loading ??= this.#create().then((risk) => {
      if (this.#history) risk.resume(this.#history);
      this.#risk = risk;
      return risk;
    });
    return this.#loading;
  }

  /** Takes the earlier run's event log; true when it holds risk rows (the engine must then be loaded to serve them). */
  resume(rows: readonly LoggedRow[]): boolean {
    this.#history = rows;
    this.#risk?.resume(rows);
    return rows.some((r) => r.type.startsWith('risk:'));
  }

  async kill(reason?: string): Promise<void> {
    return (await this.load()).kill(reason);
  }

  reset(): void {
    if (this.#risk) return this.#risk.reset();
    // A kill still loading the engine: re-armed after it, in the order asked (before trading, reset never throws).
    void this.#loading?.then((risk) => risk.reset());
  }

  whenSwept(): Promise<void> {
    return this.#risk?.whenSwept() ?? this.#loading?.then((risk) => risk.whenSwept()) ?? Promise.resolve();
  }

  stats(): RiskStats {
    return this.#risk?.stats() ?? {
      killSwitch: 'armed', rejected: 0, rejectedBy: NO_REJECTIONS, trips: 0, openOrders: 0, exposure: 0, dailyPnl: 0, dailyLossLimit: null,
    };
  }
}
