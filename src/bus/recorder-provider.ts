/**
 * A recorder's market data provider with the bus in its durability chain: wraps a venue provider so that every
 * closed bar (live, backfilled or a correction) is handed to the {@link BusPublisher} before the session sees
 * it, and so that a (re)started recorder resumes each stream after the last bar the bus already holds (the
 * venue's REST backfill fills the gap; nothing the bus has is fetched or published again).
 */
import type { Bar } from '../domain/bar.ts';
import type { Interval } from '../domain/interval.ts';
import type { RealtimeError } from '../errors.ts';
import type { ConnectionState, ConnectionStateDetail, ProviderStats, RealtimeProvider, Unlisten } from '../providers/realtime-provider.ts';
import type { BusConfig } from './config.ts';
import { BusPublisher } from './publisher.ts';

/** The `Bar.provider` value each realtime provider emits, to name the stream's subject before its first bar. */
export const BAR_PROVIDER_OF: Readonly<Record<string, string>> = { 'binance-realtime': 'binance', 'polygon-realtime': 'polygon' };

/** A venue provider whose closed bars are also published to the bus. */
export class BusRecorderProvider implements RealtimeProvider {
  readonly name: string;
  readonly inner: RealtimeProvider;
  private readonly config: BusConfig;
  private publisher: BusPublisher | undefined;
  private readonly resumeFrom = new Map<string, number>();
  private readonly errorListeners = new Set<(e: RealtimeError) => void>();
  private readonly barProvider: string;

  constructor(inner: RealtimeProvider, config: BusConfig) {
    this.inner = inner;
    this.name = inner.name;
    this.config = config;
    this.barProvider = BAR_PROVIDER_OF[inner.name] ?? inner.name.replace(/-realtime$/, '');
    // One listener publishes, ahead of the session's: however many listeners there are, a bar is queued once.
    inner.onData((bar) => { if (bar.final) this.publisher?.publish(bar); });
  }

  /** The publisher, once connected. */
  get bus(): BusPublisher | undefined {
    return this.publisher;
  }

  async connect(signal?: AbortSignal): Promise<void> {
    this.publisher ??= await BusPublisher.open(this.config, { onError: (e) => this.errorListeners.forEach((l) => l(e)) });
    await this.inner.connect(signal);
  }

  async subscribe(symbols: readonly string[], interval: Interval): Promise<void> {
    // Resume after the later of what the local store has (session resume) and what the bus has.
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
