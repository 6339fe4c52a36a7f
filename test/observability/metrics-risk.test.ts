/** The risk engine's families in the Prometheus text: refusals by check, the kill switch, open orders, exposure, day P&L. */
import { describe, expect, it } from 'vitest';
import { renderMetrics } from '../../src/observability/index.ts';
import { RISK_CHECKS } from '../../src/risk/risk-state.ts';
import type { SessionStats } from '../../src/session/index.ts';

const base: SessionStats = {
  id: 's', state: 'running', connection: 'connected', barsReceived: 0, barsPerSecond: 0, lastBars: {},
  writer: { totalWrites: 0, bufferedWrites: 0, flushCount: 0, lastFlushTime: 0, averageFlushTime: 0, errorCount: 0, rejectedInvalid: 0, overflowCount: 0 },
  provider: null, positions: [], account: null, orders: { placed: 0, filled: 0, rejected: 0, cancelled: 0 }, strategy: null, eventsPending: 0,
};
const rejectedBy = { ...Object.fromEntries(RISK_CHECKS.map((c) => [c, 0])), symbol: 2, rate_second: 35 } as Record<(typeof RISK_CHECKS)[number], number>;

describe('risk metrics', () => {
  it('renders refusals by check and the kill switch state', async () => {
    const text = await renderMetrics({
      ...base,
      risk: { killSwitch: 'tripped', killReason: 'x', rejected: 37, rejectedBy, trips: 1, openOrders: 0, exposure: 1234.5, dailyPnl: -60, dailyLossLimit: 50 },
    });
    expect(text).toContain('# TYPE argo_risk_rejections_total counter');
    expect(text).toContain('argo_risk_rejections_total{session="s",check="symbol"} 2');
    expect(text).toContain('argo_risk_rejections_total{session="s",check="rate_second"} 35');
    expect(text).toContain('argo_risk_rejections_total{session="s",check="kill_switch"} 0');
    expect(text).toContain('argo_risk_kill_switch_tripped{session="s"} 1');
    expect(text).toContain('argo_risk_kill_switch_trips_total{session="s"} 1');
    expect(text).toContain('argo_risk_exposure{session="s"} 1234.5');
    expect(text).toContain('argo_risk_daily_pnl{session="s"} -60');
  });

  it('leaves the risk families out of a session without trading', async () => {
    expect(await renderMetrics(base)).not.toContain('argo_risk_');
  });
});
