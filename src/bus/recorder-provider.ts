/**
 * A recorder's market data provider with the bus in its durability chain: wraps a venue provider so that every
 * closed bar (live, backfilled or a correction) is handed to the {@link BusPublisher} before the session sees
 * it, and so that a (re)started recorder resumes each stream after the last bar the bus already holds (the
 * venue's REST backfill fills the gap; nothing the bus has is fetched or published again).
 */
import type { Bar } from '../domain/bar.ts';
import type { Interval } from '../domain/interval.ts';
import type { RealtimeError } from '../errors.ts';
import { barProviderOf, type ConnectionState, type ConnectionStateDetail, type ProviderStats, type RealtimeProvider, type Unlisten } from '../providers/realtime-provider.ts';
import type { BusConfig } from './config.ts';
import { BusGapRepair } from './gap-repair.ts';
import { FleetLeases } from './leases.ts';
import { ParquetRoller } from './parquet-roll.ts';
import { BusPublisher } from './publisher.ts';
import { RollLease } from './roll-lease.ts';
import { safeName } from './subjects.ts';

/** A venue provider whose closed bars are also published to the bus. */
export class BusRecorderProvider implements RealtimeProvider {
  /** Tells the session's bus helpers (session-bus.ts) what this provider is without loading its class. */
  readonly busRole = 'publish' as const;
  readonly name: string;
  readonly inner: RealtimeProvider;
  private readonly config: BusConfig;
  private publisher: BusPublisher | undefined;
  private readonly resumeFrom = new Map<string, number>();
  private readonly errorListeners = new Set<(e: RealtimeError) => void>();
  private readonly barProvider: string;
  private readonly recorderId: string;
  private leases: FleetLeases | undefined;
  private roller: ParquetRoller | undefined;
  private repairer: BusGapRepair | undefined;

  constructor(inner: RealtimeProvider, config: BusConfig, recorderId = 'recorder') {
    this.inner = inner;
    this.name = inner.name;
    this.config = config;
    this.recorderId = recorderId;
    this.barProvider = barProviderOf(inner);
    // One listener publishes, ahead of the session's: however many listeners there are, a bar is queued once.
    inner.onData((bar) => { if (bar.final) this.publisher?.publish(bar); });
  }

  /** The publisher, once connected. */
  get bus(): BusPublisher | undefined {
    return this.publisher;
  }

  async connect(signal?: AbortSignal): Promise<void> {
    this.publisher ??= await BusPublisher.open(this.config, { onError: (e) => this.errorListeners.forEach((l) => l(e)) });
    if (this.inner.fetchClosedBars && !this.repairer) {
      this.repairer = new BusGapRepair(this.publisher, (s, i, from, to) => this.inner.fetchClosedBars!(s, i, from, to), (e) => this.errorListeners.forEach((l) => l(e)));
      this.repairer.start();
    }
    if (this.config.parquet_dir && !this.roller) {
      this.roller = new ParquetRoller(this.publisher.nc, this.config, this.config.parquet_dir, this.config.parquet_window_minutes * 60_000,
        this.config.parquet_delay_s * 1_000, (e) => this.errorListeners.forEach((l) => l(e)));
      // In a fleet every recorder with parquet_dir may roll; the roll lease makes one of them roll each window.
      if (this.config.fleet) this.roller.withLease(await RollLease.open(this.publisher.nc, this.config, this.recorderId));
      this.roller.start();
    }
    await this.inner.connect(signal);
  }

  /** The repair of bus gaps from REST, when the venue provider has REST history. */
  get repair(): BusGapRepair | undefined {
    return this.repairer;
  }

  /** The scheduled Parquet roll, when `bus.parquet_dir` is set. */
  get parquet(): ParquetRoller | undefined {
    return this.roller;
  }

  /** The fleet's leases, when `bus.fleet` is set and the streams were handed over. */
  get fleet(): FleetLeases | undefined {
    return this.leases;
  }

  async subscribe(symbols: readonly string[], interval: Interval): Promise<void> {
    if (!this.config.fleet || !this.publisher) return this.record(symbols, interval);
    // In a fleet the symbols are the shared universe: this recorder records the streams it holds a lease on.
    const byKey = new Map(symbols.map((s) => [safeName(this.barProvider, interval, s.toUpperCase()), s]));
    this.leases ??= await FleetLeases.start(this.publisher.nc, this.config, this.recorderId, [...byKey.keys()], {
      acquired: (key) => this.record([byKey.get(key)!], interval),
      released: (key) => this.inner.unsubscribe([byKey.get(key)!]),
      onError: (e) => this.errorListeners.forEach((l) => l(e)),
    });
  }

  /** Subscribes to streams, each resumed after the later of the local store's and the bus's last bar. */
  private async record(symbols: readonly string[], interval: Interval): Promise<void> {
    for (const symbol of symbols) {
      const key = `${symbol.toUpperCase()}|${interval}`;
      const onBus = await this.publisher?.lastOpenTime(this.barProvider, interval, symbol.toUpperCase());
      const local = this.resumeFrom.get(key);
      const last = Math.max(onBus ?? -Infinity, local ?? -Infinity);
      if (Number.isFinite(last)) this.inner.resumeAfter?.(symbol, interval, last);
    }
    await this.inner.subscribe(symbols, interval);
  }

  unsubscribe(symbols: readonly string[]): Promise<void> {
    return this.inner.unsubscribe(symbols);
  }

  onData(callback: (bar: Bar) => void): Unlisten {
    return this.inner.onData(callback);
  }

  onError(callback: (error: RealtimeError) => void): Unlisten {
    this.errorListeners.add(callback);
    const off = this.inner.onError(callback);
    return () => { this.errorListeners.delete(callback); off(); };
  }

  onConnectionStateChange(callback: (state: ConnectionState, detail: ConnectionStateDetail) => void): Unlisten {
    return this.inner.onConnectionStateChange(callback);
  }

  async disconnect(): Promise<void> {
    // Leases go back first, so that the fleet takes over at once; bars still held here become duplicates there.
    await this.leases?.stop();
    this.leases = undefined;
    await this.roller?.stop();
    this.roller = undefined;
    await this.repairer?.stop();
    this.repairer = undefined;
    await this.inner.disconnect();
    await this.publisher?.close();
    this.publisher = undefined;
  }

  getConnectionState(): ConnectionState {
    return this.inner.getConnectionState();
  }

  getSubscribedSymbols(): string[] {
    return this.inner.getSubscribedSymbols();
  }

  stats(): ProviderStats {
    return this.inner.stats();
  }

  resumeAfter(symbol: string, interval: Interval, lastOpenTime: number): void {
    this.resumeFrom.set(`${symbol.toUpperCase()}|${interval}`, lastOpenTime);
  }
}
