/**
 * The session's side of the risk engine: wraps the trading provider the session creates, carries the kill switch
 * and the day's starting equity over a resume (folded from the `risk:` rows of the event log), and serves
 * `session.kill()` / `session.risk` also before trading connects (a kill then trips the switch at connect).
 */
import type { TradingProvider } from '../trading/trading-provider.ts';
import type { RiskLimits } from './config.ts';
import { guardTradingProvider, type GuardedTradingProvider, type RiskControl, type RiskFact, type RiskStats } from './guarded-provider.ts';
import { initialRiskState, type KillSwitch } from './risk-state.ts';

/** A row of the session's event log, as far as resuming needs it (the log itself lives in src/session/). */
interface LoggedRow {
  readonly at: number;
  readonly type: string;
  readonly payload: Record<string, unknown>;
}

/** `session.risk`: the kill switch and the engine's figures. */
export type SessionRiskControl = Omit<RiskControl, 'onFact'>;

/** One session's risk engine, before and after its trading provider exists. */
export class SessionRisk implements SessionRiskControl {
  private readonly limits: RiskLimits;
  private readonly now: () => number;
  private readonly onFact: (fact: RiskFact) => void;
  private guard: GuardedTradingProvider | undefined;
  private kill0: KillSwitch = { status: 'armed' };
  private dayStart: { day: number; equity: number } | undefined;

  /** `onFact` receives every rejection, trip, sweep and reset (the session logs them as `risk:<type>`). */
  constructor(limits: RiskLimits, now: () => number, onFact: (fact: RiskFact) => void) {
    this.limits = limits;
    this.now = now;
    this.onFact = onFact;
  }

  /** Takes over the kill switch and the day start from an earlier run's event log. */
  resume(rows: readonly LoggedRow[]): void {
    for (const { type, payload: p } of rows) {
      if (type === 'risk:risk.killed') this.kill0 = { status: 'tripped', reason: String(p.reason), source: p.source === 'daily_loss' ? 'daily_loss' : 'manual', at: Number(p.at) };
      else if (type === 'risk:risk.reset') this.kill0 = { status: 'armed' };
      else if (type === 'risk:risk.day_started' && Number.isFinite(p.day) && Number.isFinite(p.equity)) this.dayStart = { day: Number(p.day), equity: Number(p.equity) };
    }
  }

  /** Puts the risk engine in front of `inner`. */
  wrap(inner: TradingProvider): GuardedTradingProvider {
    this.guard = guardTradingProvider(inner, {
      limits: this.limits, now: this.now, kill: this.kill0, ...(this.dayStart ? { dayStart: this.dayStart } : {}),
    });
    this.guard.risk.onFact(this.onFact);
    return this.guard;
  }

  async kill(reason = 'manual kill switch'): Promise<void> {
    if (this.guard) return this.guard.risk.kill(reason);
    if (this.kill0.status === 'tripped') return;
    this.kill0 = { status: 'tripped', reason, source: 'manual', at: this.now() };
    this.onFact({ type: 'risk.killed', reason, source: 'manual', at: this.kill0.at });
  }

  reset(): void {
    if (this.guard) return this.guard.risk.reset();
    if (this.kill0.status === 'armed') return;
    this.kill0 = { status: 'armed' };
    this.onFact({ type: 'risk.reset', at: this.now() });
  }

  whenSwept(): Promise<void> {
    return this.guard?.risk.whenSwept() ?? Promise.resolve();
  }

  stats(): RiskStats {
    if (this.guard) return this.guard.risk.stats();
    const k = this.kill0;
    return {
      killSwitch: k.status, ...(k.status === 'tripped' ? { killReason: k.reason } : {}), rejected: 0, rejectedBy: initialRiskState(this.limits).rejected,
      trips: 0, openOrders: 0, exposure: 0, dailyPnl: 0, dailyLossLimit: null,
    };
  }
}
