/**
 * Property tests of the risk engine in front of the real paper broker: for any sequence of orders (alone and in
 * concurrent bursts), cancels, bars, clock moves, kills and resets, every limit holds at the venue, the engine's
 * count of open orders matches the venue's, the kill switch leaves no open order and nothing passes after a trip;
 * and for any walk of prices the daily loss limit trips exactly when the venue's loss reaches it, not later or sooner.
 */
import { describe, expect } from 'vitest';
import { fc, test } from '@fast-check/vitest';
import type { RiskLimits } from '../../src/risk/config.ts';
import { guardTradingProvider } from '../../src/risk/guarded-provider.ts';
import { accountInfoOf } from '../../src/trading/paper/account.ts';
import { createPaperTradingProvider, type PaperTradingProvider } from '../../src/trading/paper/paper-provider.ts';
import type { OrderRequest } from '../../src/trading/types.ts';
import { bar } from '../trading/paper-helpers.ts';

// Each limit on or off, so that every check is the deciding one in some runs.
const limits: fc.Arbitrary<RiskLimits> = fc.record({
  allowedSymbols: fc.constant(['AAA', 'BBB']),
  maxOrderQuantity: fc.constantFrom(null, 10),
  maxOrderNotional: fc.constantFrom(null, 1_000),
  maxPositionNotional: fc.constantFrom(null, 2_000),
  maxTotalExposure: fc.constantFrom(null, 3_000),
  maxOpenOrders: fc.constantFrom(null, 3),
  maxOrdersPerSecond: fc.constantFrom(null, 3),
  maxOrdersPerMinute: fc.constantFrom(null, 6),
  priceBandPct: fc.constantFrom(null, 5),
  maxDailyLoss: fc.constantFrom(null, 150),
  maxDailyLossPct: fc.constant(null),
  flattenOnKill: fc.constant(false),
});
const T0 = Date.UTC(2026, 11, 3, 1);

const request = fc.record({
  symbol: fc.constantFrom('AAA', 'AAA', 'AAA', 'BBB', 'BBB', 'ZZZ'),
  side: fc.constantFrom('buy' as const, 'sell' as const),
  type: fc.constantFrom('market' as const, 'limit' as const, 'stop' as const),
  quantity: fc.oneof({ weight: 9, arbitrary: fc.constantFrom(1, 3, 5, 8, 12, 20) }, { weight: 1, arbitrary: fc.constantFrom(1e9, NaN, -1) }),
  offset: fc.integer({ min: -8, max: 8 }),
});
type Req = typeof request extends fc.Arbitrary<infer R> ? R : never;
// Mostly calm prices (limit orders rest), sometimes a crash or a spike (the daily loss limit trips).
const price = fc.oneof({ weight: 6, arbitrary: fc.integer({ min: 95, max: 105 }) }, { weight: 1, arbitrary: fc.integer({ min: 50, max: 150 }) });
const op = fc.oneof(
  { weight: 8, arbitrary: fc.record({ kind: fc.constant('bar' as const), symbol: fc.constantFrom('AAA', 'BBB', 'ZZZ'), open: price, close: price }) },
  { weight: 12, arbitrary: fc.record({ kind: fc.constant('place' as const), req: request }) },
  { weight: 4, arbitrary: fc.record({ kind: fc.constant('burst' as const), reqs: fc.array(request, { minLength: 2, maxLength: 6 }), kill: fc.boolean() }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('cancel' as const), pick: fc.nat() }) },
  { weight: 5, arbitrary: fc.record({ kind: fc.constant('advance' as const), ms: fc.constantFrom(0, 200, 1_000, 1_000, 1_000, 5_000, 30_000, 61_000) }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'kill' as const }) },
  { weight: 2, arbitrary: fc.constant({ kind: 'reset' as const }) },
);

const toRequest = (r: Req, marks: Map<string, number>): OrderRequest => {
  const mark = marks.get(r.symbol) ?? 100;
  const price = Math.max(1, mark * (1 + r.offset / 100));
  return { symbol: r.symbol, side: r.side, type: r.type, quantity: r.quantity, ...(r.type === 'limit' ? { price } : r.type === 'stop' ? { stopPrice: price } : {}) };
};

/** Worst-case exposure at the venue: positions plus every open order on each side counted as filled, at the marks. */
const venueExposure = (paper: PaperTradingProvider, marks: Map<string, number>): Map<string, number> => {
  const a = paper.account();
  const out = new Map<string, number>();
  for (const symbol of new Set([...Object.keys(a.positions), ...a.openOrderIds.map((id) => a.orders[id]!.context.request.symbol)])) {
    const q = a.positions[symbol]?.quantity ?? 0;
    let long = q;
    let short = q;
    for (const id of a.openOrderIds) {
      const o = a.orders[id]!;
      if (o.context.request.symbol !== symbol) continue;
      const rest = o.context.request.quantity - o.context.filledQuantity;
      if (o.context.request.side === 'buy') long += rest;
      else short -= rest;
    }
    out.set(symbol, Math.max(Math.abs(long), Math.abs(short)) * (marks.get(symbol) ?? 0));
  }
  return out;
};
const sum = (m: Map<string, number>) => [...m.values()].reduce((a, b) => a + b, 0);

describe('the guarded paper broker', () => {
  test.prop([fc.array(op, { minLength: 5, maxLength: 100 }), limits, fc.constantFrom('next_open' as const, 'close' as const), fc.boolean()], { numRuns: 300 })(
    'never exceeds a limit, keeps its open-order count equal to the venue\'s, and leaves no open order after a kill',
    async (ops, LIMITS, fillOn, slowVenue) => {
      let t = T0;
      const paper = createPaperTradingProvider({ config: { feeRate: 0.001, fillOn }, now: () => t });
      // A venue that answers a macrotask later: orders are still in flight when a kill sweeps.
      const venue = slowVenue ? { ...paper, placeOrder: async (r: OrderRequest) => { await new Promise((x) => setImmediate(x)); return paper.placeOrder(r); } } : paper;
      const guarded = guardTradingProvider(venue, { limits: LIMITS, now: () => t });
      await guarded.connect();
      const marks = new Map<string, number>();
      const markAt = new Map<string, { mark: number | undefined; armed: boolean }>();
      const startEquity = accountInfoOf(paper.account()).equity;
      let index = 0;
      const place = (r: Req) => guarded.placeOrder(toRequest(r, marks));
      for (const symbol of ['AAA', 'BBB']) {
        guarded.onMarketData(bar(symbol, index++, { open: 100, high: 100, low: 100, close: 100 }));
        marks.set(symbol, 100);
      }

      for (const o of ops) {
        const armedBefore = guarded.risk.stats().killSwitch === 'armed';
        const known = new Set(Object.keys(paper.account().orders));
        const before = venueExposure(paper, marks);
        if (o.kind === 'bar') {
          guarded.onMarketData(bar(o.symbol, index++, { open: o.open, high: Math.max(o.open, o.close), low: Math.min(o.open, o.close), close: o.close }));
          marks.set(o.symbol, o.close);
        } else if (o.kind === 'place') {
          await place(o.req);
        } else if (o.kind === 'burst') {
          const all = Promise.all(o.reqs.map(place));
          if (o.kill) await guarded.risk.kill('burst kill');
          await all;
        } else if (o.kind === 'cancel') {
          const open = await paper.getOpenOrders();
          if (open.length > 0) await guarded.cancelOrder(open[o.pick % open.length]!.id);
        } else if (o.kind === 'advance') t += o.ms;
        else if (o.kind === 'kill') await guarded.risk.kill();
        else {
          try { guarded.risk.reset(); } catch (e) { expect((e as { code: string }).code).toBe('KILL_SWITCH_ACTIVE'); }
        }

        // A loss-limit trip sweeps asynchronously.
        await guarded.risk.whenSwept();
        const account = paper.account();
        const created = Object.keys(account.orders).filter((id) => !known.has(id));
        for (const id of created) markAt.set(id, { mark: marks.get(account.orders[id]!.context.request.symbol), armed: armedBefore });
        // Nothing reaches the venue once the switch is tripped (a burst's orders were sent before its kill).
        if (!armedBefore) expect(created).toEqual([]);
        for (const id of created) {
          const { request: r } = account.orders[id]!.context;
          const mark = markAt.get(id)!.mark!;
          expect(LIMITS.allowedSymbols).toContain(r.symbol);
          expect(r.quantity).toBeGreaterThan(0);
          expect(mark).toBeDefined();
          if (LIMITS.maxOrderQuantity !== null) expect(r.quantity).toBeLessThanOrEqual(LIMITS.maxOrderQuantity);
          if (LIMITS.maxOrderNotional !== null) expect(r.quantity * Math.max(mark, r.price ?? 0, r.stopPrice ?? 0)).toBeLessThanOrEqual(LIMITS.maxOrderNotional + 1e-9);
          if (r.type === 'limit' && LIMITS.priceBandPct !== null) expect(Math.abs(r.price! - mark) / mark * 100).toBeLessThanOrEqual(LIMITS.priceBandPct + 1e-9);
        }
        const times = Object.values(account.orders).map((x) => x.context.createdAt);
        for (const at of times) {
          if (LIMITS.maxOrdersPerSecond !== null) expect(times.filter((u) => u > at - 1_000 && u <= at).length).toBeLessThanOrEqual(LIMITS.maxOrdersPerSecond);
          if (LIMITS.maxOrdersPerMinute !== null) expect(times.filter((u) => u > at - 60_000 && u <= at).length).toBeLessThanOrEqual(LIMITS.maxOrdersPerMinute);
        }
        if (LIMITS.maxOpenOrders !== null) expect(account.openOrderIds.length).toBeLessThanOrEqual(LIMITS.maxOpenOrders);
        expect(guarded.risk.stats().openOrders).toBe(account.openOrderIds.length);
        if (o.kind === 'place' && created.length === 1) {
          // An accepted order keeps every exposure within its limit, or does not raise it (it reduces a position).
          const after = venueExposure(paper, marks);
          const symbol = account.orders[created[0]!]!.context.request.symbol;
          const [b, a] = [before.get(symbol) ?? 0, after.get(symbol) ?? 0];
          if (a > b + 1e-9) {
            if (LIMITS.maxPositionNotional !== null) expect(a).toBeLessThanOrEqual(LIMITS.maxPositionNotional + 1e-6);
            if (LIMITS.maxTotalExposure !== null) expect(sum(after)).toBeLessThanOrEqual(LIMITS.maxTotalExposure + 1e-6);
          }
        }
        if (o.kind === 'kill' || (o.kind === 'burst' && o.kill)) expect(account.openOrderIds).toEqual([]);
        // Armed means the day's loss has not reached the limit, measured on the venue's own equity.
        if (guarded.risk.stats().killSwitch === 'armed') {
          if (LIMITS.maxDailyLoss !== null) expect(accountInfoOf(account).equity - startEquity).toBeGreaterThan(-LIMITS.maxDailyLoss - 1e-6);
        } else expect(account.openOrderIds).toEqual([]);
      }
    },
  );

  test.prop([fc.array(fc.oneof(op.filter((o) => o.kind === 'bar' || o.kind === 'place' || o.kind === 'advance')), { minLength: 5, maxLength: 60 }), fc.constantFrom('next_open' as const, 'close' as const)], { numRuns: 100 })(
    'with flatten_on_kill, a kill sends exactly one closing market order per position and leaves the account flat',
    async (ops, fillOn) => {
      let t = T0;
      const paper = createPaperTradingProvider({ config: { feeRate: 0.001, fillOn }, now: () => t });
      const LIMITS: RiskLimits = {
        allowedSymbols: ['AAA', 'BBB'], maxOrderQuantity: null, maxOrderNotional: null, maxPositionNotional: 5_000, maxTotalExposure: null,
        maxOpenOrders: null, maxOrdersPerSecond: null, maxOrdersPerMinute: null, priceBandPct: 5, maxDailyLoss: null, maxDailyLossPct: null, flattenOnKill: true,
      };
      const guarded = guardTradingProvider(paper, { limits: LIMITS, now: () => t });
      await guarded.connect();
      const marks = new Map<string, number>();
      let index = 0;
      for (const o of ops) {
        if (o.kind === 'bar') {
          guarded.onMarketData(bar(o.symbol, index++, { open: o.open, high: Math.max(o.open, o.close), low: Math.min(o.open, o.close), close: o.close }));
          marks.set(o.symbol, o.close);
        } else if (o.kind === 'place') await guarded.placeOrder(toRequest(o.req, marks));
        else if (o.kind === 'advance') t += o.ms;
      }
      const positions = await paper.getPositions();
      const known = new Set(Object.keys(paper.account().orders));
      await guarded.risk.kill('flatten');
      // The only orders sent by the kill close each position in full, at market; nothing else stays open.
      const sent = Object.values(paper.account().orders).filter((x) => !known.has(x.context.id)).map((x) => x.context.request);
      expect(sent.map((r) => [r.symbol, r.side, r.type, r.quantity]).sort()).toEqual(
        positions.map((p) => [p.symbol, p.quantity > 0 ? 'sell' : 'buy', 'market', Math.abs(p.quantity)]).sort());
      expect((await paper.getOpenOrders()).every((x) => x.type === 'market')).toBe(true);
      // Market orders fill on the next bar (or at once with fill_on: close): then the account is flat.
      for (const symbol of ['AAA', 'BBB']) guarded.onMarketData(bar(symbol, index++, { open: 100, high: 100, low: 100, close: 100 }));
      expect(await paper.getPositions()).toEqual([]);
      expect(await paper.getOpenOrders()).toEqual([]);
      expect((await guarded.placeOrder({ symbol: 'AAA', side: 'buy', type: 'market', quantity: 1 })).rejectCode).toBe('KILL_SWITCH_ACTIVE');
    },
  );

  test.prop([fc.integer({ min: 1, max: 10 }), fc.integer({ min: 20, max: 200 }), fc.array(fc.integer({ min: -6, max: 6 }), { minLength: 1, maxLength: 80 })], { numRuns: 200 })(
    'trips the kill switch on the first bar at which the venue\'s loss of the day reaches max_daily_loss, and never before',
    async (quantity, limit, steps) => {
      const t = T0;
      const paper = createPaperTradingProvider({ config: { feeRate: 0, fillOn: 'close' }, now: () => t });
      const LIMITS: RiskLimits = {
        allowedSymbols: ['AAA'], maxOrderQuantity: null, maxOrderNotional: null, maxPositionNotional: null, maxTotalExposure: null,
        maxOpenOrders: null, maxOrdersPerSecond: null, maxOrdersPerMinute: null, priceBandPct: null, maxDailyLoss: limit, maxDailyLossPct: null, flattenOnKill: false,
      };
      const guarded = guardTradingProvider(paper, { limits: LIMITS, now: () => t });
      await guarded.connect();
      let index = 0;
      guarded.onMarketData(bar('AAA', index++, { open: 100, high: 100, low: 100, close: 100 }));
      const startEquity = accountInfoOf(paper.account()).equity;
      expect((await guarded.placeOrder({ symbol: 'AAA', side: 'buy', type: 'market', quantity })).status).not.toBe('rejected');
      let close = 100;
      let reached = false;
      for (const step of steps) {
        close = Math.max(1, close + step);
        guarded.onMarketData(bar('AAA', index++, { open: close, high: close, low: close, close }));
        await guarded.risk.whenSwept();
        const loss = startEquity - accountInfoOf(paper.account()).equity;
        // A loss equal to the limit up to rounding may go either way.
        if (Math.abs(loss - limit) < 1e-6) return;
        reached ||= loss > limit;
        expect(guarded.risk.stats().killSwitch).toBe(reached ? 'tripped' : 'armed');
      }
    },
  );
});
