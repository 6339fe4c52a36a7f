/**
 * The session's writer feed over a real DuckDB file, the writer on a SimulatedClock: the event log flushes behind
 * the writer's own flushes (bars first), at once when every bar is durable, and re-read bars are classified.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { SimulatedClock } from 'xstate';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { clockFromXState } from '../../src/clock.ts';
import type { Bar } from '../../src/domain/bar.ts';
import { DurabilityGuard } from '../../src/session/durability.ts';
import { SessionEventLog } from '../../src/session/event-log.ts';
import { StoredBars } from '../../src/session/resume.ts';
import { WriterFeed } from '../../src/session/writer-feed.ts';
import { DuckDBRealtimeWriter } from '../../src/storage/duckdb-writer.ts';

const bar = (minute: number, close = 100): Bar => ({
  provider: 'binance', symbol: 'AAA', interval: '1m', openTime: minute * 60_000, closeTime: minute * 60_000 + 59_999,
  open: close, high: close, low: close, close, volume: 1, vwap: null, tradeCount: null, final: true, receivedAt: minute * 60_000 + 60_000,
});

const closers: (() => Promise<void>)[] = [];
afterEach(async () => { for (const c of closers.splice(0)) await c(); });

const setup = async (stored: StoredBars = new StoredBars([])) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'writer-feed-'));
  const sim = new SimulatedClock();
  const writer = await DuckDBRealtimeWriter.open({ output_path: path.join(dir, 'bars.duckdb'), flush_interval_ms: 1_000, buffer_size: 100 },
    { clock: sim, flushFirstAtOnce: false });
  const conn = await writer.connect();
  const log = await SessionEventLog.open(conn, 's1');
  const guard = new DurabilityGuard({ writer, path: ':memory:', reportEveryMs: 5_000, record: () => undefined, report: () => undefined, fatal: () => undefined, now: () => sim.now() });
  const feed = new WriterFeed({ writer, log, guard, stored, checkpoint: () => undefined, report: () => undefined, fail: (e) => { throw e; }, clock: clockFromXState(sim), retryAfterFailureMs: 1_000 });
  const flushes = vi.spyOn(log, 'flush');
  const flushed = () => new Promise<void>((resolve) => { const off = writer.on('writer.flushed', () => { off(); resolve(); }); });
  const logged = async () => (await SessionEventLog.read(conn, 's1')).map((r) => r.type);
  closers.push(async () => { await feed.close(); guard.close(); conn.closeSync(); await writer.close(); fs.rmSync(dir, { recursive: true, force: true }); });
  // The writer machine's `writer.write` events, each with the number of bars it carried.
  const writeEvents: number[] = [];
  const send = writer.buffer.actor.send.bind(writer.buffer.actor);
  vi.spyOn(writer.buffer.actor, 'send').mockImplementation((event) => {
    if (event.type === 'writer.write') writeEvents.push(event.bars.length);
    send(event);
  });
  const rows = async () => (await conn.runAndReadAll('SELECT epoch_ms("timestamp")::DOUBLE AS t, close FROM realtime_market_data ORDER BY t')).getRowObjectsJS();
  return { sim, writer, log, guard, feed, flushes, flushed, logged, writeEvents, rows };
};

describe('WriterFeed', () => {
  it('flushes an event about a buffered bar only after the writer\'s timer made that bar durable', async () => {
    const { sim, log, feed, flushes, flushed, logged } = await setup();
    feed.write(feed.accept(bar(1))!);
    log.append('broker:order.filled', { bar: bar(1) }, sim.now());
    feed.logged();
    await Promise.resolve();
    // The bar is still buffered: no log flush of its own, no second timer.
    expect(flushes).not.toHaveBeenCalled();
    const durable = flushed();
    sim.increment(1_000);
    await durable;
    expect(flushes).toHaveBeenCalledTimes(1);
    await log.flush();
    expect(await logged()).toEqual(['broker:order.filled']);
  });

  it('flushes the events of the bars a flush made durable while a bar that came during the flush waits', async () => {
    const { sim, log, feed, flushed, logged } = await setup();
    feed.write(feed.accept(bar(1))!);
    log.append('broker:order.filled', { bar: bar(1) }, sim.now());
    feed.logged();
    // The turn ends: bar 1 goes to the writer, its event waits for it.
    await Promise.resolve();
    const durable = flushed();
    sim.increment(1_000);
    // The writer's flush of bar 1 is under way: bar 2 and its event arrive meanwhile, as they do under a steady flow.
    feed.write(feed.accept(bar(2))!);
    log.append('broker:order.placed', { bar: bar(2) }, sim.now());
    feed.logged();
    await durable;
    await feed.close();
    // Only bar 1 is durable: its event is in the file, bar 2's is still queued.
    expect(await logged()).toEqual(['broker:order.filled']);
    expect(log.pendingCount).toBe(1);
  });

  it('flushes an event at once when every bar is already durable', async () => {
    const { sim, log, feed, flushes, logged } = await setup();
    log.append('session:session.state', { state: 'running' }, sim.now());
    log.append('strategy:log', { message: 'hello' }, sim.now());
    feed.logged();
    feed.logged();
    await Promise.resolve();
    // One flush for both events of this turn.
    expect(flushes).toHaveBeenCalledTimes(1);
    await log.flush();
    expect(await logged()).toEqual(['session:session.state', 'strategy:log']);
  });

  it('makes bars and then the log durable on flushAll', async () => {
    const { sim, writer, log, feed, logged } = await setup();
    feed.write(feed.accept(bar(1))!);
    log.append('broker:order.filled', { bar: bar(1) }, sim.now());
    await feed.flushAll();
    expect(writer.getStats()).toMatchObject({ totalWrites: 1, bufferedWrites: 0 });
    expect(await logged()).toEqual(['broker:order.filled']);
  });

  it('skips a re-read bar equal to the stored one and flags a changed one as a correction', async () => {
    const stored = new StoredBars([{ provider: 'binance', symbol: 'AAA', interval: '1m', lastOpenTime: 60_000, recent: new Map([[60_000, bar(1)]]) }]);
    const { feed } = await setup(stored);
    expect(feed.accept(bar(1))).toBeUndefined();
    expect(feed.accept(bar(1, 101))).toMatchObject({ close: 101, correction: true });
    expect(feed.accept(bar(2))).toEqual(bar(2));
  });

  it('hands the bars written in one turn to the writer machine as one event', async () => {
    const { writer, feed, writeEvents } = await setup();
    for (let m = 1; m <= 5; m++) feed.write(feed.accept(bar(m))!);
    // Nothing reaches the writer until the turn ends: then all five bars, in one `writer.write`.
    expect(writeEvents).toEqual([]);
    await Promise.resolve();
    expect(writeEvents).toEqual([5]);
    feed.write(feed.accept(bar(6))!);
    await Promise.resolve();
    expect(writeEvents).toEqual([5, 1]);
    expect(writer.getStats()).toMatchObject({ totalWrites: 6, bufferedWrites: 6 });
  });

  it('waits for the turn\'s bars before flushing an event logged with them, so the log never leads its bars', async () => {
    const { sim, log, feed, flushes, flushed, logged } = await setup();
    // Every bar is durable (none written yet) when the event is logged; its bar is written after it in the same turn.
    log.append('session:bar.closed', { bar: bar(1) }, sim.now());
    feed.logged();
    feed.write(feed.accept(bar(1))!);
    await Promise.resolve();
    expect(flushes).not.toHaveBeenCalled();
    const durable = flushed();
    sim.increment(1_000);
    await durable;
    expect(flushes).toHaveBeenCalledTimes(1);
    await log.flush();
    expect(await logged()).toEqual(['session:bar.closed']);
  });

  it('stores a batch holding a re-read duplicate, a correction and a repeated bar exactly once, the correction\'s values winning', async () => {
    const { writer, guard, feed, writeEvents, rows } = await setup(new StoredBars([
      { provider: 'binance', symbol: 'AAA', interval: '1m', lastOpenTime: 60_000, recent: new Map([[60_000, bar(1)]]) },
    ]));
    // The stored row the resume point describes.
    writer.writeRealtime(bar(1));
    await writer.flush();
    writeEvents.length = 0;
    for (const received of [bar(1), bar(1, 101), bar(2), bar(2)]) {
      const accepted = feed.accept(received);
      if (accepted) feed.write(accepted);
    }
    await feed.flushAll();
    // The duplicate is skipped before the writer; the correction and both copies of bar 2 go over in one event.
    expect(writeEvents).toEqual([3]);
    expect(guard.stats()).toMatchObject({ duplicatesSkipped: 1, corrections: 1 });
    expect(await rows()).toEqual([{ t: 60_000, close: 101 }, { t: 120_000, close: 100 }]);
  });
});
