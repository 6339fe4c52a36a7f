/**
 * Corrections across faults: the Polygon simulator publishes each minute bar, then corrects it one market second
 * later; between the two the socket is dropped or ended with `force_disconnect`, or the session stops and a new
 * one starts on the same file. The correction is then only in REST: the catch-up (or the resume) re-reads it and the
 * table ends with the corrected values. The market is driven step by step (paused simulator), so each fault lands
 * exactly between a preliminary bar and its correction.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { decodeSessionConfig } from '../../src/config/session-config.ts';
import type { Bar } from '../../src/domain/bar.ts';
import { createRealtimeSession, type RealtimeSession } from '../../src/session/index.ts';
import { startPolygonSimulator, type PolygonSimulator } from '../../src/sim/polygon/index.ts';
import { loggedEvents, polygonTruth, storedRows } from './support/recording.ts';

const SYMBOLS = ['AAPL', 'MSFT'];
const M = 60_000;
let dir: string;
beforeAll(() => { dir = fs.mkdtempSync(path.join(os.tmpdir(), 'corrections-')); });
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

const sessions: RealtimeSession[] = [];
afterEach(async () => {
  for (const s of sessions.splice(0)) await s.stop().catch(() => undefined);
});

/** A session recording the simulator's minute bars into `file`, with the simulator's clock as market time. */
const startSession = async (sim: PolygonSimulator, file: string) => {
  const config = decodeSessionConfig({
    session: {
      realtime_provider: 'polygon-realtime',
      realtime_provider_config: { api_key: sim.options.apiKeys[0], feed: 'stocks', ws_url: sim.wsUrl, rest_url: sim.restUrl, reconnect_delay_ms: 50 },
      storage_config: { output_path: file, flush_interval_ms: 100 },
      symbols: SYMBOLS, interval: '1m',
    },
  });
  const session = createRealtimeSession(config, { providerDeps: { marketTime: () => sim.now() } });
  sessions.push(session);
  const bars: Bar[] = [];
  session.on('bar', (b) => bars.push(b));
  await session.start();
  return { session, bars };
};

/** Resolves once `bars` holds a bar of every symbol at `openTime` matching `ok` (listening to new ones). */
const barsAt = (session: RealtimeSession, bars: Bar[], openTime: number, ok: (b: Bar) => boolean = () => true) =>
  new Promise<void>((resolve, reject) => {
    const done = () => SYMBOLS.every((s) => bars.some((b) => b.symbol === s && b.openTime === openTime && ok(b)));
    if (done()) return resolve();
    const timer = setTimeout(() => { off(); reject(new Error(`no bars at ${new Date(openTime).toISOString()}`)); }, 60_000);
    const off = session.on('bar', () => { if (done()) { clearTimeout(timer); off(); resolve(); } });
  });

/** The corrected value the simulator holds for a minute now (its high rises with each correction). */
const truthAt = (sim: PolygonSimulator, symbol: string, openTime: number) => sim.closedBars(symbol, '1m', openTime, openTime)[0]!;

describe('Polygon corrections across drops, force_disconnect and restarts', () => {
  let sim: PolygonSimulator;
  beforeAll(async () => {
    // Minute-aligned start (the simulator's clock starts now by default): minute k closes after exactly k minutes.
    sim = await startPolygonSimulator({ seed: 5, startTime: Math.floor(Date.now() / M) * M - 10 * M, paused: true, correctionRate: 1, correctionDelayMs: 1_000, quietMinuteRate: 0, symbols: { stocks: SYMBOLS } as never });
  });
  afterAll(async () => { await sim.close(); });

  it('ends with the corrected values when each correction was sent while the socket was down', async () => {
    const file = path.join(dir, 'faults.duckdb');
    const { session, bars } = await startSession(sim, file);
    const first = sim.now();
    const faults = ['drop', 'force_disconnect', 'drop', 'force_disconnect'] as const;
    for (const [k, fault] of faults.entries()) {
      const openTime = first + k * M;
      // Minute k closes: its preliminary bar is published live...
      sim.advance(k === 0 ? 60 : 59);
      await barsAt(session, bars, openTime);
      const preliminary = truthAt(sim, 'AAPL', openTime);
      // ...the socket goes down, and one market second later the correction is made while nobody listens.
      if (fault === 'drop') sim.dropConnections();
      else sim.disconnectWith('force_disconnect');
      sim.advance(1);
      expect(truthAt(sim, 'AAPL', openTime).h).toBeGreaterThan(preliminary.h);
      await barsAt(session, bars, openTime, (b) => b.correction === true);
    }
    const stats = session.stats();
    const summary = await session.stop();
    expect(summary.state).toBe('stopped');
    expect(stats.durability!.corrections).toBeGreaterThanOrEqual(faults.length * SYMBOLS.length);
    for (const symbol of SYMBOLS) {
      const { rows, distinctIds } = await storedRows(file, symbol);
      expect(distinctIds).toBe(rows.length);
      const truth = polygonTruth(sim, symbol, '1m', first, first + (faults.length - 1) * M);
      // Minute bars pushed live carry no trade count; REST corrections do.
      expect(rows.slice(0, faults.length)).toEqual(truth.map((t, i) => (rows[i]?.n === null ? { ...t, n: null } : t)));
    }
    const applied = await loggedEvents(file, 'durability:correction.applied');
    expect(applied.length).toBeGreaterThanOrEqual(faults.length * SYMBOLS.length);
  }, 60_000);

  it('applies a correction made while no session was running, on the next start on the same file', async () => {
    const file = path.join(dir, 'restart.duckdb');
    // Back on a minute boundary (the test before ends one second past one).
    sim.advance(((M - (sim.now() % M)) % M) / 1000);
    const one = await startSession(sim, file);
    const openTime = sim.now();
    sim.advance(60);
    await barsAt(one.session, one.bars, openTime);
    await one.session.stop();
    const preliminary = (await storedRows(file, 'AAPL')).rows.find((r) => r.t === openTime)!;
    // The correction happens while nothing records.
    sim.advance(1);
    const corrected = truthAt(sim, 'AAPL', openTime);
    expect(corrected.h).toBeGreaterThan(preliminary.h);
    const two = await startSession(sim, file);
    await barsAt(two.session, two.bars, openTime, (b) => b.correction === true);
    expect(two.session.stats().durability!.corrections).toBeGreaterThanOrEqual(SYMBOLS.length);
    await two.session.stop();
    for (const symbol of SYMBOLS) {
      const row = (await storedRows(file, symbol)).rows.find((r) => r.t === openTime)!;
      const truth = truthAt(sim, symbol, openTime);
      expect({ o: row.o, h: row.h, l: row.l, c: row.c, v: row.v }).toEqual({ o: truth.o, h: truth.h, l: truth.l, c: truth.c, v: truth.v });
    }
  }, 60_000);
});
