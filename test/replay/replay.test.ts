/**
 * Replay end to end: a session records the Binance simulator into DuckDB; the recording is replayed through the
 * same session machinery with the paper broker and the MA-cross strategy. The same recording gives the same
 * orders and fills on every replay, at full speed and paced; the source is never written.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeSessionConfig } from '../../src/config/session-config.ts';
import { parseReplaySpeed, replaySession, type ReplayOptions } from '../../src/replay/index.ts';
import { createRealtimeSession } from '../../src/session/index.ts';
import { startBinanceSimulator } from '../../src/sim/binance/index.ts';
import { eventWaits } from '../support/event-waits.ts';
import { queryFile as query } from '../support/duckdb-file.ts';
import { JumpClock } from '../support/jump-clock.ts';

const dir = mkdtempSync(join(tmpdir(), 'argo-replay-test-'));
const source = join(dir, 'recorded.duckdb');

let recorded = 0;
let span = 0;

beforeAll(async () => {
  const sim = await startBinanceSimulator({ tickMs: 20, marketStepMs: 20_000 });
  try {
    const session = createRealtimeSession(decodeSessionConfig({
      session: {
        id: 'rec-1',
        realtime_provider: 'binance-realtime',
        realtime_provider_config: { ws_url: sim.wsUrl, rest_url: sim.restUrl },
        storage_config: { output_path: source, flush_interval_ms: 200 },
        symbols: ['BTCUSDT', 'ETHUSDT'],
        interval: '1m',
      },
    }));
    const waits = eventWaits();
    let seen = 0;
    session.on('bar', () => { seen++; waits.poke(); });
    await session.start();
    // Thirty market minutes of two symbols: enough for the 2/4 moving averages to cross both ways.
    await waits.until(() => seen >= 60, '60 recorded bars');
    recorded = (await session.stop()).bars;
  } finally {
    await sim.close();
  }
  // A bar some other process wrote to the same file: not part of session rec-1.
  await query(source, `INSERT INTO realtime_market_data VALUES ('x', 'binance', 'XRPUSDT', '1m', TIMESTAMP '2026-01-01 00:00:00', 1, 1, 1, 1, 1, NULL, NULL, TIMESTAMP '2100-01-01 00:00:00')`);
  const [r] = await query(source, `SELECT epoch_ms(max(received_at)) - epoch_ms(min(received_at)) AS span FROM realtime_market_data WHERE symbol <> 'XRPUSDT'`);
  span = Number(r!.span);
}, 20_000);

const outputs: string[] = [];
afterAll(() => {
  for (const path of [...outputs, source]) rmSync(dirname(path), { recursive: true, force: true });
});

const replay = async (extra: Partial<ReplayOptions> = {}) => {
  const result = await replaySession(options(extra));
  outputs.push(result.outputPath);
  return result;
};

const options = (extra: Partial<ReplayOptions> = {}): ReplayOptions => ({
  dbPath: source, sessionId: 'rec-1', strategyPath: 'examples/ma-cross.strategy.ts', strategyConfig: { fast: 2, slow: 4 }, ...extra,
});

describe('replay', () => {
  let first: Awaited<ReturnType<typeof replaySession>>;

  it('yields the same orders and fills on every replay of the same recording', async () => {
    first = await replay();
    const second = await replay();
    expect(recorded).toBeGreaterThan(20);
    expect(first.bars).toBe(recorded);
    expect(first.fills.length).toBeGreaterThan(0);
    expect(second.orders).toEqual(first.orders);
    expect(second.fills).toEqual(first.fills);
    expect(second.account).toEqual(first.account);
    expect(second.positions).toEqual(first.positions);
    // Order times follow the recording, not the wall clock.
    const [range] = await query(source, `SELECT epoch_ms(min("timestamp")) AS lo, epoch_ms(max("timestamp")) + 60000 AS hi FROM realtime_market_data WHERE symbol <> 'XRPUSDT'`);
    for (const o of first.orders) {
      expect(o.createdAt).toBeGreaterThanOrEqual(Number(range!.lo));
      expect(o.createdAt).toBeLessThan(Number(range!.hi));
    }
    // Each replay wrote its own database; the recording is untouched.
    expect(first.outputPath).not.toBe(second.outputPath);
    const [out] = await query(first.outputPath, `SELECT count(*) AS n FROM realtime_market_data`);
    expect(Number(out!.n)).toBe(recorded);
    const [logged] = await query(first.outputPath, `SELECT count(*) AS n FROM session_events WHERE session_id = '${first.replayId}' AND type = 'broker:broker.order.place'`);
    expect(Number(logged!.n)).toBe(first.orders.length);
    const [src] = await query(source, `SELECT count(*) AS n FROM realtime_market_data`);
    expect(Number(src!.n)).toBe(recorded + 1);
  });

  it('paces bars by their recorded gaps divided by the speed, with the same result', async () => {
    // The pacing clock records the waits asked for and jumps over them: they add up to the recorded span over four.
    const clock = new JumpClock();
    const paced = await replay({ speed: 4, paceClock: clock });
    expect(clock.waits.every((ms) => ms > 0)).toBe(true);
    expect(clock.waits.reduce((a, b) => a + b, 0)).toBeCloseTo(span / 4, 6);
    expect(paced.orders).toEqual(first.orders);
    expect(paced.fills).toEqual(first.fills);
  });

  it('replays every bar of the table without a session id', async () => {
    const all = await replay({ sessionId: undefined, strategyConfig: { fast: 3, slow: 8 } });
    expect(all.bars).toBe(recorded + 1);
    expect(all.sourceSessionId).toBeUndefined();
  });

  it('refuses the recording as output, an existing output, an unknown session and a bad speed', async () => {
    await expect(replaySession(options({ outputPath: source }))).rejects.toMatchObject({ code: 'CONFIG_INVALID' });
    await expect(replaySession(options({ outputPath: first.outputPath }))).rejects.toMatchObject({ code: 'CONFIG_INVALID', message: expect.stringContaining('exists') });
    await expect(replaySession(options({ sessionId: 'nope' }))).rejects.toMatchObject({ code: 'CONFIG_INVALID', message: expect.stringContaining('no recorded bars') });
    await expect(replaySession(options({ speed: 0 }))).rejects.toMatchObject({ code: 'CONFIG_INVALID' });
    expect(parseReplaySpeed('10x')).toBe(10);
    expect(parseReplaySpeed('0.5x')).toBe(0.5);
    expect(parseReplaySpeed('max')).toBe('max');
    expect(() => parseReplaySpeed('fast')).toThrow(/speed/);
  });
});
