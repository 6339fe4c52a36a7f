/**
 * The same risk engine in front of the other venues, each against its simulator on loopback: `binance-paper`
 * (the Binance simulator's signed REST API) and `ibkr-paper` (the TWS simulator's socket protocol). Refused orders
 * never reach the venue; passed ones do; a kill cancels the order resting at the venue.
 */
import { describe, expect, it } from 'vitest';
import { defaultRiskLimits } from '../../src/risk/config.ts';
import { guardTradingProvider } from '../../src/risk/guarded-provider.ts';
import type { TradingProvider } from '../../src/trading/trading-provider.ts';
import { bar } from '../trading/paper-helpers.ts';
import { useVenues } from '../trading/binance/helpers.ts';
import { eventually, provider, simulator } from '../trading/ibkr/helpers.ts';

const venues = useVenues();

/** Refuses a symbol, a size and a flood, passes one market order and rests one limit order, then kills. */
const exercise = async (inner: TradingProvider, symbol: string, price: number, quantity: number) => {
  // A clock that stands still: the per-second limit must not depend on how fast the venue answers.
  const at = Date.now();
  const guarded = guardTradingProvider(inner, { limits: defaultRiskLimits([symbol]), now: () => at });
  await guarded.connect();
  guarded.onMarketData(bar(symbol, Math.floor(at / 60_000) - 1, { open: price, high: price, low: price, close: price }));
  const unknown = await guarded.placeOrder({ symbol: 'NOTAREALSYMBOL', side: 'buy', type: 'market', quantity });
  const dust = await guarded.placeOrder({ symbol, side: 'buy', type: 'limit', quantity: 1e9, price: 1e-9 });
  const resting = await guarded.placeOrder({ symbol, side: 'buy', type: 'limit', quantity, price: Math.round(price * 0.97) });
  const market = await guarded.placeOrder({ symbol, side: 'buy', type: 'market', quantity });
  const flood = await Promise.all(Array.from({ length: 10 }, () => guarded.placeOrder({ symbol, side: 'buy', type: 'market', quantity })));
  return { guarded, unknown, dust, resting, market, flood };
};

describe('the risk engine in front of the other venues', () => {
  it('guards binance-paper: the simulator receives only the orders the engine passed, and the kill cancels at the venue', async () => {
    const { sim, provider: inner } = await venues.start();
    const ticker = await (await fetch(`${sim.restUrl}/api/v3/ticker/price?symbol=BTCUSDT`)).json() as { price: string };
    const r = await exercise(inner, 'BTCUSDT', Number(ticker.price), 0.001);
    expect([r.unknown.rejectCode, r.dust.rejectCode]).toEqual(['RISK_REJECTED', 'RISK_REJECTED']);
    expect(r.resting.status).toBe('accepted');
    expect(r.flood.filter((o) => o.rejectCode === 'RISK_REJECTED')).toHaveLength(7);
    // Resting, market, and the 3 of the flood the per-second limit let through.
    expect(sim.orders()).toHaveLength(5);
    expect(sim.orders().some((o) => o.symbol === 'NOTAREALSYMBOL')).toBe(false);
    await r.guarded.risk.kill('test');
    expect(sim.orders().find((o) => o.clientOrderId === r.resting.clientOrderId)?.status).toBe('CANCELED');
    expect((await r.guarded.placeOrder({ symbol: 'BTCUSDT', side: 'buy', type: 'market', quantity: 0.001 })).rejectCode).toBe('KILL_SWITCH_ACTIVE');
    expect(sim.orders()).toHaveLength(5);
  });

  it('guards ibkr-paper: TWS receives only the orders the engine passed, and the kill cancels at the venue', async () => {
    const sim = await simulator();
    const { provider: inner } = provider(sim);
    const r = await exercise(inner, 'AAPL', 100, 1);
    expect([r.unknown.rejectCode, r.dust.rejectCode]).toEqual(['RISK_REJECTED', 'RISK_REJECTED']);
    expect(r.flood.filter((o) => o.rejectCode === 'RISK_REJECTED')).toHaveLength(7);
    expect(sim.orders()).toHaveLength(5);
    await r.guarded.risk.kill('test');
    await eventually(() => sim.orders().find((o) => String(o.orderId) === r.resting.id)?.status === 'Cancelled', 'the cancel at TWS');
    expect(r.guarded.risk.stats()).toMatchObject({ killSwitch: 'tripped', openOrders: 0 });
  });
});
