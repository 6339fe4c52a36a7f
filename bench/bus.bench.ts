/**
 * The bus benchmark (not a test; `node bench/bus.bench.ts [--bars 100000] [--symbols 10] [--latency-s 10]`), on a
 * real nats-server started here on loopback:
 *  1. Throughput: the same closed bars through this project's path (BusPublisher → JetStream → BusSourceProvider
 *     with its checkpoint/commit acks) and through a bare @nats-io/jetstream publisher (same payloads, message
 *     ids and in-flight window) and bare consumers (ack policy all, one ack per 1,000) in the same run.
 *  2. Latency: Binance simulator frame → recorder session → JetStream → strategy host session → strategy
 *     `processData`, per bar (the recorder stamps `receivedAt` with a sub-millisecond wall clock; the strategy
 *     worker reads the same clock). Prints one JSON object.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { encodeBar } from '../src/bus/bar-message.ts';
import { decodeBusConfig } from '../src/bus/config.ts';
import { BusPublisher } from '../src/bus/publisher.ts';
import { BusRecorderProvider } from '../src/bus/recorder-provider.ts';
import { sessionProvider } from '../src/bus/session-provider.ts';
import { createRealtimeProvider } from '../src/providers/registry.ts';
import { BusSourceProvider } from '../src/bus/source-provider.ts';
import { barSubject, messageIdOf } from '../src/bus/subjects.ts';
import { decodeSessionConfig } from '../src/config/session-config.ts';
import type { Bar } from '../src/domain/bar.ts';
import { createRealtimeSession } from '../src/session/index.ts';
import { startBinanceSimulator, syntheticSymbols } from '../src/sim/binance/index.ts';
import { startNatsServer } from '../test/support/nats-server.ts';
import { flags, preciseClock, summarize, wallNow } from './support/common.ts';

const f = flags(process.argv.slice(2));
const BARS = Number(f.bars ?? 100_000);
const SYMBOLS = Number(f.symbols ?? 10);
const LATENCY_S = Number(f['latency-s'] ?? 10);
const T0 = Date.UTC(2026, 0, 1);

const symbols = Array.from({ length: SYMBOLS }, (_, i) => `SYM${String(i).padStart(4, '0')}USDT`);
let bars: Bar[] = Array.from({ length: BARS }, (_, i) => {
  const openTime = T0 + Math.floor(i / SYMBOLS) * 60_000;
  return { provider: 'binance', symbol: symbols[i % SYMBOLS]!, interval: '1m', openTime, closeTime: openTime + 59_999, open: 100, high: 101, low: 99, close: 100 + (i % 7) / 10, volume: 1 + i % 3, vwap: 100.1, tradeCount: i % 50, final: true, receivedAt: 0 };
});

const nats = await startNatsServer();
const result: Record<string, unknown> = { bars: BARS, symbols: SYMBOLS, node: process.version };
try {
  type Run = { barsPerSecond: number; publishBarsPerSecond: number; seconds: number };
  const runOurs = async (run: string): Promise<Run> => {
    const config = decodeBusConfig({ url: nats.url, stream: `OURS${run}`, subject_prefix: `ours${run}` });
    const publisher = await BusPublisher.open(config);
    const source = new BusSourceProvider(config, `bench${run}`, 'binance');
    await source.connect();
    let got = 0;
    const done = new Promise<void>((resolve) => source.onData(() => {
      got++;
      // A session checkpoints and commits on its flush cadence; here every 1,000 bars.
      if (got % 1_000 === 0 || got === bars.length) { const c = source.checkpoint(got); if (c) source.commit(c); }
      if (got === bars.length) resolve();
    }));
    await source.subscribe(symbols, '1m');
    const start = wallNow();
    for (const b of bars) publisher.publish({ ...b, receivedAt: wallNow() });
    await publisher.flush();
    const published = wallNow();
    await done;
    const end = wallNow();
    const r = { barsPerSecond: Math.round(bars.length / ((end - start) / 1000)), publishBarsPerSecond: Math.round(bars.length / ((published - start) / 1000)), seconds: (end - start) / 1000 };
    await publisher.close();
    await source.disconnect();
    return r;
  };
  const runBare = async (run: string): Promise<Run> => {
    const nc = await connect({ servers: nats.url });
    const jsm = await jetstreamManager(nc);
    await jsm.streams.add({ name: `BARE${run}`, subjects: [`bare${run}.>`], storage: 'file', duplicate_window: 3_600_000_000_000 });
    const js = jetstream(nc);
    let got = 0;
    let resolveDone!: () => void;
    const done = new Promise<void>((r) => { resolveDone = r; });
    for (const s of symbols) {
      const name = `bare${run}_${s}`;
      await jsm.consumers.add(`BARE${run}`, { durable_name: name, filter_subject: barSubject(`bare${run}`, 'binance', '1m', s), ack_policy: 'all', deliver_policy: 'all' });
      const messages = await (await js.consumers.get(`BARE${run}`, name)).consume({ max_messages: 512 });
      void (async () => {
        let n = 0;
        for await (const m of messages) {
          JSON.parse(new TextDecoder().decode(m.data));
          if (++n % 1_000 === 0) m.ack();
          if (++got === bars.length) { m.ack(); resolveDone(); }
        }
      })();
    }
    const start = wallNow();
    for (let i = 0; i < bars.length; i += 256) {
      await Promise.all(bars.slice(i, i + 256).map((b) => js.publish(barSubject(`bare${run}`, b.provider, b.interval, b.symbol), encodeBar({ ...b, receivedAt: wallNow() }), { msgID: messageIdOf(b) })));
    }
    const published = wallNow();
    await done;
    const end = wallNow();
    const r = { barsPerSecond: Math.round(bars.length / ((end - start) / 1000)), publishBarsPerSecond: Math.round(bars.length / ((published - start) / 1000)), seconds: (end - start) / 1000 };
    await nc.drain();
    return r;
  };
  if (f.only !== 'latency') {
  // Warm-up of both paths (JIT, the server's first streams), then alternating measured runs; medians reported.
  const full = bars;
  bars = full.slice(0, 10_000);
  await runOurs('w'); await runBare('w');
  bars = full;
  const ours: Run[] = [];
  const bare: Run[] = [];
  for (const run of ['1', '2', '3']) { ours.push(await runOurs(run)); bare.push(await runBare(run)); }
  const median = (runs: Run[]) => [...runs].sort((x, y) => x.barsPerSecond - y.barsPerSecond)[1]!;
  result.ours = { median: median(ours), runs: ours.map((r) => r.barsPerSecond) };
  result.bare = { median: median(bare), runs: bare.map((r) => r.barsPerSecond) };
  result.ratio = Number((median(ours).barsPerSecond / median(bare).barsPerSecond).toFixed(2));
  }

  // --- 2. Frame → strategy latency through two sessions.
  {
    const sim = await startBinanceSimulator({ symbols: syntheticSymbols(20), tickMs: 20, marketStepMs: 60_000 });
    const dir = mkdtempSync(join(tmpdir(), 'argo-bench-bus-'));
    const bus = { url: nats.url, stream: 'LAT', subject_prefix: 'lat' };
    const recConfig = decodeSessionConfig({
      session: { id: 'bench-rec', realtime_provider: 'binance-realtime', symbols: sim.symbols, interval: '1m', realtime_provider_config: { ws_url: sim.wsUrl, rest_url: sim.restUrl } },
      bus,
    });
    // Built as the session would, kept to sample the recorder's frame → JetStream ack time per settled batch.
    const recProvider = sessionProvider(recConfig, 'bench-rec', () => createRealtimeProvider(recConfig.realtimeProvider, recConfig.realtimeProviderConfig, { clock: preciseClock })) as BusRecorderProvider;
    const recorder = createRealtimeSession(recConfig, { provider: recProvider });
    const ackLags: number[] = [];
    const hostConfig = decodeSessionConfig({
      session: { id: 'bench-host', realtime_provider: 'binance-realtime', symbols: sim.symbols, interval: '1m', storage_config: { output_path: join(dir, 'host.duckdb') } },
      strategy: { path: fileURLToPath(new URL('./fixtures/latency.strategy.ts', import.meta.url)), config: { batch: 100 } },
      bus: { ...bus, mode: 'consume' },
    });
    const hostProvider = sessionProvider(hostConfig, 'bench-host', () => { throw new Error('unused'); });
    const arrivals: number[] = [];
    hostProvider.onData((b) => arrivals.push(wallNow() - b.receivedAt));
    const host = createRealtimeSession(hostConfig, { provider: hostProvider });
    const samples: number[] = [];
    host.on('mark', (m) => {
      const v = m.value as { samples?: [number, number][] } | undefined;
      if (m.name === 'latency' && Array.isArray(v?.samples)) for (const [, ms] of v.samples) samples.push(ms);
    });
    await host.start();
    await recorder.start();
    recProvider.bus!.onChange((st) => ackLags.push(st.lagMs));
    await new Promise((r) => setTimeout(r, LATENCY_S * 1000));
    await recorder.stop();
    await host.stop();
    await sim.close();
    // The first second is the warm-up (worker start, JIT, consumer creation).
    const s = summarize(samples.slice(Math.min(samples.length, 1_000)));
    result.latencyMs = { n: s.n, p50: Number(s.p50.toFixed(2)), p99: Number(s.p99.toFixed(2)), max: Number(s.max.toFixed(2)) };
    const h = summarize(arrivals.slice(Math.min(arrivals.length, 1_000)));
    result.frameToHostProviderMs = { n: h.n, p50: Number(h.p50.toFixed(2)), p99: Number(h.p99.toFixed(2)), max: Number(h.max.toFixed(2)) };
    const a = summarize(ackLags.slice(Math.floor(ackLags.length / 10)));
    result.recorderAckLagMs = { n: a.n, p50: Number(a.p50.toFixed(2)), p99: Number(a.p99.toFixed(2)), max: Number(a.max.toFixed(2)) };
  }
} finally {
  await nats.stop();
}
// Run from bench/run.ts (a forked child): the result goes back over IPC before the exit.
if (process.send) process.send({ type: 'result', result }, () => process.exit(0));
else {
  console.log(JSON.stringify(result, null, 2));
  process.exit(0);
}
