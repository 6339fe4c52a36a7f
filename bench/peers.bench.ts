/**
 * Peer benchmark: the same independent Binance firehose (the project's simulator in its own process, the `updates`
 * mix of support/mix.ts: 1m candles, an update per 2 s of market time, so 30 updates and one closed frame per
 * candle) drained by one client per run, for a fixed number of kline messages:
 *
 *   --client floor     bare `ws` + JSON.parse
 *   --client binance   the `binance` SDK's WebsocketClient (tiagosiebler), no persistence
 *   --client ccxt      ccxt pro `watchOHLCVForSymbols`, no persistence
 *   --client record    `argo-realtime record`'s session (provider → session → DuckDB writer, defaults), durable;
 *                      afterwards every closed candle of the file is compared with the simulator's own klines
 *   --client session   the same plus the no-op strategy in its worker and the paper broker
 *
 * The peers come from bench/peers/node_modules (`npm run bench:peers:install`); when that folder is missing the
 * run reports `skipped`. Every client points at the simulator on 127.0.0.1 only. With `taskset` present the
 * simulator is pinned to CPU 0 and this process (all its threads) to CPU 1.
 *
 *   node bench/peers.bench.ts --client binance --symbols 1000 --messages 200000
 *   node bench/peers.bench.ts --client record --symbols 1000 --profile /tmp/record.cpuprofile   (see scripts/profile-record.ts)
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import WebSocket from 'ws';
import { flags, preciseClock, report, tempDb, removeDb, until } from './support/common.ts';
import { MIXES } from './support/mix.ts';
import { forkSimulator, streamNames, type SimProcess } from './support/sim-control.ts';
// The library (and so DuckDB, XState, effect) is imported only by the record and session runs, so that the other
// clients' memory is theirs alone.

export const PEER_CLIENTS = ['floor', 'binance', 'ccxt', 'record', 'session'] as const;
export type PeerClient = (typeof PEER_CLIENTS)[number];

/** Where the optional peer packages are installed. */
export const PEERS_DIR = fileURLToPath(new URL('./peers/', import.meta.url));

/** Name and version of an installed peer package, or undefined when bench/peers is not installed. */
export const peerVersion = (name: 'binance' | 'ccxt'): string | undefined => {
  const file = `${PEERS_DIR}node_modules/${name}/package.json`;
  return fs.existsSync(file) ? (JSON.parse(fs.readFileSync(file, 'utf8')) as { version: string }).version : undefined;
};

/** What one run measured. */
export interface PeerResult {
  readonly client: PeerClient;
  readonly symbols: number;
  /** Set when the client could not run (peer packages not installed): the reason. */
  readonly skipped?: string;
  readonly version?: string;
  readonly messages: number;
  readonly closedBars: number;
  /** Messages/s from the first message received until the last was handled (record/session: durable). */
  readonly rate: number;
  /** CPU of this process (every thread) per message, µs. */
  readonly cpuUsPerMsg: number;
  /** Of which on the main JavaScript thread, µs (the rest: DuckDB's threads, GC helpers, libuv, workers). */
  readonly mainCpuUsPerMsg?: number;
  /** Peak resident set of this process, MB. */
  readonly peakRssMb: number;
  /** RSS once the client was ready, before the first message, MB. */
  readonly readyRssMb: number;
  readonly simCpu: number;
  readonly pinned: boolean;
  /** record/session, once every message was handled: V8 heap and external memory, and DuckDB's own accounting, MB. */
  readonly memory?: { readonly heapUsedMb: number; readonly externalMb: number; readonly duckdbMb: Readonly<Record<string, number>>; readonly writerFlushes: number };
  /** record/session: closed candles in the file, and those differing from the simulator's (must be 0). */
  readonly check?: { readonly rows: number; readonly expected: number; readonly mismatched: number; readonly missing: number };
}

const hasTaskset = (): boolean => {
  try {
    execFileSync('taskset', ['-p', String(process.pid)], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
};
const pin = (pid: number, cpu: number): void => void execFileSync('taskset', ['-a', '-p', '-c', String(cpu), String(pid)], { stdio: 'ignore' });

/** A client under test: connects and subscribes, counts handled messages, stops. */
interface Client {
  readonly handled: () => number;
  /** Resolves once everything received is handled (record/session: durable). */
  readonly finish: () => Promise<void>;
  /** record/session: where the memory is (see {@link PeerResult.memory}). */
  readonly memory?: () => Promise<PeerResult['memory']>;
  readonly stop: () => Promise<void>;
}

const peerRequire = createRequire(`${PEERS_DIR}package.json`);

// The parts of the peers' APIs used here (their own types live in bench/peers/node_modules, outside tsc's reach
// when the folder is not installed).
interface BinanceSdk {
  WebsocketClient: new (options: { wsUrl: string }, logger: unknown) => {
    on(event: 'message', listener: () => void): void;
    on(event: 'response', listener: (e: { request?: { method?: string; params?: unknown[] } }) => void): void;
    subscribe(topics: string[], wsKey: string): Promise<unknown>;
    closeAll(force: boolean): void;
  };
}
interface CcxtExchange {
  urls: { api: Record<string, unknown> & { ws: Record<string, unknown> } };
  markets_by_id: Record<string, { symbol: string }[]> | undefined;
  loadHttpProxyAgent(): Promise<unknown>;
  loadMarkets(): Promise<unknown>;
  handleMessage(client: unknown, message: unknown): void;
  watchOHLCVForSymbols(pairs: string[][]): Promise<unknown>;
  close(): Promise<unknown>;
}
interface Ccxt { pro: { binance: new (config: { options: Record<string, unknown> }) => CcxtExchange } }

const floorClient = async (sim: SimProcess, interval: string): Promise<Client> => {
  let count = 0;
  const ws = new WebSocket(`${sim.wsUrl}/ws/${streamNames(sim.symbols, interval).join('/')}`, { perMessageDeflate: false });
  ws.on('message', (data) => {
    JSON.parse(data.toString());
    count++;
  });
  await new Promise((resolve, reject) => { ws.once('open', resolve); ws.once('error', reject); });
  return { handled: () => count, finish: async () => {}, stop: async () => { ws.terminate(); } };
};

const binanceClient = async (sim: SimProcess, interval: string): Promise<Client> => {
  const { WebsocketClient } = peerRequire('binance') as BinanceSdk;
  let count = 0;
  // No logging (the default logger prints every subscribe); market data needs no keys.
  const silent = { trace: () => {}, info: () => {}, error: () => {} };
  const client = new WebsocketClient({ wsUrl: sim.wsUrl }, silent);
  client.on('message', () => { count++; });
  // The SDK sends 250 topics per SUBSCRIBE, spaced out, and resolves `subscribe` before the last is answered:
  // wait until the simulator acknowledged every topic.
  let acknowledged = 0;
  client.on('response', (e) => { if (e.request?.method === 'SUBSCRIBE') acknowledged += e.request.params?.length ?? 0; });
  const topics = streamNames(sim.symbols, interval);
  await client.subscribe(topics, 'main');
  await until(() => acknowledged >= topics.length, 30_000, `the SDK's ${topics.length} subscriptions (${acknowledged} acknowledged)`);
  return { handled: () => count, finish: async () => {}, stop: async () => { client.closeAll(true); } };
};

const ccxtClient = async (sim: SimProcess, interval: string): Promise<Client> => {
  const ccxt = peerRequire('ccxt') as Ccxt;
  const exchange = new ccxt.pro.binance({
    options: {
      fetchMarkets: { types: ['spot'] }, fetchMargins: false, fetchCurrencies: false,
      // Binance allows 1,024 streams per connection; ccxt's own cap is 200 per stream.
      subscriptionLimitByStream: { spot: 1024 },
    },
  });
  const urls = exchange.urls;
  urls.api.public = `${sim.restUrl}/api/v3`;
  urls.api.ws = { ...urls.api.ws, spot: `${sim.wsUrl}/ws` };
  // ccxt wants an http.Agent before it opens a plain ws:// URL (a loopback simulator has no TLS).
  await exchange.loadHttpProxyAgent();
  await exchange.loadMarkets();
  // ccxt opens `/ws/<n>` (n: its own connection index); the simulator in this base refuses path segments that are not
  // stream names (h16a's simulator accepts them), so the connection opens on `/ws/`, which is the same endpoint.
  (exchange as unknown as { stream: () => string }).stream = () => '';
  let count = 0;
  const handle = exchange.handleMessage.bind(exchange);
  exchange.handleMessage = (client: unknown, message: unknown) => {
    handle(client, message);
    count++;
  };
  const pairs = sim.symbols.map((s) => [exchange.markets_by_id![s]![0]!.symbol, interval]);
  let running = true;
  let failure: unknown;
  const loop = (async () => {
    while (running) await exchange.watchOHLCVForSymbols(pairs);
  })().catch((e: unknown) => { if (running) failure = e; });
  await until(() => count > 0 || failure !== undefined, 30_000, 'ccxt subscribed');
  if (failure) throw failure;
  return {
    handled: () => count,
    finish: async () => {},
    stop: async () => { running = false; await exchange.close(); await loop; },
  };
};

const argoClient = async (sim: SimProcess, interval: string, dbPath: string, withStrategy: boolean): Promise<Client> => {
  const { installProbes, probe, startPipeline } = await import('./support/pipeline.ts');
  installProbes();
  let session: { flush(): Promise<void>; stop(): Promise<unknown> };
  if (withStrategy) {
    session = await startPipeline({
      wsUrl: sim.wsUrl, restUrl: sim.restUrl, symbols: sim.symbols, interval, dbPath,
      strategy: fileURLToPath(new URL('./fixtures/noop.strategy.ts', import.meta.url)),
    });
  } else {
    const { recordConfig } = await import('../src/cli/run.ts');
    const { createRealtimeSession } = await import('../src/session/index.ts');
    const config = recordConfig({ symbols: sim.symbols, interval, out: dbPath, wsUrl: sim.wsUrl, restUrl: sim.restUrl });
    const s = createRealtimeSession(config, { providerDeps: { clock: preciseClock } });
    await s.start();
    session = s;
  }
  const memory = async (): Promise<PeerResult['memory']> => {
    const mb = (n: number | bigint): number => Number(n) / 2 ** 20;
    const conn = await probe.writer!.connect();
    try {
      const rows = (await conn.runAndReadAll('SELECT tag, memory_usage_bytes, temporary_storage_bytes FROM duckdb_memory()')).getRowObjectsJS();
      const duckdbMb: Record<string, number> = {};
      for (const r of rows) if (Number(r.memory_usage_bytes) > 0) duckdbMb[String(r.tag)] = mb(r.memory_usage_bytes as bigint);
      const u = process.memoryUsage();
      return { heapUsedMb: mb(u.heapUsed), externalMb: mb(u.external), duckdbMb, writerFlushes: probe.flushes };
    } finally {
      conn.closeSync();
    }
  };
  return { handled: () => probe.frames, finish: () => session.flush(), memory, stop: async () => { await session.stop(); } };
};

/** Options of {@link runPeer}; `profile`: write a `.cpuprofile` of this thread over the measured window there. */
export interface PeerOptions { client: PeerClient; symbols: number; messages: number; window: number; profile?: string }

export const runPeer = async (o: PeerOptions): Promise<PeerResult> => {
  const mix = MIXES.updates;
  const base = { client: o.client, symbols: o.symbols };
  const empty = { messages: 0, closedBars: 0, rate: 0, cpuUsPerMsg: 0, peakRssMb: 0, readyRssMb: 0, simCpu: 0, pinned: false };
  if ((o.client === 'binance' || o.client === 'ccxt') && !peerVersion(o.client)) {
    return { ...base, ...empty, skipped: `${o.client} is not installed in bench/peers (npm run bench:peers:install)` };
  }
  const sim = await forkSimulator({ symbolCount: o.symbols, marketStepMs: mix.marketStepMs }, { cork: true });
  const pinned = hasTaskset() && (pin(sim.pid, 0), pin(process.pid, 1), true);
  const dbPath = tempDb('peers');
  let client: Client | undefined;
  try {
    if (o.client === 'floor') client = await floorClient(sim, mix.interval);
    else if (o.client === 'binance') client = await binanceClient(sim, mix.interval);
    else if (o.client === 'ccxt') client = await ccxtClient(sim, mix.interval);
    else client = await argoClient(sim, mix.interval, dbPath, o.client === 'session');
    // ccxt counts the reply to its SUBSCRIBE among handled messages (it waits for it above): count from here.
    const before = client.handled();
    const readyRssMb = process.memoryUsage().rss / 2 ** 20;
    const steps = Math.ceil(o.messages / (o.symbols * mix.framesPerStep));
    let first = 0;
    const ticker = setInterval(() => {
      const n = client!.handled();
      if (first === 0 && n > before) first = performance.now();
      sim.ack(n - before);
    }, 2);
    const profiling = o.profile ? await (await import('./support/cpu-profile.ts')).startProfile(o.profile) : undefined;
    const cpu = process.cpuUsage();
    const mainCpu = process.threadCpuUsage();
    const started = performance.now();
    const done = await sim.credit(o.window, 3600, steps);
    await until(() => client!.handled() - before >= done.framesSent, 120_000, `${done.framesSent} messages (have ${client.handled() - before})`, 1);
    await client.finish();
    const ended = performance.now();
    const used = process.cpuUsage(cpu);
    const usedMain = process.threadCpuUsage(mainCpu);
    clearInterval(ticker);
    await profiling?.stop();
    const messages = done.framesSent;
    const memory = await client.memory?.();
    const result: PeerResult = {
      ...base, ...(o.client === 'binance' || o.client === 'ccxt' ? { version: peerVersion(o.client) } : {}),
      messages, closedBars: Math.floor((steps * mix.marketStepMs) / mix.intervalMs) * o.symbols,
      rate: messages / ((ended - (first || started)) / 1000),
      cpuUsPerMsg: (used.user + used.system) / messages,
      mainCpuUsPerMsg: (usedMain.user + usedMain.system) / messages,
      peakRssMb: process.resourceUsage().maxRSS / 1024, readyRssMb,
      simCpu: done.cpuMs / done.wallMs, pinned, ...(memory ? { memory } : {}),
    };
    await client.stop();
    client = undefined;
    if (o.client !== 'record' && o.client !== 'session') return result;
    const { checkClosedBars } = await import('./support/peer-check.ts');
    return { ...result, check: await checkClosedBars(dbPath, sim.restUrl, sim.symbols, mix.interval) };
  } finally {
    await client?.stop().catch(() => undefined);
    await sim.close();
    removeDb(dbPath);
  }
};

if (import.meta.main) {
  const f = flags(process.argv.slice(2));
  const client = (PEER_CLIENTS as readonly string[]).includes(f.client ?? '') ? (f.client as PeerClient) : 'floor';
  report(await runPeer({
    client, symbols: Number(f.symbols ?? 10), messages: Number(f.messages ?? 200_000), window: Number(f.window ?? 20_000),
    ...(f.profile ? { profile: f.profile } : {}),
  }));
  process.exit(0);
}
