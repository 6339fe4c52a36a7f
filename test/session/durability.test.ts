/**
 * The durability guard's batches over a real DuckDB file, the writer on a SimulatedClock (no timer flush): a batch
 * reaches the writer as one write; one crossing the writer's cap is appended up to the cap and the rest becomes a
 * gap, never refused bar by bar and never lost; while held, whole batches go to the gap.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { SimulatedClock } from 'xstate';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { Bar } from '../../src/domain/bar.ts';
import type { RealtimeError } from '../../src/errors.ts';
import { DurabilityGuard } from '../../src/session/durability.ts';
import { DuckDBRealtimeWriter } from '../../src/storage/duckdb-writer.ts';
import { queryFile } from '../support/duckdb-file.ts';

const bar = (minute: number): Bar => ({
  provider: 'binance', symbol: 'AAA', interval: '1m', openTime: minute * 60_000, closeTime: minute * 60_000 + 59_999,
  open: 100, high: 100, low: 100, close: 100, volume: 1, vwap: null, tradeCount: null, final: true, receivedAt: minute * 60_000 + 60_000,
});
const bars = (from: number, to: number): Bar[] => Array.from({ length: to - from + 1 }, (_, i) => bar(from + i));

const closers: (() => Promise<void>)[] = [];
afterEach(async () => { for (const c of closers.splice(0)) await c(); });

/** A guard over a writer that holds at most 6 rows (4 per flush). */
const setup = async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'durability-'));
  const file = path.join(dir, 'bars.duckdb');
  const sim = new SimulatedClock();
  const writer = await DuckDBRealtimeWriter.open({ output_path: file, flush_interval_ms: 1_000, buffer_size: 4, max_buffered_rows: 6 },
    { clock: sim, flushFirstAtOnce: false });
  const recorded: string[] = [];
  const reported: RealtimeError[] = [];
  const guard = new DurabilityGuard({
    writer, path: ':memory:', reportEveryMs: 5_000, now: () => sim.now(),
    record: (type) => recorded.push(type), report: (e) => reported.push(e), fatal: () => undefined,
  });
  const appends = vi.spyOn(writer.buffer, 'append');
  closers.push(async () => { guard.close(); await writer.close(); fs.rmSync(dir, { recursive: true, force: true }); });
  return { file, writer, guard, recorded, reported, appends };
};

describe('DurabilityGuard.write', () => {
  it('appends a batch that fits as one write', async () => {
    const { writer, guard, appends } = await setup();
    guard.write(bars(1, 3));
    expect(appends.mock.calls.map(([b]) => b.length)).toEqual([3]);
    expect(writer.getStats()).toMatchObject({ totalWrites: 3, overflowCount: 0 });
    expect(guard.stats().holding).toBe(false);
  });

  it('appends a batch crossing the cap up to the cap and leaves the rest to a gap, which later batches join', async () => {
    const { file, writer, guard, recorded, reported, appends } = await setup();
    guard.write(bars(1, 8));
    // Six bars fit; the seventh is offered alone and refused, which marks the writer overflowed (as bar-by-bar writes did).
    expect(appends.mock.calls.map(([b]) => b.length)).toEqual([6, 1]);
    expect(writer.getStats()).toMatchObject({ totalWrites: 6, overflowCount: 1 });
    expect(guard.stats()).toMatchObject({ holding: true, gapsOpened: 1,
      openGaps: [{ provider: 'binance', symbol: 'AAA', interval: '1m', from: 7 * 60_000, to: 9 * 60_000, bars: 2 }] });
    expect(recorded).toEqual(['durability:holding', 'durability:gap.opened']);
    expect(reported.map((e) => e.code)).toContain('BUFFER_OVERFLOW');

    // Held: a whole batch goes to the same gap, the writer is not asked.
    guard.write(bars(9, 11));
    expect(appends).toHaveBeenCalledTimes(2);
    expect(guard.stats().openGaps).toEqual([{ provider: 'binance', symbol: 'AAA', interval: '1m', from: 7 * 60_000, to: 12 * 60_000, bars: 5 }]);
    expect(guard.unpersisted()).toEqual([
      { provider: 'binance', symbol: 'AAA', interval: '1m', from: 60_000, to: 7 * 60_000, bars: 6, kind: 'buffered' },
      { provider: 'binance', symbol: 'AAA', interval: '1m', from: 7 * 60_000, to: 12 * 60_000, bars: 5, kind: 'gap' },
    ]);

    // The six taken bars are stored once each; none of the gap's.
    await writer.flush();
    guard.close();
    await writer.close();
    expect(await queryFile(file, 'SELECT epoch_ms("timestamp")::DOUBLE AS t FROM realtime_market_data ORDER BY t'))
      .toEqual(bars(1, 6).map((b) => ({ t: b.openTime })));
  });

  it('leaves the whole batch to a gap when the writer is already at its cap', async () => {
    const { writer, guard, appends } = await setup();
    guard.write(bars(1, 6));
    guard.write(bars(7, 9));
    expect(appends.mock.calls.map(([b]) => b.length)).toEqual([6, 1]);
    expect(writer.getStats()).toMatchObject({ totalWrites: 6, overflowCount: 1 });
    expect(guard.stats().openGaps).toEqual([{ provider: 'binance', symbol: 'AAA', interval: '1m', from: 7 * 60_000, to: 10 * 60_000, bars: 3 }]);
  });
});
