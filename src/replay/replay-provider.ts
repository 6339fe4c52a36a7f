/**
 * The replay market data provider: a {@link RealtimeProvider} over recorded bars, so that a recording runs
 * through the same session (machine, writer, paper broker, strategy) as live data. `connect` and `subscribe`
 * succeed at once; bars flow only when `play()` is called, in the order given, for subscribed streams only, each
 * closed bar once. Pacing follows the recorded receive times divided by `speed` (`'max'`: no waiting), and
 * `afterBar` runs before the next bar goes out, which is how a replay makes the strategy finish each bar before
 * the broker sees the next one (see `replay.ts`). `disconnect()` ends a play in progress.
 */
import type { Clock, TimerHandle } from '../clock.ts';
import type { Bar } from '../domain/bar.ts';
import { isInterval, type Interval } from '../domain/interval.ts';
import { realtimeError, type RealtimeError } from '../errors.ts';
import { Listeners } from '../providers/shared/listeners.ts';
import type { ConnectionState, ConnectionStateDetail, ProviderStats, RealtimeProvider, Unlisten } from '../providers/realtime-provider.ts';

/** Replay pace: a factor over recorded time (`10` = ten times faster), or `'max'` for no waiting at all. */
export type ReplaySpeed = number | 'max';

/** The pacing clock by default: monotonic time, and timers that keep the process alive while a replay waits. */
const paceClock: Clock = {
  now: () => performance.now(),
  setTimeout: (fn, ms) => {
    const t = setTimeout(fn, ms);
    return { cancel: () => clearTimeout(t) };
  },
  sleep: (ms) => new Promise((resolve) => { setTimeout(resolve, ms); }),
};

/** Options of {@link ReplayProvider.play}. */
export interface PlayOptions {
  /** Default `'max'`. */
  readonly speed?: ReplaySpeed;
  /** Runs after each bar was delivered and before the next one goes out; `index` counts delivered bars from 1. */
  readonly afterBar?: (bar: Bar, index: number) => Promise<void> | void;
}

/** How a play ended. */
export interface PlayResult {
  /** Bars delivered to listeners. */
  readonly bars: number;
  /** Bars of streams nobody subscribed to. */
  readonly skipped: number;
  /** True when `disconnect()` ended it early. */
  readonly aborted: boolean;
}

/** Checks a speed: a finite number > 0, or `'max'`; throws CONFIG_INVALID otherwise. */
export const checkReplaySpeed = (speed: unknown): ReplaySpeed => {
  if (speed === 'max' || (typeof speed === 'number' && Number.isFinite(speed) && speed > 0)) return speed;
  throw realtimeError('CONFIG_INVALID', `replay: speed must be a number > 0 or 'max', got ${JSON.stringify(speed)}`, { field: 'speed' });
};

/** Parses the CLI's `--speed` (`10x`, `10`, `0.5x`, `max`); throws CONFIG_INVALID for anything else. */
export const parseReplaySpeed = (text: string): ReplaySpeed => {
  const t = text.trim().toLowerCase();
  if (t === 'max') return 'max';
  const m = /^(\d+(?:\.\d+)?)x?$/.exec(t);
  return checkReplaySpeed(m ? Number(m[1]) : Number.NaN);
};

/** A market data provider that plays recorded bars. */
export class ReplayProvider implements RealtimeProvider {
  readonly name = 'replay';
  readonly #bars: AsyncIterable<Bar> | Iterable<Bar>;
  readonly #data = new Listeners<[Bar]>();
  readonly #errors = new Listeners<[RealtimeError]>();
  readonly #states = new Listeners<[ConnectionState, ConnectionStateDetail]>();
  /** Subscribed intervals per symbol. */
  readonly #streams = new Map<string, Set<Interval>>();
  #state: ConnectionState = 'disconnected';
  #closed = false;
  #playing = false;
  #wake: (() => void) | undefined;
  #emitted = 0;
  #clock: number;
  readonly #pace: Clock;

  /**
   * `bars` in the order they are to be played; `startTime` is the clock before the first bar (ms); `pace` times the
   * waits between bars (tests pass one that records the waits asked for instead of waiting).
   */
  constructor(bars: AsyncIterable<Bar> | Iterable<Bar>, startTime = 0, pace: Clock = paceClock) {
    this.#bars = bars;
    this.#clock = startTime;
    this.#pace = pace;
  }

  /** Recorded time: the close time of the last bar delivered (order times in a replay follow it, not the wall clock). */
  get clock(): number {
    return this.#clock;
  }

  async connect(): Promise<void> {
    if (this.#closed) throw realtimeError('CLOSED', 'replay provider was disconnected; create a new one');
    if (this.#state === 'connected') return;
    this.#setState('connecting');
    this.#setState('connected');
  }

  async subscribe(symbols: readonly string[], interval: Interval): Promise<void> {
    if (!isInterval(interval)) throw realtimeError('INVALID_INTERVAL', `unknown interval ${JSON.stringify(interval)}`, { interval });
    for (const s of symbols) {
      const set = this.#streams.get(s.toUpperCase()) ?? new Set<Interval>();
      set.add(interval);
      this.#streams.set(s.toUpperCase(), set);
    }
  }

  async unsubscribe(symbols: readonly string[]): Promise<void> {
    for (const s of symbols) this.#streams.delete(s.toUpperCase());
  }

  onData(callback: (bar: Bar) => void): Unlisten {
    return this.#data.add(callback);
  }

  onError(callback: (error: RealtimeError) => void): Unlisten {
    return this.#errors.add(callback);
  }

  onConnectionStateChange(callback: (state: ConnectionState, detail: ConnectionStateDetail) => void): Unlisten {
    return this.#states.add(callback);
  }

  async disconnect(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#wake?.();
    this.#setState('disconnected', 'disconnect');
    this.#data.clear();
    this.#errors.clear();
    this.#states.clear();
  }

  getConnectionState(): ConnectionState {
    return this.#state;
  }

  getSubscribedSymbols(): string[] {
    return [...this.#streams.keys()].sort();
  }

  stats(): ProviderStats {
    return {
      connections: this.#state === 'connected' ? 1 : 0, framesReceived: this.#emitted, barsEmitted: this.#emitted, barsBackfilled: 0,
      malformedFrames: 0, duplicatesDropped: 0, reconnects: 0, reconnectReasons: {}, controlMessagesSent: 0,
    };
  }

  /** Delivers the bars (once per provider); resolves when all went out or `disconnect()` ended the play. */
  async play(options: PlayOptions = {}): Promise<PlayResult> {
    const speed = checkReplaySpeed(options.speed ?? 'max');
    if (this.#playing) throw realtimeError('ALREADY_STARTED', 'replay: play() was already called on this provider');
    if (this.#state !== 'connected') throw realtimeError('NOT_READY', 'replay: connect() before play()');
    this.#playing = true;
    let skipped = 0;
    let origin: { wall: number; recorded: number } | undefined;
    for await (const bar of this.#bars) {
      if (this.#closed) break;
      if (!this.#streams.get(bar.symbol.toUpperCase())?.has(bar.interval)) {
        skipped++;
        continue;
      }
      if (speed !== 'max') {
        origin ??= { wall: this.#pace.now(), recorded: bar.receivedAt };
        await this.#sleep(origin.wall + (bar.receivedAt - origin.recorded) / speed - this.#pace.now());
        if (this.#closed) break;
      }
      this.#clock = bar.closeTime;
      this.#emitted++;
      this.#data.emit(bar);
      await options.afterBar?.(bar, this.#emitted);
    }
    return { bars: this.#emitted, skipped, aborted: this.#closed };
  }

  #sleep(ms: number): Promise<void> {
    if (ms <= 0) return Promise.resolve();
    return new Promise((resolve) => {
      let timer: TimerHandle | undefined;
      this.#wake = () => { timer?.cancel(); this.#wake = undefined; resolve(); };
      timer = this.#pace.setTimeout(() => { this.#wake = undefined; resolve(); }, ms);
    });
  }

  #setState(state: ConnectionState, reason?: string): void {
    if (state === this.#state) return;
    this.#state = state;
    this.#states.emit(state, { connection: 0, ...(reason ? { reason } : {}) });
  }
}
