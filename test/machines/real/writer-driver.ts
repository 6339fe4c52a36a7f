/**
 * Drives the writer machine through the real DuckDB writer on a real, small tmpfs: `writer.write` is
 * `writeRealtime`, `writer.flush` is `flush()`, `writer.close` is `close()`, `writer.configure` is
 * `setFlushInterval`. Every flush is held at a gate (the writer's own `wrapFlush` hook) until the path's next flush
 * result: a failing flush is released onto a full filesystem (a filler file takes the last byte), a succeeding one
 * onto a disk with room (the filler deleted), and commands the path sends meanwhile reach a flush that is really
 * running. Timers and DuckDB's answers are the system's own doing.
 */
import { openSync, rmSync, writeSync, closeSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import type { Bar } from '../../../src/domain/bar.ts';
import { DuckDBRealtimeWriter } from '../../../src/storage/duckdb-writer.ts';
import type { Driver, PlannedPath } from '../../support/machine-paths/paths.ts';
import type { InspectionRecorder } from '../../support/machine-paths/recorder.ts';

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
  /** Flushes held at the gate, oldest first: each resolves to let its flush go on to DuckDB. */
  readonly held: (() => void)[];
  /** Once set (at the end of the path), flushes pass the gate. */
  open: boolean;
  readonly recorder: InspectionRecorder;
  step: number;
}

/** A bar the writer refuses (a NaN price), so that the first write of a fresh writer leaves nothing to flush. */
export const invalidBar = (n: number): Bar => ({ ...nthBar(n), open: Number.NaN });

const RESULTS = ['xstate.error.actor.closeStore', 'xstate.done.actor.closeStore'];
const FLUSH_RESULTS = ['xstate.error.actor.flushBatch', 'xstate.done.actor.flushBatch'];

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
      const initial = path.steps[0]!.state.context as { flushIntervalMs: number; flushFirstAtOnce: boolean; maxFlushRows: number };
      const held: (() => void)[] = [];
      let system: WriterSystem | undefined;
      const writer = await DuckDBRealtimeWriter.open(
        { output_path: dbPath, buffer_size: settings.bufferSize, flush_interval_ms: initial.flushIntervalMs, retry_base_ms: 300, retry_max_ms: 300, close_retries: 1 },
        {
          // The real writer runs with the settings the path was planned with (the first write flushed at once, or not).
          inspect: recorder.inspect, idleCheckpointMs: 0, flushFirstAtOnce: initial.flushFirstAtOnce, maxFlushRows: initial.maxFlushRows,
          wrapFlush: (input, next) => (system?.open ? next(input) : new Promise<void>((resolve) => {
            held.push(resolve);
            recorder.poke();
          }).then(() => next(input))),
        },
      );
      system = { writer, path, dbPath, filler: join(dir, `filler-${run}`), written: [], held, open: false, recorder, step: 0 };
      return system;
    },
    observed: (system) => system.writer.buffer.actor,
    async act(system, event, before) {
      const i = ++system.step;
      // A flush result releases the held flush onto a full disk or one with room.
      if (FLUSH_RESULTS.includes(event.type)) {
        const release = await system.recorder.until(() => system.held.shift(), 'a flush held at the gate');
        if (event.type.startsWith('xstate.error.')) {
          if (!existsSync(system.filler)) await fill(system.writer, system.filler);
        } else rmSync(system.filler, { force: true });
        return release();
      }
      // The final checkpoint's outcome is set before the action that starts it, never while one is running.
      const running = before.matches({ closing: 'finalizing' });
      const outcome = system.path.steps.slice(i).map((s) => s.event.type).find((t) => RESULTS.includes(t));
      if (!running && outcome !== undefined) {
        if (outcome.startsWith('xstate.error.') && !existsSync(system.filler)) await fill(system.writer, system.filler);
        if (outcome.startsWith('xstate.done.')) rmSync(system.filler, { force: true });
      }
      const w = system.writer;
      switch (event.type) {
        case 'writer.write': {
          const bars = (event as unknown as { bars: Bar[] }).bars;
          // A bar the writer refuses throws INVALID_MESSAGE at the caller (and is counted as rejected).
          // A write while closing is refused at the caller too (CONNECTION_FAILED, "the writer is closing").
          const closing = before.matches('closing');
          for (const bar of bars) {
            try {
              w.writeRealtime(bar);
            } catch (e) {
              if (Number.isFinite(bar.open) && !closing) throw e;
            }
          }
          if (!closing) system.written.push(...bars.filter((b) => Number.isFinite(b.open)));
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
      system.open = true;
      for (const release of system.held.splice(0)) release();
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
      system.open = true;
      for (const release of system.held.splice(0)) release();
      if (system.writer.buffer.actor.getSnapshot().status === 'active') await system.writer.close().catch(() => {});
      // The tmpfs is small: each path's database goes with it.
      for (const suffix of ['', '.wal']) rmSync(`${system.dbPath}${suffix}`, { force: true });
    },
  };
};
