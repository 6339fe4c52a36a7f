/**
 * Publishes closed bars to JetStream with their deterministic message id, in arrival order, a window of them in
 * flight at once. A bar counts as delivered when JetStream acknowledged it (stored or reported as a duplicate);
 * until then it is held here, across disconnects and server restarts, and published again (the message id makes
 * the repeat harmless). The hold is bounded: past `max_held_bars` a new bar is refused, reported with
 * BUFFER_OVERFLOW and recorded as a known gap of its stream (never dropped silently).
 */
import type { NatsConnection } from '@nats-io/transport-node';
import { jetstream, type JetStreamClient, type JetStreamManager } from '@nats-io/jetstream';
import { streamKey, type Bar } from '../domain/bar.ts';
import { Listeners } from '../providers/shared/listeners.ts';
import { describe, realtimeError, type RealtimeError } from '../errors.ts';
import { decodeBar, encodeBar } from './bar-message.ts';
import type { BusConfig } from './config.ts';
import { connectBus, ensureBarStream } from './connection.ts';
import { barSubject, messageIdOf, subjectOf } from './subjects.ts';

/** Figures of a publisher, for stats, status and metrics. */
export interface BusPublisherStats {
  readonly connected: boolean;
  /** Bars JetStream stored. */
  readonly published: number;
  /** Bars JetStream already had (a repeat after a reconnect, a backfill, a restart or a second recorder). */
  readonly duplicates: number;
  /** Bars not yet acknowledged (in flight or waiting for the bus). */
  readonly held: number;
  /** Bars refused because the hold was full (each is part of a known gap). */
  readonly refused: number;
  /** Publish attempts that failed and were retried. */
  readonly retries: number;
  /** Receive → ack time of the last acknowledged bar, ms. */
  readonly lagMs: number;
  /** Age of the oldest held bar, ms (0 when none). */
  readonly oldestHeldMs: number;
  /** Streams with refused bars: first and last refused open time. */
  readonly gaps: readonly { readonly stream: string; readonly fromOpenTime: number; readonly toOpenTime: number; readonly bars: number }[];
}

interface Held { readonly bar: Bar; readonly subject: string; readonly id: string; readonly data: Uint8Array }

/** A known gap of one stream: the refused bars' first and last open time (inclusive) and their count. */
export interface BusGap {
  readonly provider: string;
  readonly symbol: string;
  readonly interval: Bar['interval'];
  fromOpenTime: number;
  toOpenTime: number;
  bars: number;
}

/** An array queue with a moving head: settling a batch at the front costs O(batch), not O(held). */
class HeldQueue {
  private items: Held[] = [];
  private head = 0;
  get length(): number { return this.items.length - this.head; }
  push(h: Held): void { this.items.push(h); }
  first(): Held | undefined { return this.items[this.head]; }
  front(n: number): Held[] { return this.items.slice(this.head, this.head + n); }
  /** Removes the first `n` and puts `back` (a subset of them, in order) at the front again. */
  settle(n: number, back: readonly Held[]): void {
    this.head += n - back.length;
    for (let i = 0; i < back.length; i++) this.items[this.head + i] = back[i]!;
    if (this.head > 4_096 && this.head * 2 > this.items.length) { this.items = this.items.slice(this.head); this.head = 0; }
  }
}

/** Options of {@link BusPublisher.open}. */
export interface BusPublisherOptions {
  /** Connection name shown by the server (`nats server report connections`). */
  readonly name?: string;
  readonly onError?: (e: RealtimeError) => void;
  readonly now?: () => number;
}

/** A JetStream bar publisher with a bounded, ordered hold. */
export class BusPublisher {
  readonly config: BusConfig;
  readonly nc: NatsConnection;
  private readonly js: JetStreamClient;
  private readonly jsm: JetStreamManager;
  private readonly onError: (e: RealtimeError) => void;
  private readonly now: () => number;
  private readonly queue = new HeldQueue();
  private pumping = false;
  private closed = false;
  private connected = true;
  private idleWaiters: (() => void)[] = [];
  private wake: (() => void) | undefined;
  private counts = { published: 0, duplicates: 0, refused: 0, retries: 0, lagMs: 0 };
  private readonly changes = new Listeners<[BusPublisherStats]>();
  private readonly gaps = new Map<string, BusGap>();

  private constructor(config: BusConfig, nc: NatsConnection, jsm: JetStreamManager, options: BusPublisherOptions) {
    this.config = config;
    this.nc = nc;
    this.jsm = jsm;
    this.js = jetstream(nc, { timeout: config.publish_timeout_ms });
    this.onError = options.onError ?? (() => {});
    this.now = options.now ?? Date.now;
    void this.watchStatus();
  }

  /** Connects, creates the stream when missing, and returns a ready publisher. */
  static async open(config: BusConfig, options: BusPublisherOptions = {}): Promise<BusPublisher> {
    const nc = await connectBus(config, options.name ?? 'argo-realtime recorder');
    try {
      const jsm = await ensureBarStream(nc, config);
      return new BusPublisher(config, nc, jsm, options);
    } catch (e) {
      await nc.close().catch(() => undefined);
      throw e;
    }
  }

  /** Queues a closed bar for publishing; false when the hold is full (the bar is then a reported, known gap). */
  publish(bar: Bar): boolean {
    if (this.queue.length >= this.config.max_held_bars) {
      this.counts.refused++;
      const key = streamKey(bar);
      const gap = this.gaps.get(key);
      if (gap) { gap.toOpenTime = Math.max(gap.toOpenTime, bar.openTime); gap.fromOpenTime = Math.min(gap.fromOpenTime, bar.openTime); gap.bars++; }
      else this.gaps.set(key, { provider: bar.provider, symbol: bar.symbol, interval: bar.interval, fromOpenTime: bar.openTime, toOpenTime: bar.openTime, bars: 1 });
      this.onError(realtimeError('BUFFER_OVERFLOW', `bus: ${this.queue.length} bars held while the bus is unavailable (max_held_bars); ${key} ${bar.openTime} is not published (known gap)`, {
        source: 'bus', stream: key, openTime: bar.openTime,
      }));
      if (this.changes.size > 0) this.changes.emit(this.stats());
      return false;
    }
    this.queue.push({ bar, subject: subjectOf(this.config.subject_prefix, bar), id: messageIdOf(bar), data: encodeBar(bar) });
    if (!this.pumping) void this.pump();
    return true;
  }

  /** Resolves once every bar queued so far was acknowledged (or rejects after `timeoutMs`). */
  async flush(timeoutMs?: number): Promise<void> {
    if (this.queue.length === 0) return;
    await new Promise<void>((resolve, reject) => {
      const timer = timeoutMs === undefined ? undefined : setTimeout(() => {
        this.idleWaiters = this.idleWaiters.filter((w) => w !== done);
        reject(realtimeError('TIMEOUT', `bus: ${this.queue.length} bars still held after ${timeoutMs} ms`, { source: 'bus', held: this.queue.length }));
      }, timeoutMs);
      const done = () => { if (timer) clearTimeout(timer); resolve(); };
      this.idleWaiters.push(done);
    });
  }

  /** The open time of the last bar the stream holds for a (provider, interval, symbol), if any. */
  async lastOpenTime(provider: string, interval: string, symbol: string): Promise<number | undefined> {
    const subject = barSubject(this.config.subject_prefix, provider, interval, symbol);
    try {
      const m = await this.jsm.streams.getMessage(this.config.stream, { last_by_subj: subject });
      if (!m) return undefined;
      const decoded = decodeBar(m.data);
      return 'bar' in decoded ? decoded.bar.openTime : undefined;
    } catch (e) {
      if (/no message found|not found/i.test(describe(e))) return undefined;
      throw realtimeError('REQUEST_FAILED', `bus: last bar of ${subject}: ${describe(e)}`, { source: 'bus' });
    }
  }

  /** Calls `listener` with the figures after every settled batch of publishes and every refused bar. */
  onChange(listener: (stats: BusPublisherStats) => void): () => void {
    return this.changes.add(listener);
  }

  /** Current figures. */
  stats(): BusPublisherStats {
    const head = this.queue.first();
    return {
      connected: this.connected, ...this.counts, held: this.queue.length,
      oldestHeldMs: head ? Math.max(0, this.now() - head.bar.receivedAt) : 0,
      gaps: [...this.gaps].map(([stream, g]) => ({ stream, fromOpenTime: g.fromOpenTime, toOpenTime: g.toOpenTime, bars: g.bars })),
    };
  }

  /** Removes and returns the known gaps (a repair fetches them); {@link restoreGap} puts one back when it fails. */
  takeGaps(): BusGap[] {
    const gaps = [...this.gaps.values()];
    this.gaps.clear();
    return gaps;
  }

  /** Records a gap again (merged with any refused since). */
  restoreGap(gap: BusGap): void {
    const key = streamKey(gap);
    const now = this.gaps.get(key);
    if (!now) { this.gaps.set(key, { ...gap }); return; }
    now.fromOpenTime = Math.min(now.fromOpenTime, gap.fromOpenTime);
    now.toOpenTime = Math.max(now.toOpenTime, gap.toOpenTime);
    now.bars += gap.bars;
  }

  /** The most bars held at once (`max_held_bars`). */
  get capacity(): number {
    return this.config.max_held_bars;
  }

  /** Publishes what is held (waiting at most `graceMs`), then closes; bars still held are reported, not hidden. */
  async close(graceMs = this.config.publish_timeout_ms * 2): Promise<void> {
    try {
      await this.flush(graceMs);
    } catch (e) {
      this.onError(e as RealtimeError);
    }
    this.closed = true;
    this.wake?.();
    await this.nc.drain().catch(() => this.nc.close());
  }

  private async pump(): Promise<void> {
    this.pumping = true;
    let delay = 100;
    try {
      while (this.queue.length > 0 && !this.closed) {
        const batch = this.queue.front(this.config.max_in_flight);
        const results = await Promise.allSettled(batch.map((h) => this.js.publish(h.subject, h.data, { msgID: h.id })));
        const failed: Held[] = [];
        let firstError: unknown;
        results.forEach((r, i) => {
          if (r.status === 'fulfilled') {
            if (r.value.duplicate) this.counts.duplicates++;
            else this.counts.published++;
            this.counts.lagMs = Math.max(0, this.now() - batch[i]!.bar.receivedAt);
          } else {
            failed.push(batch[i]!);
            firstError ??= r.reason;
          }
        });
        // Failed bars go back to the front in their order; the message id turns any that did land into duplicates.
        this.queue.settle(batch.length, failed);
        if (this.changes.size > 0) this.changes.emit(this.stats());
        if (failed.length === 0) { delay = 100; continue; }
        this.counts.retries += failed.length;
        if (delay === 100) this.onError(realtimeError('CONNECTION_LOST', `bus: ${failed.length} publish(es) not acknowledged (${describe(firstError)}); holding ${this.queue.length} bar(s) and retrying`, { source: 'bus' }));
        await this.pause(delay);
        delay = Math.min(delay * 2, 2_000);
      }
    } finally {
      this.pumping = false;
      if (this.queue.length === 0) for (const w of this.idleWaiters.splice(0)) w();
    }
  }

  /** Waits `ms`, or less when the connection comes back. */
  private pause(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => { this.wake = undefined; resolve(); }, ms);
      this.wake = () => { clearTimeout(timer); this.wake = undefined; resolve(); };
    });
  }

  private async watchStatus(): Promise<void> {
    for await (const s of this.nc.status()) {
      if (s.type === 'disconnect') this.connected = false;
      else if (s.type === 'reconnect') { this.connected = true; this.wake?.(); }
    }
  }
}
