/** The bounds of a strategy's subscribeRealtime: allowed symbols, a stream cap, a call rate, one call all or nothing. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { StrategySubscriptions, type SubscriptionLimits } from '../../src/session/strategy-subscriptions.ts';

const LIMITS: SubscriptionLimits = {
  allowedSymbols: ['BTCUSDT', 'ETHUSDT', 'SOLUSDT', 'BNBUSDT'], sessionSymbols: ['BTCUSDT'], sessionInterval: '1m', maxStreams: 3, callsPerMinute: 100,
};

const make = (limits: Partial<SubscriptionLimits> = {}) => {
  let now = 0;
  const subs = new StrategySubscriptions({ ...LIMITS, ...limits }, () => now);
  return { subs, advance: (ms: number) => { now += ms; } };
};

describe('StrategySubscriptions', () => {
  it('allows a symbol the risk engine allows, in any case, on the session interval unless one is named', () => {
    const { subs } = make();
    expect(subs.check(['ethusdt'], undefined)).toEqual({ ok: true, symbols: ['ethusdt'], interval: '1m' });
    expect(subs.check(['ETHUSDT'], '1h')).toEqual({ ok: true, symbols: ['ETHUSDT'], interval: '1h' });
    expect(subs.added).toBe(2);
  });

  it('refuses a whole call naming a symbol outside risk.allowed_symbols, quoting what the strategy sent', () => {
    const { subs } = make();
    const d = subs.check(['ETHUSDT', 'DOGEUSDT', '\u001b[2J'], '1m');
    expect(d.ok).toBe(false);
    if (d.ok) return;
    expect(d.reason).toBe('symbol');
    expect(d.error.code).toBe('SUBSCRIPTION_REFUSED');
    expect(d.error.message).toBe('subscribeRealtime: DOGEUSDT, "\\u001b[2J" are not an allowed symbol (risk.allowed_symbols: BTCUSDT, ETHUSDT, SOLUSDT, BNBUSDT)');
    // Nothing of the refused call was reserved: ETHUSDT is still new.
    expect(subs.added).toBe(0);
    expect(subs.check(['ETHUSDT'], '1m')).toMatchObject({ ok: true, symbols: ['ETHUSDT'] });
  });

  it('counts neither the session\'s own streams nor a stream subscribed twice', () => {
    const { subs } = make();
    expect(subs.check(['BTCUSDT'], '1m')).toEqual({ ok: true, symbols: [], interval: '1m' });
    expect(subs.check(['ETHUSDT', 'ethusdt'], '1m')).toMatchObject({ ok: true, symbols: ['ETHUSDT'] });
    expect(subs.check(['ETHUSDT'], '1m')).toMatchObject({ ok: true, symbols: [] });
    expect(subs.added).toBe(1);
  });

  it('refuses the call that would pass strategy.max_subscriptions, and reserves streams of calls still in flight', () => {
    const { subs } = make();
    expect(subs.check(['ETHUSDT', 'SOLUSDT'], '1m').ok).toBe(true);
    // The first call's streams are not confirmed by the provider yet: a second call cannot slip past the cap.
    const d = subs.check(['BNBUSDT', 'BTCUSDT'], '1h');
    expect(d).toMatchObject({ ok: false, reason: 'streams' });
    if (!d.ok) expect(d.error.message).toBe('subscribeRealtime: 2 new streams would make 4, more than strategy.max_subscriptions 3');
    expect(subs.check(['BNBUSDT'], '1m').ok).toBe(true);
    expect(subs.check(['BNBUSDT'], '1h')).toMatchObject({ ok: false, reason: 'streams' });
  });

  it('gives back the streams of a call the provider failed to subscribe', () => {
    const { subs } = make({ maxStreams: 1 });
    expect(subs.check(['ETHUSDT'], '1m').ok).toBe(true);
    subs.release(['ETHUSDT'], '1m');
    expect(subs.added).toBe(0);
    expect(subs.check(['SOLUSDT'], '1m').ok).toBe(true);
  });

  it('refuses everything but the session\'s streams with max_subscriptions 0', () => {
    const { subs } = make({ maxStreams: 0 });
    expect(subs.check(['BTCUSDT'], '1m').ok).toBe(true);
    expect(subs.check(['ETHUSDT'], '1m')).toMatchObject({ ok: false, reason: 'streams' });
  });

  it('refuses calls over subscriptions_per_minute with RATE_LIMITED and allows them again as the minute passes', () => {
    const { subs, advance } = make({ callsPerMinute: 3 });
    for (let i = 0; i < 3; i++) expect(subs.check(['BTCUSDT'], '1m').ok).toBe(true);
    const d = subs.check(['ETHUSDT'], '1m');
    expect(d).toMatchObject({ ok: false, reason: 'rate' });
    if (!d.ok) expect(d.error.code).toBe('RATE_LIMITED');
    advance(20_000);
    expect(subs.check(['ETHUSDT'], '1m').ok).toBe(true);
    expect(subs.check(['SOLUSDT'], '1m')).toMatchObject({ ok: false, reason: 'rate' });
  });

  it('refuses malformed arguments with SUBSCRIPTION_REFUSED (reason invalid)', () => {
    const { subs } = make();
    for (const [symbols, interval] of [
      ['BTCUSDT', '1m'], [[], '1m'], [[42], '1m'], [[''], '1m'], [['ETHUSDT'], 'forever'], [['ETHUSDT'], 60], [['ETHUSDT'], { toString() { throw new Error('no'); } }], [Array(1_001).fill('ETHUSDT'), '1m'], [null, undefined],
    ] as const) {
      const d = subs.check(symbols, interval);
      expect(d).toMatchObject({ ok: false, reason: 'invalid' });
      if (!d.ok) expect(d.error.code).toBe('SUBSCRIPTION_REFUSED');
    }
    expect(subs.added).toBe(0);
  });

  it('never lets the strategy hold more streams than the cap, nor a symbol outside the allowed list, whatever it calls', () => {
    const symbol = fc.constantFrom('BTCUSDT', 'ethusdt', 'SOLUSDT', 'BNBUSDT', 'DOGEUSDT', 'XRPUSDT');
    const call = fc.record({ symbols: fc.array(symbol, { minLength: 1, maxLength: 4 }), interval: fc.constantFrom('1m', '5m', '1h'), fails: fc.boolean() });
    fc.assert(fc.property(fc.integer({ min: 0, max: 5 }), fc.array(call, { maxLength: 30 }), (maxStreams, calls) => {
      const { subs } = make({ maxStreams });
      const held = new Set<string>();
      for (const c of calls) {
        const d = subs.check(c.symbols, c.interval);
        if (!d.ok) continue;
        for (const s of d.symbols) expect(LIMITS.allowedSymbols).toContain(s.toUpperCase());
        if (c.fails) subs.release(d.symbols, d.interval);
        else for (const s of d.symbols) held.add(`${s.toUpperCase()}|${d.interval}`);
        expect(subs.added).toBe(held.size);
        expect(subs.added).toBeLessThanOrEqual(maxStreams);
      }
    }));
  });
});
