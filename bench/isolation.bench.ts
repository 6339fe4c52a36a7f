/**
 * Benchmark 7, strategy isolation: what a misbehaving strategy costs the host, and what the sandbox costs a
 * well-behaved one.
 *
 *   --mode host --strategy idle|hostile   a session at a steady rate (Binance simulator in its own process):
 *                                         event-loop delay and utilisation of the host's main thread and bars
 *                                         made durable per second, with bench/fixtures/noop.strategy.ts or
 *                                         hostile.strategy.ts
 *     --misbehaviour all|loop|orders|…    what the hostile strategy does on every bar (its MISBEHAVIOURS; default all)
 *   --mode cost --isolation sandbox|trusted   the strategy runtime alone: examples/ma-cross.strategy.ts fed
 *                                         `--bars` bars one after the other; host-measured round trip per bar
 *                                         (p50/p99) and bars per second
 *
 *   node bench/isolation.bench.ts --mode host --strategy hostile --seconds 20
 *   node --cpu-prof bench/isolation.bench.ts --mode host --strategy hostile --misbehaviour sql --seconds 10
 *   node bench/isolation.bench.ts --mode cost --isolation sandbox --bars 5000
 */
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import type { Bar } from '../src/domain/bar.ts';
import type { StrategyHostServices } from '../src/strategy/host-api.ts';
import { startStrategy } from '../src/strategy/runtime.ts';
import type { Order, OrderRequest } from '../src/trading/types.ts';
import { flags, removeDb, report, sleep, tempDb, wallNow } from './support/common.ts';
import { probe, startPipeline } from './support/pipeline.ts';
import { forkSimulator } from './support/sim-control.ts';

/** What one host run measured. */
export interface IsolationHostResult {
  readonly mode: 'host';
  readonly strategy: 'idle' | 'hostile';
  /** What the hostile strategy did (`all`: each in turn); absent for the idle strategy. */
  readonly misbehaviour?: string;
  readonly seconds: number;
  /** Rows made durable in the window, per second. */
  readonly durablePerSecond: number;
  /** Kline frames decoded in the window, per second. */
  readonly framesPerSecond: number;
  readonly eventLoopDelay: { p50: number; p99: number; max: number };
  /** Share of the window the main thread was busy (`performance.eventLoopUtilization`). */
  readonly eventLoopUtilization: number;
  readonly strategy_: { processed: number; failed: number; timedOut: number; restarts: number; skipped: number };
  readonly notDurableAtEnd: number;
}

/** What one cost run measured. */
export interface IsolationCostResult {
  readonly mode: 'cost';
  readonly isolation: 'sandbox' | 'trusted';
  readonly bars: number;
  readonly barsPerSecond: number;
  readonly roundTrip: { p50: number; p99: number; max: number };
  readonly loadMs: number;
}

const here = (file: string): string => fileURLToPath(new URL(file, import.meta.url));

export const runHost = async (o: { strategy: 'idle' | 'hostile'; misbehaviour?: string; seconds: number; rate: number; symbols: number }): Promise<IsolationHostResult> => {
  const sim = await forkSimulator({ symbolCount: o.symbols, marketStepMs: 1000 });
  const dbPath = tempDb('isolation');
  try {
    probe.trackDurable = true;
    const session = await startPipeline({
      wsUrl: sim.wsUrl, restUrl: sim.restUrl, symbols: sim.symbols, interval: '1s', dbPath,
      strategy: here(o.strategy === 'idle' ? './fixtures/noop.strategy.ts' : './fixtures/hostile.strategy.ts'),
      ...(o.strategy === 'hostile' ? { strategyConfig: { misbehaviour: o.misbehaviour ?? 'all' } } : {}),
    });
    const stepsPerSecond = o.rate / (2 * o.symbols);
    const warmS = 3;
    const run = sim.rate(stepsPerSecond, warmS + o.seconds + 2);
    await sleep(warmS * 1000);
    const delay = monitorEventLoopDelay({ resolution: 1 });
    const frames0 = probe.frames;
    delay.enable();
    const elu0 = performance.eventLoopUtilization();
    const from = wallNow();
    await sleep(o.seconds * 1000);
    const to = wallNow();
    delay.disable();
    const elu = performance.eventLoopUtilization(elu0);
    const frames = probe.frames - frames0;
    await run;
    await sleep(1500);
    const durable = probe.durable.filter(([at]) => at >= from && at < to).length;
    const st = session.stats().strategy;
    await session.stop();
    return {
      mode: 'host', strategy: o.strategy, ...(o.strategy === 'hostile' ? { misbehaviour: o.misbehaviour ?? 'all' } : {}), seconds: o.seconds,
      durablePerSecond: durable / ((to - from) / 1000), framesPerSecond: frames / ((to - from) / 1000),
      eventLoopDelay: { p50: delay.percentile(50) / 1e6, p99: delay.percentile(99) / 1e6, max: delay.max / 1e6 },
      eventLoopUtilization: elu.utilization,
      strategy_: {
        processed: st?.barsProcessed ?? 0, failed: st?.barsFailed ?? 0, timedOut: st?.barsTimedOut ?? 0,
        restarts: st?.restarts ?? 0, skipped: st?.skipped ?? 0,
      },
      notDurableAtEnd: probe.durablePending,
    };
  } finally {
    await sim.close();
    removeDb(dbPath);
  }
};

const services = (): StrategyHostServices => {
  let id = 0;
  const order = (r: Pick<OrderRequest, 'symbol' | 'side' | 'type' | 'quantity'>): Order => ({
    id: `o${++id}`, clientOrderId: `o${id}`, symbol: r.symbol, side: r.side, type: r.type, quantity: r.quantity,
    status: 'filled', filledQuantity: r.quantity, averagePrice: 100, createdAt: 0, updatedAt: 0,
  });
  return {
    getRange: async () => [], readLastData: async () => undefined, executeSQL: async () => [], subscribeRealtime: async () => undefined,
    placeOrder: async (r) => order(r), getPositions: async () => [], cancelOrder: async () => order({ symbol: 'X', side: 'buy', type: 'market', quantity: 0 }),
    getAccountInfo: async () => ({ currency: 'USDT', cash: 1e6, equity: 1e6, realizedPnl: 0, unrealizedPnl: 0, fees: 0 }),
    getOpenOrders: async () => [], getOrderStatus: async () => undefined, log: async () => undefined, mark: async () => undefined,
  };
};

export const runCost = async (o: { isolation: 'sandbox' | 'trusted'; bars: number }): Promise<IsolationCostResult> => {
  const t0 = performance.now();
  const runner = await startStrategy(here('../examples/ma-cross.strategy.ts'), { services: services(), isolation: o.isolation, latencyWindow: o.bars });
  const loadMs = performance.now() - t0;
  const T0 = Date.UTC(2025, 0, 1);
  const bar = (i: number): Bar => {
    const close = 100 + 10 * Math.sin(i / 20);
    return {
      provider: 'binance', symbol: 'BTCUSDT', interval: '1m', openTime: T0 + i * 60_000, closeTime: T0 + (i + 1) * 60_000 - 1,
      open: close, high: close, low: close, close, volume: 1, vwap: close, tradeCount: 1, final: true, receivedAt: T0 + (i + 1) * 60_000,
    };
  };
  for (let i = 0; i < 200; i++) await runner.processBar(bar(i));
  const start = performance.now();
  for (let i = 200; i < 200 + o.bars; i++) await runner.processBar(bar(i));
  const elapsed = performance.now() - start;
  const { latencyMs } = runner.stats();
  await runner.stop();
  return { mode: 'cost', isolation: o.isolation, bars: o.bars, barsPerSecond: o.bars / (elapsed / 1000), roundTrip: latencyMs, loadMs };
};

if (import.meta.main) {
  const f = flags(process.argv.slice(2));
  if (f.mode === 'cost') {
    report(await runCost({ isolation: f.isolation === 'trusted' ? 'trusted' : 'sandbox', bars: Number(f.bars ?? 5000) }));
  } else {
    report(await runHost({
      strategy: f.strategy === 'hostile' ? 'hostile' : 'idle', ...(f.misbehaviour ? { misbehaviour: f.misbehaviour } : {}), seconds: Number(f.seconds ?? 20),
      rate: Number(f.rate ?? 2000), symbols: Number(f.symbols ?? 10),
    }));
  }
  process.exit(0);
}
