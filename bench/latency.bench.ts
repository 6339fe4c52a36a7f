/**
 * Benchmark 2, latency at a steady message rate. The simulator (own process) steps `--rate` / (2 × symbols) times
 * per second, evenly spaced, so every `--symbols` streams get a closed 1s bar and an update per step.
 *
 *   --mode pipeline   the session with bench/fixtures/latency.strategy.ts: frame arrival (`bar.receivedAt`, set in
 *                     the socket's message handler) → `processData` in the worker, marked by the strategy; and
 *                     frame arrival → durable (the writer's `writer.flushed` that covers the row).
 *   --mode baseline   a bare `ws` client: JSON.parse, closed bars posted to a bare worker thread that answers
 *                     now − arrival; the same bars appended to a DuckDB file (same columns and key) with an
 *                     Appender flushed on the writer's triggers (every `buffer_size` rows or `flush_interval_ms`).
 *
 *   node bench/latency.bench.ts --mode pipeline --rate 5000 --symbols 10 --seconds 10 [--isolation trusted]
 */
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { Worker } from 'node:worker_threads';
import { fileURLToPath } from 'node:url';
import { DuckDBInstance, DuckDBTimestampValue } from '@duckdb/node-api';
import WebSocket from 'ws';
import { BAR_COLUMNS, quoteIdent } from '../src/storage/schema.ts';
import { flags, removeDb, report, sleep, summarize, tempDb, wallNow } from './support/common.ts';
import { probe, startPipeline } from './support/pipeline.ts';
import { forkSimulator, streamNames } from './support/sim-control.ts';

type Summary = ReturnType<typeof summarize>;

/** What one latency run measured. */
export interface LatencyResult {
  readonly mode: 'baseline' | 'pipeline';
  readonly messagesPerSecond: number;
  readonly symbols: number;
  readonly seconds: number;
  /** Frame arrival → strategy code in the worker (ms). */
  readonly toStrategy: Summary;
  /** Frame arrival → durable in DuckDB (ms). */
  readonly toDurable: Summary;
  /** Closed bars that arrived in the measured window. */
  readonly closedBars: number;
  /** Of those, rows not durable when the stream ended (must be 0). */
  readonly notDurableAtEnd: number;
  readonly flushIntervalMs: number;
  readonly bufferSize: number;
  /** Host-measured strategy round trip per bar (pipeline). */
  readonly strategyRoundTrip?: { p50: number; p99: number; max: number };
  readonly skipped?: number;
  /** Mean bars per message to the strategy's worker over the run, warm-up included (pipeline): bars travel in batches. */
  readonly batchSize?: number;
  /** Strategy queue depth, sampled every 5 ms in the window (pipeline). */
  readonly queueDepth?: { p50: number; p99: number; max: number };
  /** Main thread event-loop delay in the window (ms). */
  readonly eventLoopDelay: { p50: number; p99: number; max: number };
  readonly clientCpu: number;
}

const INTERVAL = '1s';
const FLUSH_INTERVAL_MS = 1000; // the writer's default
const BUFFER_SIZE = 100; // the writer's default

const BASELINE_WORKER = `
const { parentPort } = require('node:worker_threads');
parentPort.on('message', (bar) => parentPort.postMessage([bar.receivedAt, performance.timeOrigin + performance.now() - bar.receivedAt]));
`;

/** Bare client: ws + JSON.parse, a bare worker, a bare DuckDB Appender with the writer's flush triggers. */
const baselineClient = async (wsUrl: string, symbols: readonly string[], dbPath: string) => {
  const toStrategy: [number, number][] = [];
  const toDurable: [number, number][] = [];
  const arrivals: number[] = [];
  const worker = new Worker(BASELINE_WORKER, { eval: true });
  worker.on('message', (m: [number, number]) => toStrategy.push(m));
  const instance = await DuckDBInstance.create(dbPath);
  const conn = await instance.connect();
  await conn.run(`CREATE TABLE bars (${BAR_COLUMNS.map((c) => `${quoteIdent(c.name)} ${c.type}`).join(', ')}, PRIMARY KEY (provider, symbol, "interval", "timestamp"))`);
  const appender = await conn.createAppender('bars');
  let pending: number[] = [];
  let timer: NodeJS.Timeout | undefined;
  const flush = (): void => {
    clearTimeout(timer);
    timer = undefined;
    appender.flushSync();
    const now = wallNow();
    for (const t of pending) toDurable.push([t, now - t]);
    pending = [];
  };
  const ws = new WebSocket(`${wsUrl}/ws/${streamNames(symbols, INTERVAL).join('/')}`, { perMessageDeflate: false });
  ws.on('message', (data) => {
    const receivedAt = wallNow();
    const m = JSON.parse(data.toString()) as { k: { t: number; T: number; s: string; i: string; o: string; h: string; l: string; c: string; v: string; q: string; n: number; x: boolean } };
    const k = m.k;
    if (!k.x) return;
    arrivals.push(receivedAt);
    const bar = {
      provider: 'binance', symbol: k.s, interval: k.i, openTime: k.t, closeTime: k.T, open: Number(k.o), high: Number(k.h),
      low: Number(k.l), close: Number(k.c), volume: Number(k.v), vwap: Number(k.q) / Number(k.v), tradeCount: k.n, final: true, receivedAt,
    };
    worker.postMessage(bar);
    appender.appendVarchar(`${bar.provider}|${bar.symbol}|${bar.interval}|${bar.openTime}`);
    appender.appendVarchar(bar.provider);
    appender.appendVarchar(bar.symbol);
    appender.appendVarchar(bar.interval);
    appender.appendTimestamp(new DuckDBTimestampValue(BigInt(bar.openTime) * 1000n));
    appender.appendDouble(bar.open);
    appender.appendDouble(bar.high);
    appender.appendDouble(bar.low);
    appender.appendDouble(bar.close);
    appender.appendDouble(bar.volume);
    appender.appendDouble(bar.vwap);
    appender.appendInteger(bar.tradeCount);
    appender.appendTimestamp(new DuckDBTimestampValue(BigInt(Math.round(receivedAt)) * 1000n));
    appender.endRow();
    pending.push(receivedAt);
    if (pending.length >= BUFFER_SIZE) flush();
    else timer ??= setTimeout(flush, FLUSH_INTERVAL_MS);
  });
  await new Promise((resolve, reject) => { ws.once('open', resolve); ws.once('error', reject); });
  return {
    toStrategy, toDurable, arrivals,
    close: async () => {
      ws.terminate();
      flush();
      appender.closeSync();
      conn.closeSync();
      instance.closeSync();
      await worker.terminate();
    },
  };
};

export const runLatency = async (o: {
  mode: 'baseline' | 'pipeline'; rate: number; symbols: number; seconds: number; warmS: number; isolation?: 'sandbox' | 'trusted';
}): Promise<LatencyResult> => {
  const sim = await forkSimulator({ symbolCount: o.symbols, marketStepMs: 1000 });
  const dbPath = tempDb('latency');
  const stepsPerSecond = o.rate / (2 * o.symbols);
  try {
    let stop: () => Promise<void>;
    let toStrategy: [number, number][];
    let toDurable: [number, number][];
    let arrivals: number[];
    let queued = (): number | undefined => undefined;
    let extra: Partial<LatencyResult> = {};
    if (o.mode === 'baseline') {
      const client = await baselineClient(sim.wsUrl, sim.symbols, dbPath);
      ({ toStrategy, toDurable, arrivals } = client);
      stop = client.close;
    } else {
      probe.trackDurable = true;
      const session = await startPipeline({
        wsUrl: sim.wsUrl, restUrl: sim.restUrl, symbols: sim.symbols, interval: INTERVAL, dbPath,
        strategy: fileURLToPath(new URL('./fixtures/latency.strategy.ts', import.meta.url)),
        ...(o.isolation ? { isolation: o.isolation } : {}),
        storageConfig: { flush_interval_ms: FLUSH_INTERVAL_MS, buffer_size: BUFFER_SIZE },
      });
      toStrategy = [];
      toDurable = probe.durable;
      const closed: number[] = (arrivals = []);
      probe.onFrame = (bar) => { if (bar.final) closed.push(bar.receivedAt); };
      session.on('mark', (m) => {
        const v = m.value as { samples?: [number, number][] } | undefined;
        if (m.name === 'latency' && Array.isArray(v?.samples)) toStrategy.push(...v.samples);
      });
      queued = () => session.stats().strategy?.queued;
      stop = async () => {
        const st = session.stats().strategy;
        if (st) {
          extra = {
            strategyRoundTrip: { p50: st.latencyMs.p50, p99: st.latencyMs.p99, max: st.latencyMs.max }, skipped: st.skipped,
            ...(st.batches > 0 ? { batchSize: Number((st.barsProcessed / st.batches).toFixed(2)) } : {}),
          };
        }
        await session.stop();
      };
    }
    // Warm-up, the measured window, then long enough for the window's rows to become durable on their own.
    const tail = (FLUSH_INTERVAL_MS + 500) / 1000;
    const run = sim.rate(stepsPerSecond, o.warmS + o.seconds + tail);
    await sleep(o.warmS * 1000);
    const cpu = process.cpuUsage();
    const delay = monitorEventLoopDelay({ resolution: 1 });
    delay.enable();
    const depths: number[] = [];
    const sampler = setInterval(() => { const q = queued(); if (q !== undefined) depths.push(q); }, 5);
    const from = wallNow();
    await sleep(o.seconds * 1000);
    const to = wallNow();
    clearInterval(sampler);
    delay.disable();
    const used = process.cpuUsage(cpu);
    const clientCpu = (used.user + used.system) / 1000 / (to - from);
    await run;
    await sleep(100);
    const inWindow = (samples: [number, number][]): number[] => samples.filter(([at]) => at >= from && at < to).map(([, ms]) => ms);
    const strategySamples = inWindow(toStrategy);
    const durableSamples = inWindow(toDurable);
    const closedInWindow = arrivals.filter((at) => at >= from && at < to).length;
    await stop();
    return {
      mode: o.mode, messagesPerSecond: o.rate, symbols: o.symbols, seconds: o.seconds,
      toStrategy: summarize(strategySamples), toDurable: summarize(durableSamples), closedBars: closedInWindow,
      notDurableAtEnd: closedInWindow - durableSamples.length, flushIntervalMs: FLUSH_INTERVAL_MS, bufferSize: BUFFER_SIZE,
      clientCpu, ...extra,
      eventLoopDelay: { p50: delay.percentile(50) / 1e6, p99: delay.percentile(99) / 1e6, max: delay.max / 1e6 },
      ...(depths.length ? { queueDepth: (({ p50, p99, max }) => ({ p50, p99, max }))(summarize(depths)) } : {}),
    };
  } finally {
    await sim.close();
    removeDb(dbPath);
  }
};

if (import.meta.main) {
  const f = flags(process.argv.slice(2));
  report(await runLatency({
    mode: f.mode === 'baseline' ? 'baseline' : 'pipeline', rate: Number(f.rate ?? 5000), symbols: Number(f.symbols ?? 10),
    seconds: Number(f.seconds ?? 10), warmS: Number(f['warm-s'] ?? 2),
    ...(f.isolation === 'trusted' || f.isolation === 'sandbox' ? { isolation: f.isolation } : {}),
  }));
  process.exit(0);
}
