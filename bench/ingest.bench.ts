/**
 * Benchmark 1, ingest. The simulator runs in its own process (support/sim-host.ts) and pushes kline frames for
 * `--symbols` streams as fast as the client drains them (credit flow control: at most `--window` frames in
 * flight), in one of the message mixes of support/mix.ts (`--mix closed`: half of the messages are closed bars;
 * `--mix updates`: Binance's cadence, 3.2% closed bars).
 *
 *   --mode baseline   a bare `ws` client doing only JSON.parse (the floor)
 *   --mode pipeline   provider → session (no-op strategy in its worker, paper trading) → DuckDB writer (file,
 *                     upserts, durable); afterwards the table is counted: every closed bar must be there once.
 *
 * Messages/s is measured after a warm-up (the first `--warm-s` seconds) up to the last frame received
 * ("receive") and, for the pipeline, up to the moment the last bar is durable ("end to end").
 *
 *   node bench/ingest.bench.ts --mode pipeline --symbols 1000 --seconds 6
 */
import { fileURLToPath } from 'node:url';
import WebSocket from 'ws';
import { flags, report, tempDb, removeDb, until, wallNow } from './support/common.ts';
import { countRows, probe, startPipeline } from './support/pipeline.ts';
import { closedPerStream, MIXES, type Mix } from './support/mix.ts';
import { forkSimulator, streamNames } from './support/sim-control.ts';

/** What one ingest run measured. */
export interface IngestResult {
  readonly mode: 'baseline' | 'pipeline';
  readonly mix: Mix['name'];
  readonly symbols: number;
  readonly cork: boolean;
  /** Kline frames received in the whole run, and closed bars among them. */
  readonly frames: number;
  readonly closedBars: number;
  /** Frames/s from the end of the warm-up to the last frame. */
  readonly receiveRate: number;
  /** Pipeline: frames/s from the end of the warm-up until every bar was durable. */
  readonly endToEndRate: number;
  readonly measuredFrames: number;
  readonly measuredSeconds: number;
  /** Share of the run the simulator spent producing frames, and waiting for the client's credit. */
  readonly simBusyShare: number;
  readonly simStalledShare: number;
  readonly simSteps: number;
  /** CPU used during the run (share of one core): simulator process, client process. */
  readonly simCpu: number;
  readonly clientCpu: number;
  readonly rows?: number;
  readonly keys?: number;
  readonly strategy?: { processed: number; skipped: number };
  readonly writer?: { flushes: number; averageFlushMs: number; overflow: number };
  readonly drainMs?: number;
}

export const runIngest = async (o: {
  mode: 'baseline' | 'pipeline'; mix: Mix; symbols: number; seconds: number; warmS: number; window: number; cork: boolean;
  storage?: Record<string, unknown>;
}): Promise<IngestResult> => {
  const INTERVAL = o.mix.interval;
  const sim = await forkSimulator({ symbolCount: o.symbols, marketStepMs: o.mix.marketStepMs }, { cork: o.cork });
  const dbPath = tempDb('ingest');
  let count = 0;
  let last = 0;
  let ws: WebSocket | undefined;
  let session: Awaited<ReturnType<typeof startPipeline>> | undefined;
  try {
    if (o.mode === 'baseline') {
      ws = new WebSocket(`${sim.wsUrl}/ws/${streamNames(sim.symbols, INTERVAL).join('/')}`, { perMessageDeflate: false });
      ws.on('message', (data) => {
        JSON.parse(data.toString());
        count++;
        last = performance.now();
      });
      await new Promise((resolve, reject) => { ws!.once('open', resolve); ws!.once('error', reject); });
    } else {
      session = await startPipeline({
        wsUrl: sim.wsUrl, restUrl: sim.restUrl, symbols: sim.symbols, interval: INTERVAL, dbPath,
        strategy: fileURLToPath(new URL('./fixtures/noop.strategy.ts', import.meta.url)),
        ...(o.storage ? { storageConfig: o.storage } : {}),
      });
      probe.onFrame = () => { last = performance.now(); };
    }
    const frames = (): number => (o.mode === 'baseline' ? count : probe.frames);
    const samples: [number, number][] = [];
    const ticker = setInterval(() => {
      const n = frames();
      sim.ack(n);
      samples.push([performance.now(), n]);
    }, 5);
    const cpu = process.cpuUsage();
    const done = await sim.credit(o.window, o.seconds);
    const cpuUsed = process.cpuUsage(cpu);
    await until(() => frames() >= done.framesSent, 60_000, `${done.framesSent} frames (have ${frames()})`, 1);
    clearInterval(ticker);
    let durableAt = last;
    if (session) {
      await session.flush();
      durableAt = performance.now();
    }
    const first = samples.find(([, n]) => n > 0);
    if (!first) throw new Error('no frame received');
    const warm = samples.find(([t]) => t >= first[0] + o.warmS * 1000) ?? first;
    const measuredFrames = done.framesSent - warm[1];
    const result: IngestResult = {
      mode: o.mode, mix: o.mix.name, symbols: o.symbols, cork: o.cork,
      frames: done.framesSent, closedBars: closedPerStream(o.mix, done.steps) * o.symbols,
      receiveRate: measuredFrames / ((last - warm[0]) / 1000),
      endToEndRate: measuredFrames / ((durableAt - warm[0]) / 1000),
      measuredFrames, measuredSeconds: (durableAt - warm[0]) / 1000,
      simBusyShare: done.busyMs / done.wallMs, simStalledShare: done.stalledMs / done.wallMs, simSteps: done.steps,
      simCpu: done.cpuMs / done.wallMs, clientCpu: (cpuUsed.user + cpuUsed.system) / 1000 / done.wallMs,
    };
    if (!session) return result;
    const stats = session.stats();
    const drainStart = wallNow();
    await session.stop();
    const drainMs = wallNow() - drainStart;
    const { rows, keys } = await countRows(dbPath);
    return {
      ...result, rows, keys, drainMs,
      strategy: { processed: stats.strategy?.barsProcessed ?? 0, skipped: stats.strategy?.skipped ?? 0 },
      writer: { flushes: stats.writer.flushCount, averageFlushMs: stats.writer.averageFlushTime, overflow: stats.writer.overflowCount },
    };
  } finally {
    ws?.terminate();
    await sim.close();
    removeDb(dbPath);
  }
};

if (import.meta.main) {
  const f = flags(process.argv.slice(2));
  const mode = f.mode === 'baseline' ? 'baseline' : 'pipeline';
  report(await runIngest({
    mode, mix: MIXES[f.mix === 'updates' ? 'updates' : 'closed'], ...(f['buffer-size'] ? { storage: { buffer_size: Number(f['buffer-size']) } } : {}),
    symbols: Number(f.symbols ?? 100), seconds: Number(f.seconds ?? 6), warmS: Number(f['warm-s'] ?? 1),
    window: Number(f.window ?? 20_000), cork: f.cork !== 'false',
  }));
  process.exit(0);
}
