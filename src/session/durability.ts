/**
 * The session's durability guard, between the market data and the writer: a write failure never silently costs
 * a bar. While flushes fail (disk full, read-only file, I/O error) everything accepted stays in the writer and
 * the failure is reported every few seconds. Once the writer's cap is reached, new bars are no longer taken: each
 * stream becomes a known gap with its exact range, and when writes succeed again the gaps are fetched from the
 * provider's REST history and written. A DuckDB file deleted or replaced under the process is a fatal error
 * (checked before every flush and every second), so nothing is ever written into an unlinked file.
 */
import fs from 'node:fs';
import path from 'node:path';
import { streamKey, type Bar } from '../domain/bar.ts';
import { nextBucketStart, type Interval } from '../domain/interval.ts';
import { describe, isRealtimeError, realtimeError, type RealtimeError } from '../errors.ts';
import { queueTake } from '../../machines/lib/bar-queue.ts';
import type { DuckDBRealtimeWriter } from '../storage/duckdb-writer.ts';
import { rangeText, type StreamRange } from './resume.ts';

/** Fetches the closed bars of a stream opening in [from, to) from the venue's REST history. */
export type FetchClosedBars = (symbol: string, interval: Interval, from: number, to: number) => Promise<Bar[]>;

/** What the guard needs. */
export interface DurabilityOptions {
  readonly writer: DuckDBRealtimeWriter;
  readonly fetchClosedBars?: FetchClosedBars;
  /** The DuckDB file (`:memory:` has no identity to check). */
  readonly path: string;
  /** Period of the failure report while writes fail or bars are held back (ms). */
  readonly reportEveryMs: number;
  /** Appends a session event. */
  readonly record: (type: string, event: Record<string, unknown>) => void;
  readonly report: (error: RealtimeError) => void;
  /** Ends the session: the file is gone or replaced. */
  readonly fatal: (error: RealtimeError) => void;
  readonly now?: () => number;
}

/** A range of bars of one stream that is not in the file (yet). */
export interface UnpersistedRange extends StreamRange {
  /** Bars known to be in the range: held in memory (`buffered`), or not taken and to be fetched (`gap`). */
  readonly bars: number;
  readonly kind: 'buffered' | 'gap';
}

/** Live durability figures, for `stats()`, the status line and metrics. */
export interface DurabilityStats {
  /** True while flushes fail; `failingForMs` since when, `lastWriteError` why. */
  readonly writeFailing: boolean;
  readonly failingForMs: number;
  readonly lastWriteError: string | null;
  /** True while the writer is at its cap and new bars are not taken (they become gaps). */
  readonly holding: boolean;
  /** Gaps not yet written back, with their ranges so far. */
  readonly openGaps: readonly (StreamRange & { readonly bars: number })[];
  readonly gapsOpened: number;
  readonly gapsClosed: number;
  /** Bars fetched from REST to close gaps. */
  readonly barsRefetched: number;
  /** Bars whose stored values changed (venue corrections, re-read bars that differ). */
  readonly corrections: number;
  /** Re-read bars equal to the stored row, skipped. */
  readonly duplicatesSkipped: number;
  /** Runs of bars the provider backfilled (reconnects, resume), each logged as `durability:range.backfilled`. */
  readonly rangesBackfilled: number;
  /** Ranges older than the resume lookback: reported, not fetched. */
  readonly uncovered: readonly StreamRange[];
  /** Set once the file was deleted or replaced. */
  readonly fatal: string | null;
}

interface Gap {
  readonly id: string;
  readonly provider: string;
  readonly symbol: string;
  readonly interval: Interval;
  from: number;
  to: number;
  bars: number;
  state: 'open' | 'fetching';
  /** Left open by an earlier process: never merged with a new gap (the bars between are stored). */
  readonly adopted: boolean;
}

const TICK_MS = 1_000;

/** Guards one session's writes; see the module comment. */
export class DurabilityGuard {
  readonly #o: DurabilityOptions;
  readonly #now: () => number;
  readonly #identity: { dev: number; ino: number } | undefined;
  readonly #gaps: Gap[] = [];
  readonly #timer: NodeJS.Timeout;
  readonly #offs: (() => void)[] = [];
  #nextGap = 1;
  /** Makes gap ids unique across the processes that log into one file. */
  readonly #epoch = `${Date.now().toString(36)}${Math.floor(Math.random() * 1e6).toString(36)}`;
  #failingSince: number | undefined;
  #lastError: string | null = null;
  #holding = false;
  #lastReport = 0;
  #fatal: RealtimeError | undefined;
  #fetching: Promise<void> | undefined;
  readonly #counts = { gapsOpened: 0, gapsClosed: 0, barsRefetched: 0, corrections: 0, duplicatesSkipped: 0, rangesBackfilled: 0 };
  readonly #backfills = new Map<string, { provider: string; symbol: string; interval: Interval; from: number; to: number; bars: number }>();
  readonly #uncovered: StreamRange[] = [];

  constructor(options: DurabilityOptions) {
    this.#o = options;
    this.#now = options.now ?? Date.now;
    this.#identity = options.path === ':memory:' ? undefined : fileIdentity(options.path);
    const w = options.writer;
    this.#offs.push(
      w.on('writer.flush.failed', (e) => {
        if (this.#failingSince === undefined) {
          this.#failingSince = this.#now();
          this.#o.record('durability:writes.failing', { error: e.error.message });
        }
        this.#lastError = e.error.message;
        // DuckDB refuses every statement after a fatal error (a CHECKPOINT that failed on a full disk): retrying is useless.
        if (!this.#fatal && /database has been invalidated/i.test(e.error.message)) {
          this.#fatal = realtimeError('STORAGE_INVALIDATED', `the DuckDB database was invalidated by a fatal error (${e.error.message.split('\n')[0]}); ` +
            'nothing more can be written by this process. Restart: the next start resumes from the file.', { path: this.#o.path });
          this.#o.record('durability:storage.lost', { path: this.#o.path, invalidated: true });
          this.#o.fatal(this.#fatal);
        }
      }),
      w.on('writer.flushed', () => {
        if (this.#failingSince === undefined) return;
        this.#o.record('durability:writes.recovered', { failedForMs: this.#now() - this.#failingSince });
        this.#failingSince = undefined;
      }),
    );
    this.#timer = setInterval(() => this.#tick(), TICK_MS);
    this.#timer.unref();
  }

  /** The fatal error, once the file was lost. */
  get fatalError(): RealtimeError | undefined {
    return this.#fatal;
  }

  /** True while flushes fail. */
  get writeFailing(): boolean {
    return this.#failingSince !== undefined;
  }

  /** Throws STORAGE_LOST (and ends the session once) when the file is gone or is another file now; called before every flush. */
  checkFile(): void {
    if (this.#fatal) throw this.#fatal;
    if (!this.#identity) return;
    const now = fileIdentity(this.#o.path);
    if (now && now.dev === this.#identity.dev && now.ino === this.#identity.ino) return;
    this.#fatal = realtimeError('STORAGE_LOST', `${this.#o.path} was ${now ? 'replaced by another file' : 'deleted'} while the session was writing to it; ` +
      'nothing more is written (it would go to an unlinked file). Restart to continue on a file at that path.', { path: this.#o.path });
    this.#o.record('durability:storage.lost', { path: this.#o.path, replaced: now !== undefined });
    this.#o.fatal(this.#fatal);
    throw this.#fatal;
  }

  /** Notes (logs and counts) a range older than the resume lookback, which the provider reported and did not fetch. */
  uncovered(range: StreamRange): void {
    this.#uncovered.push(range);
    this.#o.record('durability:gap.uncovered', { ...range });
  }

  /** Takes over a gap an earlier process logged and never closed: it is fetched like one of this process. */
  adopt(gap: StreamRange & { readonly gap: string }): void {
    this.#gaps.push({ id: gap.gap, provider: gap.provider, symbol: gap.symbol, interval: gap.interval, from: gap.from, to: gap.to, bars: 0, state: 'open', adopted: true });
  }

  /** Counts a re-read bar equal to the stored one. */
  duplicate(): void {
    this.#counts.duplicatesSkipped++;
  }

  /** Counts and logs a bar that changes stored values. */
  correction(bar: Bar): void {
    this.#counts.corrections++;
    this.#o.record('durability:correction.applied', { bar });
  }

  /** Follows provider backfill: each run of backfilled bars of a stream is logged as one range once live bars resume. */
  observe(bar: Bar): void {
    const key = streamKey(bar);
    const run = this.#backfills.get(key);
    if (bar.backfilled && !bar.correction) {
      const to = nextBucketStart(bar.interval, bar.openTime);
      if (run) { run.to = Math.max(run.to, to); run.bars++; }
      else this.#backfills.set(key, { provider: bar.provider, symbol: bar.symbol, interval: bar.interval, from: bar.openTime, to, bars: 1 });
      return;
    }
    if (!run || bar.backfilled) return;
    this.#backfills.delete(key);
    this.#counts.rangesBackfilled++;
    this.#o.record('durability:range.backfilled', { ...run, source: 'provider' });
  }

  /**
   * Writes closed bars, one batch (one writer event); at the cap the bars that do not fit are left to gaps (never
   * refused one by one, never lost). The bars that fit are appended first, as bar-by-bar writes would have.
   */
  write(bars: readonly Bar[]): void {
    if (bars.length === 0) return;
    if (this.#holding || this.#fatal) return this.#intoGaps(bars);
    const room = this.#o.writer.config.max_buffered_rows - this.#o.writer.getStats().bufferedWrites;
    if (room >= bars.length && this.#append(bars)) return;
    const taken = room > 0 && this.#append(bars.slice(0, room)) ? room : 0;
    // The first bar that does not fit is offered and refused, as a bar-by-bar write was: the refusal is what marks
    // the writer overflowed (its overflow count, `writer.overflowed`, `whenWritable()`, `writer.drained`).
    if (this.#append(bars.slice(taken, taken + 1))) throw realtimeError('INTERNAL_ERROR', 'the writer took a bar past its cap');
    this.#hold(bars.slice(taken));
  }

  /** Appends one batch; false when the writer's cap refused it. */
  #append(bars: readonly Bar[]): boolean {
    try {
      // Decoded bars were validated at the edge (the provider's parser): the writer takes them as they are.
      this.#o.writer.append(bars);
      return true;
    } catch (e) {
      if (!isRealtimeError(e) || e.code !== 'BUFFER_OVERFLOW') throw e;
      return false;
    }
  }

  /** Every range not in the file: rows held by the writer (per stream) and the open gaps. */
  unpersisted(): UnpersistedRange[] {
    const ctx = this.#o.writer.buffer.snapshot.context;
    const byStream = new Map<string, UnpersistedRange>();
    for (const bar of queueTake(ctx.queue, Number.POSITIVE_INFINITY)) {
      const key = streamKey(bar);
      const r = byStream.get(key);
      const to = nextBucketStart(bar.interval, bar.openTime);
      byStream.set(key, r ? { ...r, from: Math.min(r.from, bar.openTime), to: Math.max(r.to, to), bars: r.bars + 1 }
        : { provider: bar.provider, symbol: bar.symbol, interval: bar.interval, from: bar.openTime, to, bars: 1, kind: 'buffered' });
    }
    const gaps = this.#gaps.map((g): UnpersistedRange => ({ provider: g.provider, symbol: g.symbol, interval: g.interval, from: g.from, to: g.to, bars: g.bars, kind: 'gap' }));
    return [...byStream.values(), ...gaps];
  }

  /** The live figures. */
  stats(): DurabilityStats {
    return {
      writeFailing: this.#failingSince !== undefined, failingForMs: this.#failingSince === undefined ? 0 : this.#now() - this.#failingSince,
      lastWriteError: this.#lastError, holding: this.#holding,
      openGaps: this.#gaps.map((g) => ({ provider: g.provider, symbol: g.symbol, interval: g.interval, from: g.from, to: g.to, bars: g.bars })),
      ...this.#counts, uncovered: [...this.#uncovered], fatal: this.#fatal?.message ?? null,
    };
  }

  /** Waits for a gap fetch in progress (before the final flush). */
  async settle(): Promise<void> {
    await this.#fetching;
  }

  /** Stops the timer (no new report, release or gap fetch) and the listeners; a fetch in progress goes on ({@link settle}). */
  close(): void {
    clearInterval(this.#timer);
    for (const off of this.#offs.splice(0)) off();
  }

  /** The cap is reached: from now on new bars are not taken; `bars` are the first ones left to gaps. */
  #hold(bars: readonly Bar[]): void {
    this.#holding = true;
    const cap = this.#o.writer.config.max_buffered_rows;
    this.#o.record('durability:holding', { buffered: this.#o.writer.getStats().bufferedWrites });
    this.#o.report(realtimeError('BUFFER_OVERFLOW', `the writer holds ${cap} unwritten rows (its cap): new bars are not taken; ` +
      'each stream becomes a gap, fetched from REST once writes succeed again', { maxBufferedRows: cap }));
    this.#intoGaps(bars);
  }

  #intoGaps(bars: readonly Bar[]): void {
    for (const bar of bars) this.#intoGap(bar);
  }

  #intoGap(bar: Bar): void {
    let gap = this.#gaps.find((g) => g.state === 'open' && !g.adopted && g.provider === bar.provider && g.symbol === bar.symbol && g.interval === bar.interval);
    const to = nextBucketStart(bar.interval, bar.openTime);
    if (!gap) {
      gap = { id: `${this.#epoch}-${this.#nextGap++}`, provider: bar.provider, symbol: bar.symbol, interval: bar.interval, from: bar.openTime, to, bars: 0, state: 'open', adopted: false };
      this.#gaps.push(gap);
      this.#counts.gapsOpened++;
      this.#o.record('durability:gap.opened', { gap: gap.id, provider: gap.provider, symbol: gap.symbol, interval: gap.interval, from: gap.from });
    }
    gap.from = Math.min(gap.from, bar.openTime);
    gap.to = Math.max(gap.to, to);
    gap.bars++;
  }

  #tick(): void {
    if (!this.#fatal) {
      try {
        this.checkFile();
      } catch {
        return;
      }
    }
    const now = this.#now();
    if ((this.writeFailing || this.#holding || this.#gaps.length > 0) && now - this.#lastReport >= this.#o.reportEveryMs) {
      this.#lastReport = now;
      this.#o.report(this.#statusError());
    }
    const w = this.#o.writer.getStats();
    // Taking bars again only once the buffer has real room: no flapping at the cap.
    if (this.#holding && !this.writeFailing && w.bufferedWrites <= this.#o.writer.config.max_buffered_rows / 2) {
      this.#holding = false;
      this.#o.record('durability:taking', { buffered: w.bufferedWrites });
    }
    if (!this.#holding && !this.writeFailing && this.#gaps.length > 0 && !this.#fetching) {
      this.#fetching = this.#fetchGaps().finally(() => { this.#fetching = undefined; });
    }
  }

  #statusError(): RealtimeError {
    const w = this.#o.writer.getStats();
    const failing = this.#failingSince === undefined ? '' : `writes failing for ${((this.#now() - this.#failingSince) / 1000).toFixed(0)} s (${this.#lastError ?? 'unknown error'}); `;
    const gaps = this.#gaps.map((g) => `${g.symbol} ${g.interval} ${rangeText(g)} (${g.bars} bars${g.state === 'fetching' ? ', fetching' : ''})`);
    return realtimeError('WRITE_FAILED', `${failing}${w.bufferedWrites} rows held in memory${this.#holding ? ', new bars not taken (cap reached)' : ''}` +
      `${gaps.length ? `; gaps: ${gaps.join('; ')}` : ''}`, { buffered: w.bufferedWrites, holding: this.#holding, gaps: this.#gaps.map((g) => ({ ...g })) });
  }

  async #fetchGaps(): Promise<void> {
    const fetch = this.#o.fetchClosedBars;
    if (!fetch) return;
    for (const gap of this.#gaps.filter((g) => g.state === 'open')) {
      gap.state = 'fetching';
      try {
        const bars = (await fetch(gap.symbol, gap.interval, gap.from, gap.to)).filter((b) => b.final && b.openTime >= gap.from && b.openTime < gap.to);
        await this.#writeAll(bars);
        this.#gaps.splice(this.#gaps.indexOf(gap), 1);
        this.#counts.gapsClosed++;
        this.#counts.barsRefetched += bars.length;
        const range = { provider: gap.provider, symbol: gap.symbol, interval: gap.interval, from: gap.from, to: gap.to };
        this.#o.record('durability:range.backfilled', { ...range, bars: bars.length, source: 'gap' });
        this.#o.record('durability:gap.closed', { gap: gap.id, ...range, notTaken: gap.bars, fetched: bars.length });
      } catch (e) {
        gap.state = 'open';
        this.#o.report(realtimeError('BACKFILL_FAILED', `${gap.symbol} ${gap.interval}: gap ${rangeText(gap)} not fetched yet (${describe(e)}); retrying`, { gap: { ...gap } }));
        return;
      }
    }
  }

  /** Writes fetched bars in pieces that fit, waiting for room between them. */
  async #writeAll(bars: readonly Bar[]): Promise<void> {
    const w = this.#o.writer;
    for (let at = 0; at < bars.length;) {
      if (this.#fatal) throw this.#fatal;
      const room = w.config.max_buffered_rows - w.getStats().bufferedWrites;
      if (room <= 0) {
        await w.whenWritable();
        await new Promise((r) => setTimeout(r, 50));
        continue;
      }
      const piece = bars.slice(at, at + Math.min(room, w.config.buffer_size));
      try {
        w.append(piece);
      } catch (e) {
        if (!isRealtimeError(e) || e.code === 'WRITE_FAILED') throw e;
        // REST bars were validated by the provider's decoder; an overflow means no room after all: wait and retry the piece.
        if (e.code === 'BUFFER_OVERFLOW') {
          await w.whenWritable();
          continue;
        }
        throw e;
      }
      at += piece.length;
    }
  }
}

const fileIdentity = (file: string): { dev: number; ino: number } | undefined => {
  try {
    const st = fs.statSync(path.resolve(file));
    return { dev: st.dev, ino: st.ino };
  } catch {
    return undefined;
  }
};
