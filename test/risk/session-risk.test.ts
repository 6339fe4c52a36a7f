/** The session's side of the risk engine: a kill before trading connects, and the kill switch and day taken over from a log. */
import { describe, expect, it } from 'vitest';
import { defaultRiskLimits } from '../../src/risk/config.ts';
import type { RiskFact } from '../../src/risk/guarded-provider.ts';
import { SessionRisk } from '../../src/risk/session-risk.ts';
import { createPaperTradingProvider } from '../../src/trading/paper/paper-provider.ts';
import { flat } from '../trading/paper-helpers.ts';

const T = Date.UTC(2026, 11, 3, 12);
const DAY = Math.floor(T / 86_400_000);
const row = (type: string, payload: Record<string, unknown>) => ({ seq: 0, at: T, type, payload });

describe('SessionRisk', () => {
  it('logs a kill made before trading connected and connects tripped', async () => {
    const facts: RiskFact[] = [];
    const risk = new SessionRisk(defaultRiskLimits(['BTCUSDT']), () => T, (f) => facts.push(f));
    await risk.kill('before start');
    expect(facts).toEqual([{ type: 'risk.killed', reason: 'before start', source: 'manual', at: T }]);
    expect(risk.stats()).toMatchObject({ killSwitch: 'tripped', killReason: 'before start', rejected: 0 });
    const guarded = risk.wrap(createPaperTradingProvider());
    await guarded.connect();
    guarded.onMarketData(flat('BTCUSDT', 0, 100));
    expect((await guarded.placeOrder({ symbol: 'BTCUSDT', side: 'buy', type: 'market', quantity: 1 })).rejectCode).toBe('KILL_SWITCH_ACTIVE');
  });

  it('resumes the last kill or reset of a log, and the day\'s starting equity of the same day', async () => {
    const facts: RiskFact[] = [];
    const risk = new SessionRisk({ ...defaultRiskLimits(['BTCUSDT']), maxDailyLoss: 100, maxDailyLossPct: null }, () => T, (f) => facts.push(f));
    risk.resume([
      row('risk:risk.killed', { reason: 'first', source: 'manual', at: T - 10 }),
      row('risk:risk.reset', { at: T - 5 }),
      row('risk:risk.day_started', { day: DAY, equity: 100_200 }),
    ]);
    expect(risk.stats().killSwitch).toBe('armed');
    // The paper account starts at 100,000: 200 below the day's logged start, past the 100 limit.
    await risk.wrap(createPaperTradingProvider()).connect();
    expect(risk.stats()).toMatchObject({ killSwitch: 'tripped', dailyPnl: -200, killReason: expect.stringContaining('daily loss 200') });
    await risk.whenSwept();
    expect(facts.map((f) => f.type)).toEqual(['risk.day_started', 'risk.killed', 'risk.swept']);
    expect(facts[0]).toMatchObject({ day: DAY, equity: 100_200 });
  });

  it('re-arms on reset before trading connected, and says so once', () => {
    const facts: RiskFact[] = [];
    const risk = new SessionRisk(defaultRiskLimits(['BTCUSDT']), () => T, (f) => facts.push(f));
    risk.resume([row('risk:risk.killed', { reason: 'old', source: 'daily_loss', at: T - 1 })]);
    expect(risk.stats().killSwitch).toBe('tripped');
    risk.reset();
    risk.reset();
    expect(risk.stats().killSwitch).toBe('armed');
    expect(facts).toEqual([{ type: 'risk.reset', at: T }]);
  });
});
