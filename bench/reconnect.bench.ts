/**
 * Benchmark 5, reconnect. The simulator (own process) streams 1s bars for `--symbols` symbols at `--steps-per-s`
 * market steps per second and cuts every connection without a close frame (the client sees 1006).
 *
 * Pipeline (the session, no strategy; `reconnect_delay_ms` = `reconnect_max_delay_ms` = 1: backoff at its minimum):
 * - reconnect: the client seeing its socket closed → the first kline frame on the new socket (`--drops` times);
 *   also drop → the first bar delivered to the session (after the gap the reconnect left is repaired);
 * - backfill: a drop after which the market moves 60 steps before anyone can reconnect, so every stream misses 60
 *   closed bars: first frame on the new socket → the 60 × symbols missed bars delivered (REST backfill, after the
 *   provider's fixed 250 ms gap grace), and the REST requests' own time.
 * Baseline, same simulator: a bare `ws` client that reconnects at once on close, sends SUBSCRIBE and waits for its
 * first kline frame; and a bare `fetch` of the same 60 bars of every symbol, in parallel.
 *
 *   node bench/reconnect.bench.ts --symbols 10 --drops 10
 */
import WebSocket from 'ws';
import type { Bar } from '../src/domain/bar.ts';
import { flags, removeDb, report, sleep, summarize, tempDb, until, wallNow } from './support/common.ts';
import { probe, startPipeline } from './support/pipeline.ts';
import { forkSimulator, streamNames, type SimProcess } from './support/sim-control.ts';

type Summary = ReturnType<typeof summarize>;

/** What the reconnect benchmark measured (ms). */
export interface ReconnectResult {
  readonly symbols: number;
  readonly stepsPerSecond: number;
  readonly drops: number;
  /** Sim drop → client sees the close. */
  readonly dropToClose: Summary;
  /** Client sees the close → first kline frame on the new socket. */
  readonly toFirstFrame: Summary;
  /** Client sees the close → first bar delivered to the session (gap repaired). */
  readonly toFirstBar: Summary;
  readonly baselineToFirstFrame: Summary;
  /** Bars backfilled after the 60-step drop (60 per stream, plus the steps missed while reconnecting). */
  readonly missedBars: number;
  /** First frame on the new socket → every missed bar delivered. */
  readonly backfillMs: number;
  /** Drop → every missed bar delivered. */
  readonly dropToRecoveredMs: number;
  /** The provider's REST requests for the backfill: first request sent → last response read. */
  readonly backfillRestMs: number;
  readonly backfillRequests: number;
  readonly baselineBackfillRestMs: number;
  readonly gapGraceMs: number;
}

const INTERVAL = '1s';
const GAP_GRACE_MS = 250; // StreamTracker's gapGraceMs in src/providers/binance/index.ts

/** Times every `fetch` of /api/v3/klines made in this process. */
const restLog: { start: number; end: number }[] = [];
const realFetch = globalThis.fetch;
globalThis.fetch = async (...args: Parameters<typeof fetch>) => {
  const url = String(args[0] instanceof Request ? args[0].url : args[0]);
  if (!url.includes('/api/v3/klines')) return realFetch(...args);
  const entry = { start: wallNow(), end: Number.NaN };
  restLog.push(entry);
  const res = await realFetch(...args);
  const body = await res.arrayBuffer();
  entry.end = wallNow();
  return new Response(body, { status: res.status, statusText: res.statusText, headers: res.headers });
};

/** Bare client: reconnect at once, SUBSCRIBE, first kline frame. */
const baselineReconnects = async (sim: SimProcess, drops: number): Promise<number[]> => {
  const streams = streamNames(sim.symbols, INTERVAL);
  const out: number[] = [];
  let closedAt = 0;
  let waiting = false;
  let id = 1;
  let ws: WebSocket | undefined;
  const open = (): void => {
    const socket = new WebSocket(`${sim.wsUrl}/ws`, { perMessageDeflate: false });
    ws = socket;
    socket.on('open', () => socket.send(JSON.stringify({ method: 'SUBSCRIBE', params: streams, id: id++ })));
    socket.on('message', (data) => {
      const m = JSON.parse(data.toString()) as { e?: string };
      if (m.e === 'kline' && waiting) {
        waiting = false;
        out.push(wallNow() - closedAt);
      }
    });
    socket.on('close', () => {
      closedAt = wallNow();
      waiting = true;
      open();
    });
    socket.on('error', () => undefined);
  };
  open();
  await sleep(300);
  for (let i = 0; i < drops; i++) {
    await sim.drop();
    await until(() => out.length > i, 5_000, 'baseline reconnect');
    await sleep(100);
  }
  ws?.removeAllListeners('close');
  ws?.terminate();
  return out;
};

/** Bare REST: the 60 bars of every symbol, in parallel. */
const baselineBackfill = async (sim: SimProcess, bars: number): Promise<number> => {
  const { now } = await sim.stats();
  const end = Math.floor(now / 1000) * 1000;
  const start = end - bars * 1000;
  const t0 = wallNow();
  await Promise.all(sim.symbols.map(async (symbol) => {
    const res = await realFetch(`${sim.restUrl}/api/v3/klines?symbol=${symbol}&interval=${INTERVAL}&startTime=${start}&endTime=${end - 1}&limit=1000`);
    const rows = (await res.json()) as unknown[];
    if (rows.length !== bars) throw new Error(`baseline backfill: ${rows.length} rows for ${bars} bars`);
  }));
  return wallNow() - t0;
};

export const runReconnect = async (o: { symbols: number; stepsPerSecond: number; drops: number; missed: number }): Promise<ReconnectResult> => {
  const sim = await forkSimulator({ symbolCount: o.symbols, marketStepMs: 1000 });
  const dbPath = tempDb('reconnect');
  try {
    const pacing = sim.rate(o.stepsPerSecond, 0);
    // Baselines first, on the same simulator and market.
    const baseline = await baselineReconnects(sim, o.drops);
    const baselineBackfillRestMs = await baselineBackfill(sim, o.missed);

    const session = await startPipeline({
      wsUrl: sim.wsUrl, restUrl: sim.restUrl, symbols: sim.symbols, interval: INTERVAL, dbPath,
      providerConfig: { reconnect_delay_ms: 1, reconnect_max_delay_ms: 1, reconnect_attempts: 0 },
    });
    let closedAt = Number.NaN;
    let firstFrameAt = Number.NaN;
    let firstBarAt = Number.NaN;
    session.on('connection', (e) => {
      if (e.state === 'reconnecting' && Number.isNaN(closedAt)) closedAt = wallNow();
    });
    probe.onFrame = (bar) => {
      if (!Number.isNaN(closedAt) && Number.isNaN(firstFrameAt) && bar.receivedAt > closedAt) firstFrameAt = bar.receivedAt;
    };
    const backfilled: number[] = [];
    session.on('bar', (bar: Bar) => {
      const now = wallNow();
      if (!Number.isNaN(closedAt) && Number.isNaN(firstBarAt)) firstBarAt = now;
      if (bar.backfilled) backfilled.push(now);
    });
    await sleep(500);
    const dropToClose: number[] = [];
    const toFirstFrame: number[] = [];
    const toFirstBar: number[] = [];
    for (let i = 0; i < o.drops; i++) {
      closedAt = firstFrameAt = firstBarAt = Number.NaN;
      const { at } = await sim.drop();
      await until(() => !Number.isNaN(firstFrameAt) && !Number.isNaN(firstBarAt), 10_000, 'reconnect');
      dropToClose.push(closedAt - at);
      toFirstFrame.push(firstFrameAt - closedAt);
      toFirstBar.push(firstBarAt - closedAt);
      await sleep(GAP_GRACE_MS + 400); // let the gap of this reconnect be repaired before the next drop
    }
    // 60 missed bars per stream: drop, and the market moves 60 steps before anyone can reconnect.
    await sleep(300);
    closedAt = firstFrameAt = firstBarAt = Number.NaN;
    backfilled.length = 0;
    restLog.length = 0;
    const { at: dropAt } = await sim.drop(o.missed);
    const expected = o.missed * o.symbols;
    await until(() => backfilled.length >= expected, 20_000, `${expected} backfilled bars (have ${backfilled.length})`);
    await sleep(300);
    // Steps missed while reconnecting come on top of the 60: the last backfilled bar ends the recovery.
    const recoveredAt = backfilled.at(-1)!;
    const rest = restLog.filter((r) => r.start >= dropAt);
    await session.stop();
    await sim.halt();
    await pacing;
    return {
      symbols: o.symbols, stepsPerSecond: o.stepsPerSecond, drops: o.drops,
      dropToClose: summarize(dropToClose), toFirstFrame: summarize(toFirstFrame), toFirstBar: summarize(toFirstBar),
      baselineToFirstFrame: summarize(baseline),
      missedBars: backfilled.length, backfillMs: recoveredAt - firstFrameAt, dropToRecoveredMs: recoveredAt - dropAt,
      backfillRestMs: rest.length ? Math.max(...rest.map((r) => r.end)) - Math.min(...rest.map((r) => r.start)) : Number.NaN,
      backfillRequests: rest.length, baselineBackfillRestMs, gapGraceMs: GAP_GRACE_MS,
    };
  } finally {
    await sim.close();
    removeDb(dbPath);
  }
};

if (import.meta.main) {
  const f = flags(process.argv.slice(2));
  report(await runReconnect({
    symbols: Number(f.symbols ?? 10), stepsPerSecond: Number(f['steps-per-s'] ?? 250), drops: Number(f.drops ?? 10), missed: Number(f.missed ?? 60),
  }));
  process.exit(0);
}
