/**
 * The seed's RealtimeWriter interface in TypeScript: buffer bars, flush them on the seed's triggers, report
 * statistics, close. The DuckDB implementation is `DuckDBRealtimeWriter`; the buffering itself is the writer
 * machine (`machines/writer.machine.ts`), driven by `BufferedWriter`.
 */
import type { Bar } from '../domain/bar.ts';
import type { RealtimeError } from '../errors.ts';

/** The seed's RealtimeWriterStats, plus the two counters the overflow and validation policies need. */
export interface RealtimeWriterStats {
  /** Bars accepted into the buffer since start. */
  readonly totalWrites: number;
  /** Bars accepted and not yet durable (including those of a flush in progress). */
  readonly bufferedWrites: number;
  /** Successful flushes. */
  readonly flushCount: number;
  /** Unix ms when the last successful flush became durable; 0 before the first. */
  readonly lastFlushTime: number;
  /** Mean duration of successful flushes, ms. */
  readonly averageFlushTime: number;
  /** Failed flush attempts (each one kept its rows and was retried). */
  readonly errorCount: number;
  /** Bars refused by validation (INVALID_MESSAGE); they never reach storage. */
  readonly rejectedInvalid: number;
  /** Write calls refused at the buffer cap (BUFFER_OVERFLOW); the caller still holds those bars. */
  readonly overflowCount: number;
}

/** Options of {@link RealtimeWriter.exportParquet}. */
export interface ParquetExportOptions {
  /** Hive partitioning key; `date` (UTC `YYYY-MM-DD` of the bar open) is the layout Argo Trading reads. */
  readonly partitionBy: 'date';
  /** Only bars of this provider / interval (a backtest reads one interval). */
  readonly provider?: string;
  readonly interval?: string;
}

/** What an export wrote. */
export interface ParquetExportResult {
  readonly dir: string;
  readonly rows: number;
}

/** Unsubscribes a listener. */
export type Unlisten = () => void;

/** Persists realtime bars. */
export interface RealtimeWriter {
  /** Opens storage (creates the file, directory and table; checks an existing table's shape). */
  initialize(): Promise<void>;
  /**
   * Buffers one bar; it is persisted by the next flush. Throws INVALID_MESSAGE for an invalid bar (counted, never
   * stored), BUFFER_OVERFLOW at the cap (nothing buffered: wait for {@link whenWritable} and write it again), and
   * WRITE_FAILED once the writer is closing or closed.
   */
  writeRealtime(bar: Bar): void;
  /** Buffers many bars at once: all or none at the cap; invalid bars are dropped, counted and reported by the throw. */
  writeBatch(bars: readonly Bar[]): void;
  /** Resolves once every bar accepted before the call is durable; rejects with WRITE_FAILED if a flush fails meanwhile. */
  flush(): Promise<void>;
  getStats(): RealtimeWriterStats;
  /** Automatic flush interval in ms; 0 disables the timer. */
  setFlushInterval(intervalMs: number): void;
  /** Rows that trigger a flush, and the largest batch a flush writes. */
  setBufferSize(size: number): void;
  /** Resolves at once while below the cap, else once a flush has made room (back-pressure for producers). */
  whenWritable(): Promise<void>;
  /** Every error the writer reports: WRITE_FAILED, BUFFER_OVERFLOW, INVALID_MESSAGE. */
  onError(listener: (error: RealtimeError) => void): Unlisten;
  /** Flushes everything, checkpoints and closes; rejects with WRITE_FAILED when the flushes keep failing. */
  close(): Promise<void>;
  /** Writes the stored bars as Hive-partitioned Parquet (`id, time, symbol, open, high, low, close, volume`). */
  exportParquet(dir: string, options: ParquetExportOptions): Promise<ParquetExportResult>;
}
