/**
 * Drives the writer machine through the real DuckDB writer on a real, small tmpfs: `writer.write` is
 * `writeRealtime`, `writer.flush` is `flush()`, `writer.close` is `close()`, `writer.configure` is
 * `setFlushInterval`; a failing flush is a full filesystem (a filler file takes the last byte before the flush
 * starts) and a succeeding one after failures is the filler deleted (before the retry starts). Timers and
 * DuckDB's answers are the system's own doing.
 */
import { openSync, rmSync, writeSync, closeSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import type { Bar } from '../../../src/domain/bar.ts';
import { DuckDBRealtimeWriter } from '../../../src/storage/duckdb-writer.ts';
import type { Driver, PlannedPath } from '../../support/machine-paths/paths.ts';

const T0 = Date.UTC(2026, 0, 1);

/** The n-th bar of the run: values derived from n, so the stored rows can be checked exactly. */
export const nthBar = (n: number): Bar => ({
  provider: 'binance', symbol: 'BTCUSDT', interval: '1m', openTime: T0 + n * 60_000, closeTime: T0 + n * 60_000 + 59_999,
  open: 100 + n, high: 101 + n, low: 99 + n, close: 100.5 + n, volume: 1 + n, vwap: null, tradeCount: n, final: true, receivedAt: T0,
});

/** A running system for one path. */
export interface WriterSystem {
  readonly writer: DuckDBRealtimeWriter;
  readonly path: PlannedPath;
  readonly dbPath: string;
  readonly filler: string;
  readonly written: Bar[];
  step: number;
}

const RESULTS = ['xstate.error.actor.flushBatch', 'xstate.done.actor.flushBatch', 'xstate.error.actor.closeStore', 'xstate.done.actor.closeStore'];

/**
 * Fills the filesystem to the last byte. DuckDB appends to a WAL whose last page may still have room, so the WAL is
 * checkpointed away first (through a connection of the writer's own instance): its next commit needs a new page.
 */
const fill = async (writer: DuckDBRealtimeWriter, file: string) => {
  const conn = await writer.connect();
  try {
    await conn.run('CHECKPOINT');
  } finally {
    conn.closeSync();
  }
  const fd = openSync(file, 'a');
  try {
    for (const size of [64 * 1024, 4096, 512, 1]) {
      const chunk = Buffer.alloc(size, 1);
      try {
        for (;;) writeSync(fd, chunk);
      } catch {
        // ENOSPC at this size: go on with smaller writes until not one byte is left.
      }
    }
  } finally {
    closeSync(fd);
  }
};

/** The writer driver over a tmpfs mounted at `dir`. */
export const writerDriver = (dir: string, settings: { bufferSize: number }): Driver<WriterSystem> => {
  let run = 0;
  return {
    async start(path, recorder) {
      run++;
      const dbPath = join(dir, `paths-${run}.duckdb`);
      const writer = await DuckDBRealtimeWriter.open(
        { output_path: dbPath, buffer_size: settings.bufferSize, flush_interval_ms: (path.steps[0]!.state.context as { flushIntervalMs: number }).flushIntervalMs, retry_base_ms: 300, retry_max_ms: 300, close_retries: 1 },
        // The paths are planned with the machine's default settings, where the first write waits for a trigger like any other.
        { inspect: recorder.inspect, idleCheckpointMs: 0, flushFirstAtOnce: false },
      );
      return { writer, path, dbPath, filler: join(dir, `filler-${run}`), written: [], step: 0 };
    },
    observed: (system) => system.writer.buffer.actor,
    async act(system, event, before) {
      const i = ++system.step;
      // The filesystem is made full or given room for the next flush (or final checkpoint) outcome of the path,
      // before the action that starts it, never while one is running (its outcome is already under way).
      const running = before.matches('flushing') || before.matches({ closing: 'flushing' }) || before.matches({ closing: 'finalizing' });
      const outcome = system.path.steps.slice(i).map((s) => s.event.type).find((t) => RESULTS.includes(t));
      if (!running && outcome !== undefined) {
        if (outcome.startsWith('xstate.error.') && !existsSync(system.filler)) await fill(system.writer, system.filler);
        if (outcome.startsWith('xstate.done.')) rmSync(system.filler, { force: true });
      }
      const w = system.writer;
      switch (event.type) {
        case 'writer.write': {
          const bars = (event as unknown as { bars: Bar[] }).bars;
          for (const bar of bars) w.writeRealtime(bar);
          system.written.push(...bars);
          return;
        }
        case 'writer.flush': return void w.flush().catch(() => {});
        case 'writer.close': return void w.close().catch(() => {});
        case 'writer.configure': return void w.setFlushInterval((event as unknown as { flushIntervalMs: number }).flushIntervalMs);
      }
    },
    async check(system) {
      // Whatever the path did, once the disk has room every accepted bar is in DuckDB exactly once, exactly.
      rmSync(system.filler, { force: true });
      if (system.writer.buffer.actor.getSnapshot().status === 'active') await system.writer.close();
      const instance = await DuckDBInstance.create(system.dbPath);
      const conn = await instance.connect();
      try {
        const rows = (await conn.runAndReadAll('SELECT epoch_ms("timestamp") AS t, open, high, low, close, volume, count(*) OVER (PARTITION BY "timestamp") AS n FROM realtime_market_data ORDER BY 1')).getRowObjectsJS();
        const want = system.written.map((b) => [b.openTime, b.open, b.high, b.low, b.close, b.volume, 1]);
        const got = rows.map((r) => [Number(r.t), r.open, r.high, r.low, r.close, r.volume, Number(r.n)]);
        if (JSON.stringify(got) !== JSON.stringify(want)) throw new Error(`stored rows differ from the bars written:\n${JSON.stringify(got)}\n${JSON.stringify(want)}`);
      } finally {
        conn.closeSync();
        instance.closeSync();
      }
    },
    async stop(system) {
      rmSync(system.filler, { force: true });
      if (system.writer.buffer.actor.getSnapshot().status === 'active') await system.writer.close().catch(() => {});
      // The tmpfs is small: each path's database goes with it.
      for (const suffix of ['', '.wal']) rmSync(`${system.dbPath}${suffix}`, { force: true });
    },
  };
};
