/**
 * `argo-realtime demo`: starts the Binance simulator on loopback (prices on an accelerated market clock, with
 * malformed frames, duplicates, reordering, dropped connections and a planned server shutdown), streams closed
 * bars for a few symbols through the real provider, prints bars and connection-state changes, and ends with a
 * check that every closed bar the simulator produced arrived exactly once.
 */
import type { Writable } from 'node:stream';
import pc from 'picocolors';
import type { Bar } from '../domain/bar.ts';
import { BinanceRealtimeProvider } from '../providers/binance/index.ts';
import { startBinanceSimulator } from '../sim/binance/index.ts';
import { EXIT } from './exit-codes.ts';

/** Demo options. */
export interface DemoOptions {
  readonly durationS: number;
  readonly seed: number;
  readonly out: Writable;
}

const SYMBOLS = ['BTCUSDT', 'ETHUSDT', 'SOLUSDT'];

/** Runs the demo; resolves to the process exit code. */
export const runDemo = async ({ durationS, seed, out }: DemoOptions): Promise<number> => {
  const say = (line: string) => out.write(`${line}\n`);
  // One market minute every 600 ms of wall time: a 1m bar closes about twice a second across the symbols.
  const sim = await startBinanceSimulator({ seed, tickMs: 200, marketStepMs: 20_000, malformedRate: 0.01, duplicateRate: 0.02, reorderRate: 0.02 });
  const provider = new BinanceRealtimeProvider({ ws_url: sim.wsUrl, rest_url: sim.restUrl, reconnect_delay_ms: 100, reconnect_max_delay_ms: 1_000 }, { seed });
  const bars: Bar[] = [];
  const t0 = Date.now();
  const at = () => pc.dim(`[${((Date.now() - t0) / 1000).toFixed(1).padStart(5)}s]`);
  say(`${pc.bold('argo-realtime demo')}: Binance simulator at ${sim.wsUrl}, ${SYMBOLS.join(', ')} 1m, ${durationS}s`);
  provider.onConnectionStateChange((state, d) => say(`${at()} ${pc.cyan('connection')} ${state}${d.reason ? ` (${d.reason})` : ''}`));
  provider.onError((e) => {
    if (e.code !== 'INVALID_MESSAGE') say(`${at()} ${pc.yellow(e.code)} ${e.message}`);
  });
  provider.onData((bar) => {
    bars.push(bar);
    const t = new Date(bar.openTime).toISOString().slice(0, 16).replace('T', ' ');
    say(`${at()} ${bar.symbol.padEnd(8)} ${t} O ${bar.open.toFixed(2)} H ${bar.high.toFixed(2)} L ${bar.low.toFixed(2)} C ${bar.close.toFixed(2)} V ${bar.volume.toFixed(3)}${bar.backfilled ? pc.magenta(' (backfilled)') : ''}`);
  });
  const stop = new AbortController();
  const onSignal = () => stop.abort();
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    await provider.connect();
    await provider.subscribe(SYMBOLS, '1m');
    // A few faults on a schedule, so the reconnect and repair paths show up in a short run.
    const faults: [number, () => void, string][] = [
      [0.3, () => sim.dropConnections(), 'simulator drops the connection'],
      [0.55, () => sim.serverShutdown(500), 'simulator announces serverShutdown'],
      [0.8, () => sim.dropConnections(), 'simulator drops the connection'],
    ];
    for (const [share, fault, label] of faults) {
      await sleepUntil(t0 + share * durationS * 1000, stop.signal);
      if (stop.signal.aborted) break;
      say(`${at()} ${pc.red('fault')} ${label}`);
      fault();
    }
    await sleepUntil(t0 + durationS * 1000, stop.signal);
    sim.pause();
    await sleepUntil(Date.now() + 500, stop.signal);
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
  const stats = provider.stats();
  let exact = true;
  for (const s of SYMBOLS) {
    const got = bars.filter((b) => b.symbol === s);
    const truth = got.length ? sim.closedBars(s, '1m', got[0]!.openTime) : [];
    exact &&= got.length === truth.length && got.every((b, i) => b.openTime === truth[i]!.t && b.close === Number(truth[i]!.c));
  }
  await provider.disconnect();
  await sim.close();
  say('');
  say(`${pc.bold('summary')}: ${bars.length} closed bars (${stats.barsBackfilled} backfilled), ${stats.reconnects} reconnects ${JSON.stringify(stats.reconnectReasons)}, ${stats.malformedFrames} malformed frames skipped, ${stats.duplicatesDropped} duplicates dropped`);
  say(exact ? pc.green('every closed bar of the simulator arrived exactly once, in order') : pc.red('MISMATCH: the bars received differ from the simulator\'s'));
  return exact ? EXIT.ok : EXIT.failure;
};

const sleepUntil = (t: number, signal: AbortSignal): Promise<void> =>
  new Promise((resolve) => {
    const ms = Math.max(0, t - Date.now());
    const timer = setTimeout(resolve, ms);
    signal.addEventListener('abort', () => { clearTimeout(timer); resolve(); }, { once: true });
  });
