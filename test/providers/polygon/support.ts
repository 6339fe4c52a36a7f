/**
 * Support for the Polygon provider's integration tests: a simulator and a provider wired together (the provider's
 * market time is the simulator's), a record of everything the provider emitted (bars, errors, state changes,
 * inspection events), and the exactness check against the simulator's ground truth.
 */
import { afterEach, expect } from 'vitest';
import type { InspectionEvent } from 'xstate';
import type { RealtimeError } from '../../../src/errors.ts';
import { PolygonRealtimeProvider, type PolygonBar, type PolygonProviderDeps } from '../../../src/providers/polygon/index.ts';
import { startPolygonSimulator, type PolygonSimulator, type PolygonSimulatorOptions } from '../../../src/sim/polygon/index.ts';
import { eventWaits } from '../../support/event-waits.ts';

export const KEY = 'pk_test_9c41e7b2a05d';
export const M = 60_000;
/** A fixed market start (a Monday, 09:30 New York) so that tests do not depend on the day they run. */
export const T0 = Date.UTC(2026, 0, 5, 14, 30);

// Every pair started here pokes these waits on its provider's bars, errors, states and actor snapshots and on its
// simulator's market steps and socket events, so `until` ends on the event that makes its condition true.
const waits = eventWaits();

/**
 * Resolves once `ok()` holds, checked on every event of the pairs started here; at the deadline it resolves too,
 * and the caller's assertions then say what is missing.
 */
export const until = (ok: () => boolean, ms = 10_000): Promise<void> => waits.until(ok, 'a condition', ms).catch(() => undefined);

/** Resolves after `n` more market steps of `sim`. */
export const marketSteps = (sim: PolygonSimulator, n: number): Promise<void> => {
  let seen = 0;
  const step = () => { seen++; };
  sim.on('step', step);
  return waits.until(() => seen >= n, `${n} market steps`).finally(() => sim.off('step', step));
};

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

/** JSON of an inspection event without actor references (they are cyclic). */
const inspectionText = (ev: InspectionEvent): string => {
  const seen = new WeakSet<object>();
  const e = ev as unknown as Record<string, unknown>;
  const snapshot = e.snapshot as { context?: unknown; value?: unknown } | undefined;
  return JSON.stringify({ type: ev.type, event: e.event, action: e.action, value: snapshot?.value, context: snapshot?.context }, (_k, v: unknown) => {
    if (typeof v === 'function') return undefined;
    if (typeof v === 'object' && v !== null) {
      if (seen.has(v) || 'sessionId' in v) return '[ref]';
      seen.add(v);
    }
    return v;
  });
};

/** A started simulator and a provider on it (on `deps.clock`, the system clock by default), recording every output. */
export const startPair = async (simOptions: Partial<PolygonSimulatorOptions> = {}, config: Record<string, unknown> = {}, deps: Pick<PolygonProviderDeps, 'clock'> = {}) => {
  const sim = await startPolygonSimulator({ tickMs: 10, marketStepMs: 20_000, apiKeys: [KEY], startTime: T0, ...simOptions });
  const trace: string[] = [];
  const provider = new PolygonRealtimeProvider({
    api_key: KEY, ws_url: sim.wsUrl, rest_url: sim.restUrl, reconnect_delay_ms: 20, reconnect_max_delay_ms: 200, healthy_after_ms: 100,
    close_check_interval_ms: 20, aggregate_close_grace_ms: 120_000, ...config,
  }, { ...deps, marketTime: () => sim.now(), inspect: (ev) => { trace.push(inspectionText(ev)); waits.poke(); } });
  sim.on('step', waits.poke).on('connection', waits.poke).on('authenticated', waits.poke).on('close', waits.poke).on('subscribe', waits.poke);
  const bars: PolygonBar[] = [];
  const errors: RealtimeError[] = [];
  const states: string[] = [];
  provider.onData((b) => { bars.push(b); waits.poke(); });
  provider.onError((e) => { errors.push(e); waits.poke(); });
  provider.onConnectionStateChange((s, d) => { states.push(JSON.stringify({ s, ...d })); waits.poke(); });
  cleanups.push(async () => {
    await provider.disconnect();
    await sim.close();
  });
  /** Everything the provider emitted, as one text. */
  const everything = () => [
    ...bars.map((b) => JSON.stringify(b)), ...errors.map((e) => JSON.stringify(e.toJSON())), ...errors.map((e) => e.message),
    ...states, ...trace, JSON.stringify(provider.stats()),
  ].join('\n');
  return { sim, provider, bars, errors, states, trace, everything };
};

/** The bars a consumer holds after upserting every emitted bar by key: the latest values of each key. */
export const fold = (bars: readonly PolygonBar[], symbol: string, interval: string): Map<number, PolygonBar> => {
  const out = new Map<number, PolygonBar>();
  for (const b of bars) if (b.symbol === symbol && b.interval === interval) out.set(b.openTime, b);
  return out;
};

/**
 * Pauses the market, waits until the consumer's upserted view equals the ground truth for every window that must
 * be closed by now (ended at least the close grace ago), then asserts it exactly, plus order and uniqueness of the
 * bars not marked as corrections.
 */
export const expectExact = async (sim: PolygonSimulator, bars: readonly PolygonBar[], symbol: string, interval: string, graceMs = 120_000, { liveVwap = true } = {}) => {
  sim.pause();
  const from = bars.find((b) => b.symbol === symbol && b.interval === interval)?.openTime;
  expect(from, `${symbol} ${interval}: no bar at all`).toBeDefined();
  const truth = () => sim.closedBars(symbol, interval, from!).filter((r) => r.t + (interval === '1m' ? M : interval === '1s' ? 1000 : 5 * M) <= sim.now() - graceMs);
  const view = () => [...fold(bars, symbol, interval).values()].filter((b) => b.openTime <= (truth().at(-1)?.t ?? 0)).sort((a, b) => a.openTime - b.openTime);
  // Prices are compared exactly; volumes to 1e-9 (fractional crypto volumes summed in another order differ in the last bit).
  const rows = (list: readonly { t: number; o: number; h: number; l: number; c: number; v?: number }[]) => list.map((r) => [r.t, r.o, r.h, r.l, r.c, Math.round((r.v ?? 0) * 1e9) / 1e9]);
  const got = () => rows(view().map((b) => ({ t: b.openTime, o: b.open, h: b.high, l: b.low, c: b.close, v: b.volume })));
  await until(() => JSON.stringify(got()) === JSON.stringify(rows(truth())));
  expect(truth().length).toBeGreaterThan(0);
  expect(got()).toEqual(rows(truth()));
  const vw = truth().map((r) => r.vw ?? null);
  // Forex aggregates carry no VWAP on the wire (REST rows do): there a live bar has none, a backfilled one the row's.
  view().forEach((b, i) => (vw[i] === null || (!liveVwap && b.vwap === null) ? expect(b.vwap).toBeNull() : expect(b.vwap).toBeCloseTo(vw[i]!, 9)));
  const plain = bars.filter((b) => b.symbol === symbol && b.interval === interval && !b.correction).map((b) => b.openTime);
  expect(plain).toEqual([...new Set(plain)].sort((a, b) => a - b));
  return truth().length;
};
