/**
 * Kill and restart: the real CLI (`record`) is SIGKILLed at a moment fast-check chooses (during the resume
 * backfill, mid-flush, mid-checkpoint when every flush checkpoints), then started again on the same file in a new
 * process, and finally stopped gracefully. The file then holds every closed bar from its first to its last, once
 * each, with the simulator's exact values: for Binance (a bar every second) and Polygon (sparse second aggregates);
 * 12 + 8 runs (one fixed early kill each, then generated ones).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fc, test } from '@fast-check/vitest';
import { afterAll, beforeAll, describe, expect } from 'vitest';
import { startBinanceSimulator, type BinanceSimulator } from '../../src/sim/binance/index.ts';
import { startPolygonSimulator, type PolygonSimulator } from '../../src/sim/polygon/index.ts';
import { startCli } from '../cli/helpers.ts';
import { eventWaits } from '../support/event-waits.ts';
import { followTrace } from '../support/trace-follow.ts';
import { binanceConfig, binanceTruth, polygonConfig, polygonTruth, simEnv, storedRows } from './support/recording.ts';

const POLYGON_SYMBOLS = ['AAPL', 'MSFT', 'GOOGL'];
// Poked by each simulator's market steps: the down time is market time passing, waited for on those steps.
const waits = eventWaits();
let dir: string;
beforeAll(() => { dir = fs.mkdtempSync(path.join(os.tmpdir(), 'restart-')); });
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

/** Always tried first: a kill as soon as the process runs, while the resume backfill is in flight, and a long down time. */
const EARLY_KILL: [{ kills: { after: number; down: number }[]; enableWal: boolean }] = [{ kills: [{ after: 0, down: 2_000 }, { after: 0, down: 0 }], enableWal: true }];

/** Where each process of a run is killed (ms after it reported `session running`), how long it stays down, the WAL setting. */
const plan = fc.record({
  kills: fc.array(fc.record({ after: fc.integer({ min: 0, max: 2_000 }), down: fc.integer({ min: 0, max: 2_500 }) }), { minLength: 1, maxLength: 2 }),
  enableWal: fc.boolean(),
});

/** A simulator of either venue, as far as the kills need it. */
interface Market {
  now(): number;
  readonly options: { readonly tickMs: number; readonly marketStepMs: number };
}

/** Starts `record`, kills it with SIGKILL `after` ms after it runs; returns once it is gone and the market moved on. */
const killAfter = async (sim: Market, config: string, env: Record<string, string>, kill: { after: number; down: number }): Promise<void> => {
  const cli = startCli(['record', '--config', config], { env });
  await cli.waitFor(/session running/, 30_000);
  // The kill moment is the property's generated input, not a synchronisation: a wall-clock instant that falls
  // anywhere in the child's work (resume backfill, a flush, a checkpoint) is what the property is about.
  await new Promise((r) => setTimeout(r, kill.after));
  cli.child.kill('SIGKILL');
  const r = await cli.exited();
  expect(r.signal, r.stdout + r.stderr).toBe('SIGKILL');
  // Down while the market moves on by what `down` wall ms are in market time: the next start has those bars to fetch.
  const until = sim.now() + (kill.down * sim.options.marketStepMs) / sim.options.tickMs;
  await waits.until(() => sim.now() >= until, `the market to reach ${until}`);
};

/**
 * A last run that is stopped gracefully (SIGINT) only once it is live again: a bar not from REST was delivered, every
 * symbol in `symbols` has a bar (metrics), and the symbols of `symbols` the file already held had their missed bars
 * backfilled (`range backfilled` line). Polygon passes no symbols: its seconds without trades have no bar.
 */
const finishLive = async (config: string, env: Record<string, string>, file: string, symbols: readonly string[]): Promise<void> => {
  const held = new Set<string>();
  for (const symbol of symbols) if ((await storedRows(file, symbol)).rows.length > 0) held.add(symbol);
  // The child's trace file changes whenever its session does something: each change is a moment to scrape again.
  const trace = followTrace(`${file}.trace.jsonl`);
  const cli = startCli(['record', '--config', config, '--metrics', '0', '--trace', `${file}.trace.jsonl`], { env });
  await cli.waitFor(/metrics: http:\/\/127\.0\.0\.1:\d+\/metrics/, 30_000);
  const url = /metrics: (http:\/\/127\.0\.0\.1:\d+\/metrics)/.exec(cli.stdout())![1]!;
  for (const symbol of held) await cli.waitFor(new RegExp(`durability range backfilled ${symbol} `), 60_000);
  const metric = (text: string, name: string) => Number(new RegExp(`^${name}\\{[^}]*\\} (\\d+)`, 'm').exec(text)?.[1] ?? 0);
  const live = async () => {
    const text = await fetch(url).then((res) => res.text(), () => '');
    // A bar that did not come from REST was delivered: the stream is live again past its catch-up.
    const liveBar = metric(text, 'argo_provider_bars_emitted_total') > metric(text, 'argo_provider_bars_backfilled_total');
    return liveBar && symbols.every((symbol) => text.includes(`symbol="${symbol}"}`));
  };
  const exited = cli.exited().then(() => { throw new Error(`exited before it was live again:\n${cli.stdout()}\n${cli.stderr()}`); });
  exited.catch(() => undefined); // its stop below is expected once the loop is done
  try {
    const deadline = Date.now() + 60_000;
    while (!(await live())) {
      if (Date.now() > deadline) throw new Error(`not live again within 60 s:\n${cli.stdout()}\n${cli.stderr()}`);
      await Promise.race([exited, trace.changed(Math.max(1, deadline - Date.now()))]);
    }
  } finally {
    trace.close();
  }
  cli.child.kill('SIGINT');
  const r = await cli.exited();
  expect(r.code, r.stdout + r.stderr).toBe(0);
};

describe('record killed with SIGKILL and restarted on the same file', () => {
  let sim: BinanceSimulator;
  beforeAll(async () => {
    // Twenty market seconds per wall second: every restart leaves a gap of many bars to backfill.
    sim = await startBinanceSimulator({ seed: 12, symbols: ['BTCUSDT', 'ETHUSDT'], startTime: Math.floor(Date.now() / 1000) * 1000, tickMs: 50, marketStepMs: 1_000 });
    sim.on('step', waits.poke);
  });
  afterAll(async () => { await sim.close(); });

  test.prop([plan], { numRuns: 11, endOnFailure: true, examples: [EARLY_KILL] })('keeps every closed Binance bar once with exact values', async ({ kills, enableWal }) => {
    const file = path.join(dir, `binance-${Math.random().toString(36).slice(2)}.duckdb`);
    const config = binanceConfig(dir, file, ['BTCUSDT', 'ETHUSDT'], { enable_wal: enableWal });
    const env = simEnv(sim);
    const firstStart = sim.now();
    for (const kill of kills) await killAfter(sim, config, env, kill);
    const lastStart = sim.now();
    await finishLive(config, env, file, ['BTCUSDT', 'ETHUSDT']);
    for (const symbol of ['BTCUSDT', 'ETHUSDT']) {
      const { rows, distinctIds } = await storedRows(file, symbol);
      expect(rows.length).toBeGreaterThan(0);
      expect(distinctIds).toBe(rows.length);
      const first = rows[0]!.t;
      const last = rows.at(-1)!.t;
      expect(first).toBeGreaterThanOrEqual(firstStart - 1_000);
      // The first live bar after the last start closes at the earliest one second before that start.
      expect(last).toBeGreaterThanOrEqual(lastStart - 1_000);
      // A bar every second from the first stored to the last: no hole, and each equal to the simulator's.
      expect(rows).toEqual(binanceTruth(sim, symbol, first, last));
    }
  }, 400_000);
});

describe('record of Polygon second aggregates killed with SIGKILL and restarted on the same file', () => {
  let sim: PolygonSimulator;
  beforeAll(async () => {
    // Real time: the provider's market time is the local clock, as with the real service.
    sim = await startPolygonSimulator({
      seed: 12, symbols: { stocks: POLYGON_SYMBOLS } as never, startTime: Math.floor(Date.now() / 1000) * 1000, tickMs: 1_000, marketStepMs: 1_000, quietMinuteRate: 0,
    });
    sim.on('step', waits.poke);
  });
  afterAll(async () => { await sim.close(); });

  test.prop([plan], { numRuns: 7, endOnFailure: true, examples: [EARLY_KILL] })('keeps every Polygon bar once with exact values', async ({ kills, enableWal }) => {
    const file = path.join(dir, `polygon-${Math.random().toString(36).slice(2)}.duckdb`);
    const config = polygonConfig(dir, file, POLYGON_SYMBOLS, { enable_wal: enableWal });
    const env = simEnv(sim, sim.options.apiKeys[0]);
    const firstStart = sim.now();
    for (const kill of kills) await killAfter(sim, config, env, kill);
    const lastStart = sim.now();
    await finishLive(config, env, file, []);
    let total = 0;
    let newest = 0;
    for (const symbol of POLYGON_SYMBOLS) {
      const { rows, distinctIds } = await storedRows(file, symbol);
      // Seconds without trades have no bar: a short run may see none for one symbol, never for all.
      total += rows.length;
      if (rows.length === 0) continue;
      expect(distinctIds).toBe(rows.length);
      const first = rows[0]!.t;
      const last = rows.at(-1)!.t;
      expect(first).toBeGreaterThanOrEqual(firstStart - 1_000);
      newest = Math.max(newest, last);
      // Every second with trades from the first stored bar to the last, none twice, each with the simulator's values.
      // Polygon's WebSocket second aggregates carry no trade count (REST does): a bar stored from the stream has none.
      const truth = polygonTruth(sim, symbol, '1s', first, last);
      expect(rows).toEqual(truth.map((t, i) => (rows[i]?.n === null ? { ...t, n: null } : t)));
    }
    expect(total).toBeGreaterThan(0);
    // Seconds without trades have no bar: it is the newest bar of any symbol that must come after the last restart.
    expect(newest).toBeGreaterThanOrEqual(lastStart);
  }, 400_000);
});
