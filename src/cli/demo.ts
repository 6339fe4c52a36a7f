/**
 * `argo-realtime demo`: the whole system offline. Starts the Binance simulator on loopback (prices on an
 * accelerated market clock, with malformed frames, duplicates, reordering, dropped connections and a planned
 * server shutdown), runs a session through the real provider with the example MA-cross strategy and the paper
 * broker, writes `./data/demo.duckdb`, and ends with a summary and a check that every closed bar the simulator
 * produced is in the file exactly once.
 */
import { rmSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { DuckDBInstance } from '@duckdb/node-api';
import pc from 'picocolors';
import { decodeSessionConfig, type SessionConfig } from '../config/session-config.ts';
import { describe } from '../errors.ts';
import { siblingModuleUrl } from '../module-url.ts';
import { startBinanceSimulator, type BinanceSimulator } from '../sim/binance/index.ts';
import type { RealtimeSession } from '../session/session.ts';
import { EXIT, type ExitCode } from './exit-codes.ts';
import type { Output } from './output.ts';
import { runSession, type ObservabilityFlags } from './session-run.ts';
import { printSummary } from './summary.ts';

/** Demo options. */
export interface DemoOptions {
  readonly durationS: number;
  readonly seed: number;
  /** Database file, overwritten (default `data/demo.duckdb`). */
  readonly db: string;
  readonly observe?: ObservabilityFlags;
}

const SYMBOLS = ['BTCUSDT', 'ETHUSDT', 'SOLUSDT'];
// ma-cross.strategy.ts from sources, the built .js in an installed package.
const STRATEGY = fileURLToPath(siblingModuleUrl('../../examples/ma-cross.strategy', import.meta.url));

/** The demo's session configuration, against a simulator at `wsUrl` / `restUrl`. */
export const demoConfig = (wsUrl: string, restUrl: string, db: string): SessionConfig =>
  decodeSessionConfig({
    session: {
      realtime_provider: 'binance-realtime',
      realtime_provider_config: {
        ws_url: wsUrl, rest_url: restUrl, reconnect_delay_ms: 100, reconnect_max_delay_ms: 1_000,
        // History for the strategy's moving averages, so it can trade within seconds.
        backfill_on_start_bars: 10,
      },
      trading_provider: 'paper',
      trading_provider_config: { initial_cash: 100_000, currency: 'USDT', fee_rate: 0.001 },
      storage_config: { output_path: db, flush_interval_ms: 500 },
      symbols: SYMBOLS,
      interval: '1m',
    },
    strategy: { path: STRATEGY, config: { fast: 2, slow: 5, quantity: 0.5 } },
  }, 'demo config');

const MINUTE = 60_000;

/** Resolves once the session has received every symbol's bar opening at `openTime`, or after `timeoutMs`. */
const caughtUp = (session: RealtimeSession, openTime: number, timeoutMs: number): Promise<void> =>
  new Promise((resolve) => {
    const done = () => SYMBOLS.every((s) => (session.stats().lastBars[s]?.openTime ?? -Infinity) >= openTime);
    if (done()) return resolve();
    const timer = setTimeout(finish, timeoutMs);
    const off = session.on('bar', () => { if (done()) finish(); });
    function finish() { clearTimeout(timer); off(); resolve(); }
  });

/** Compares the stored bars with the simulator's closed bars, per symbol, from the first stored one to `upTo` (or the last stored). */
const exactness = async (sim: BinanceSimulator, db: string, table: string, upTo: number): Promise<{ exact: boolean; detail: string }> => {
  const instance = await DuckDBInstance.create(db, { access_mode: 'READ_ONLY' });
  const connection = await instance.connect();
  try {
    const problems: string[] = [];
    let compared = 0;
    for (const symbol of SYMBOLS) {
      const reader = await connection.runAndReadAll(
        `SELECT epoch_ms("timestamp")::DOUBLE AS t, open, high, low, close, volume FROM "${table}" WHERE symbol = $s AND "interval" = '1m' ORDER BY "timestamp"`,
        { s: symbol },
      );
      const rows = reader.getRowObjectsJS().map((r) => ({ t: Number(r.t), o: Number(r.open), h: Number(r.high), l: Number(r.low), c: Number(r.close), v: Number(r.volume) }));
      const truth = rows.length ? sim.closedBars(symbol, '1m', rows[0]!.t, Math.max(upTo, rows.at(-1)!.t)) : [];
      compared += truth.length;
      const same = rows.length === truth.length && rows.every((r, i) => {
        const k = truth[i]!;
        return r.t === k.t && r.o === Number(k.o) && r.h === Number(k.h) && r.l === Number(k.l) && r.c === Number(k.c) && r.v === Number(k.v);
      });
      if (!same) problems.push(`${symbol}: ${rows.length} stored, ${truth.length} closed by the simulator`);
    }
    return problems.length
      ? { exact: false, detail: problems.join('; ') }
      : { exact: true, detail: `${compared} bars` };
  } finally {
    connection.closeSync();
    instance.closeSync();
  }
};

const sleep = (ms: number, signal?: AbortSignal): Promise<void> =>
  new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal?.addEventListener('abort', () => { clearTimeout(timer); resolve(); }, { once: true });
  });

/** Runs the demo; resolves to the process exit code. */
export const runDemo = async (out: Output, { durationS, seed, db, observe }: DemoOptions): Promise<ExitCode> => {
  // An old demo file would make the session resume it; the demo always starts fresh.
  for (const f of [db, `${db}.wal`]) rmSync(f, { force: true });
  // One market minute every 300 ms of wall time: each symbol closes about three 1m bars a second.
  const sim = await startBinanceSimulator({ seed, tickMs: 100, marketStepMs: 20_000, malformedRate: 0.01, duplicateRate: 0.02, reorderRate: 0.02 });
  const injected: string[] = [];
  let running: RealtimeSession | undefined;
  let upTo = Infinity;
  try {
    const config = demoConfig(sim.wsUrl, sim.restUrl, db);
    out.line(`${pc.bold('argo-realtime demo')}: Binance simulator at ${sim.wsUrl} (offline, accelerated: 1 market minute = 0.3 s)`);
    out.line(`  ${SYMBOLS.join(', ')} 1m → ${db}; strategy ma-cross (examples/ma-cross.strategy.ts) trading through the paper broker; ${durationS} s, Ctrl-C stops early`);
    const result = await runSession({
      out,
      config,
      durationS,
      providerDeps: { seed },
      outputKey: '--db',
      ...(observe ? { observe } : {}),
      onRunning: (session, { stopping, log }) => {
        running = session;
        // A few faults on a schedule, so the reconnect and repair paths show up in a short run.
        const faults: [number, () => void, string, string][] = [
          [0.3, () => sim.dropConnections(), 'the simulator drops every connection', 'dropped connection'],
          [0.55, () => sim.serverShutdown(500), 'the simulator announces serverShutdown (planned restart)', 'serverShutdown'],
          [0.8, () => sim.dropConnections(), 'the simulator drops every connection', 'dropped connection'],
        ];
        void (async () => {
          const t0 = Date.now();
          for (const [share, fault, label, short] of faults) {
            await sleep(Math.max(0, t0 + share * durationS * 1000 - Date.now()), stopping);
            if (stopping.aborted || session.stats().state !== 'running') return;
            log(`${pc.red('fault')} ${label}`);
            fault();
            injected.push(short);
          }
        })();
      },
      // Let every bar the simulator has closed by now arrive (a fault just before the stop may still be repaired
      // by a reconnect and a backfill, which needs the market to go on), then stop the market: the file is
      // compared with the simulator up to those bars. Bounded, so a run that cannot catch up still stops.
      beforeStop: async () => {
        const target = Math.floor(sim.now() / MINUTE) * MINUTE - MINUTE;
        if (running) await caughtUp(running, target, 15_000);
        sim.pause();
        upTo = target;
      },
    });
    if (!result.summary) return result.code;
    const providerStats = pc.dim(`simulator faults survived: malformed frames, duplicates, reordered updates${injected.length ? `, ${injected.join(', ')}` : ''}`);
    let check: string;
    let exact = true;
    try {
      const r = await exactness(sim, db, result.summary.table, upTo);
      exact = r.exact;
      check = r.exact
        ? pc.green(`every closed bar of the simulator is in the file exactly once, in order (${r.detail})`)
        : pc.red(`MISMATCH between the file and the simulator: ${r.detail}`);
    } catch (e) {
      exact = false;
      check = pc.red(`could not compare the file with the simulator: ${describe(e)}`);
    }
    await printSummary(out, result.summary, [`  ${pc.bold('check'.padEnd(10))} ${check}`, `             ${providerStats}`]);
    return result.code !== EXIT.ok ? result.code : exact ? EXIT.ok : EXIT.failure;
  } finally {
    await sim.close();
  }
};
