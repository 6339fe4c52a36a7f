/**
 * One simulated market-stream connection: its subscriptions, the incoming-message rate limit, server pings
 * and the pong deadline, its lifetime, the stall switch (a dead peer) and fault injection on data frames.
 * Every timer and the rate window run on the simulator's wall clock, so tests can pass them by hand.
 */
import type { WebSocket } from 'ws';
import type { Clock, TimerHandle } from '../../clock.ts';
import type { BinanceKlineEvent, BinanceServerShutdownEvent } from '../../providers/binance/messages.ts';
import { handleControl } from './control.ts';
import { FaultInjector, type FaultRates } from './faults.ts';
import { hash32 } from './random.ts';
import type { SimulatorStats } from './stats.ts';

/** A snapshot of a connection for tests. */
export interface ConnectionInfo {
  readonly id: number;
  /** Request path with query, e.g. `/stream?streams=btcusdt@kline_1m`. */
  readonly path: string;
  readonly combined: boolean;
  readonly streams: readonly string[];
  /** Wall time (ms) the connection opened. */
  readonly openedAt: number;
  readonly messagesReceived: number;
  /** Most incoming messages seen within one second (of the wall clock). */
  readonly maxMessagesInOneSecond: number;
  readonly stalled: boolean;
  /** False on a USDⓈ-M connection outside the `/market` route, which gets no klines. */
  readonly pushesKlines: boolean;
  readonly closed: boolean;
  readonly closeCode: number | undefined;
}

/** Limits and behaviour shared by every connection of a simulator. */
export interface ConnectionSettings {
  readonly maxMessagesPerSecond: number;
  readonly maxStreams: number;
  readonly pingIntervalMs: number;
  readonly pongTimeoutMs: number;
  readonly maxConnectionAgeMs: number;
  readonly shutdownGraceMs: number;
  readonly flatErrors: boolean;
  /** Streams every SUBSCRIBE naming them is refused for (shared, changed by the simulator). */
  readonly rejectedStreams?: ReadonlySet<string>;
  /** While `held`, control replies wait on their connection until the simulator releases them (shared). */
  readonly replies?: { readonly held: boolean };
  readonly seed: number;
  readonly rates: FaultRates;
  readonly stats: SimulatorStats;
  readonly marketNow: () => number;
  /** Wall time and timers: pings, pong deadlines, the lifetime, the shutdown grace and the message-rate window. */
  readonly wall: Clock;
  readonly onSubscribe: (connection: SimConnection, streams: readonly string[]) => void;
  readonly onUnsubscribe: (connection: SimConnection, streams: readonly string[]) => void;
  readonly onClose: (connection: SimConnection, code: number, reason: string) => void;
  /** After an incoming message, ping or pong was handled; `counted` is false when it was ignored (stalled, ending). */
  readonly onReceived?: (connection: SimConnection, kind: ReceivedKind, counted: boolean) => void;
}

/** What a connection received from its client. */
export type ReceivedKind = 'message' | 'ping' | 'pong';

/** Server side of one WebSocket connection. */
export class SimConnection {
  readonly id: number;
  readonly path: string;
  readonly combined: boolean;
  readonly openedAt: number;
  readonly streams = new Set<string>();
  messagesReceived = 0;
  maxMessagesInOneSecond = 0;
  stalled = false;
  pushesKlines = true;
  closed = false;
  closeCode: number | undefined;

  readonly #ws: WebSocket;
  readonly #settings: ConnectionSettings;
  readonly #faults: FaultInjector;
  readonly #recent: number[] = [];
  readonly #awaitingPong = new Map<string, TimerHandle>();
  readonly #timers = new Set<TimerHandle>();
  readonly #heldReplies: string[] = [];
  #pingTimer: TimerHandle | undefined;
  #pingCount = 0;
  /** Set once the server has decided to end the connection: later input is ignored. */
  #ending = false;

  constructor(id: number, path: string, combined: boolean, ws: WebSocket, settings: ConnectionSettings) {
    this.id = id;
    this.path = path;
    this.combined = combined;
    this.#ws = ws;
    this.#settings = settings;
    this.openedAt = settings.wall.now();
    this.#faults = new FaultInjector(hash32(settings.seed, id, 0x5eed), settings.rates, combined);
    ws.on('message', (data) => this.#received('message', this.#onMessage(String(data))));
    // autoPong is off on the server so that a stalled connection does not answer pings either.
    ws.on('ping', (data) => {
      const counted = this.#count();
      if (counted) ws.pong(data);
      this.#received('ping', counted);
    });
    ws.on('pong', (data) => this.#received('pong', this.#onPong(data.toString('latin1'))));
    ws.on('close', (code, reason) => this.#onClose(code, reason.toString()));
    this.#armPing();
    this.#later(settings.maxConnectionAgeMs, () => this.announceShutdown(settings.shutdownGraceMs));
  }

  /** Adds streams given in the URL (no reply, as on the real service). */
  preSubscribe(streams: readonly string[]): void {
    for (const s of streams) this.streams.add(s);
  }

  /** Sends one kline frame of `stream` (raw text of the event), with faults applied. */
  sendData(stream: string, event: BinanceKlineEvent, raw: string): void {
    if (this.closed || this.stalled) return;
    const text = this.combined ? `{"stream":"${stream}","data":${raw}}` : raw;
    const { stats } = this.#settings;
    for (const frame of this.#faults.plan(stream, event, text)) {
      this.#send(frame.text);
      if (frame.kind === 'data' || frame.kind === 'reordered') stats.dataFramesSent++;
      if (frame.kind === 'malformed') stats.malformedSent++;
      if (frame.kind === 'duplicate') stats.duplicatesSent++;
      if (frame.kind === 'reordered') stats.reorderedSent++;
    }
  }

  /** Sends the `serverShutdown` event now and closes with 1001 after `graceMs`. */
  announceShutdown(graceMs: number): void {
    if (this.closed || this.#ending) return;
    const event: BinanceServerShutdownEvent = { e: 'serverShutdown', E: this.#settings.marketNow() };
    if (!this.stalled) this.#send(JSON.stringify(this.combined ? { stream: '!serverShutdown', data: event } : event));
    this.#later(graceMs, () => this.close(1001, 'Server shutdown'));
  }

  /** Closes with a close frame. */
  close(code: number, reason: string): void {
    if (this.closed || this.#ending) return;
    this.#ending = true;
    this.#ws.close(code, reason);
  }

  /** Cuts the TCP connection without a close frame (the client sees 1006). */
  drop(): void {
    if (this.closed) return;
    this.#ending = true;
    this.#settings.stats.connectionsDropped++;
    this.#ws.terminate();
  }

  /** Stops all output (data, pings, control replies) and ignores input: a dead peer. */
  stall(): void {
    this.stalled = true;
    // A dead server enforces nothing either: forget outstanding pings.
    for (const timer of this.#awaitingPong.values()) timer.cancel();
    this.#awaitingPong.clear();
  }

  /** Ends a stall; data resumes with the next market step. */
  unstall(): void {
    this.stalled = false;
  }

  /** A snapshot for tests. */
  info(): ConnectionInfo {
    return {
      id: this.id, path: this.path, combined: this.combined, streams: [...this.streams], openedAt: this.openedAt,
      messagesReceived: this.messagesReceived, maxMessagesInOneSecond: this.maxMessagesInOneSecond,
      stalled: this.stalled, pushesKlines: this.pushesKlines, closed: this.closed, closeCode: this.closeCode,
    };
  }

  #send(text: string): void {
    if (this.#ws.readyState !== this.#ws.OPEN) return;
    this.#ws.send(text);
    this.#settings.stats.framesSent++;
  }

  #later(ms: number, fn: () => void): void {
    const timer = this.#settings.wall.setTimeout(() => {
      this.#timers.delete(timer);
      fn();
    }, ms);
    this.#timers.add(timer);
  }

  #received(kind: ReceivedKind, counted: boolean): void {
    this.#settings.onReceived?.(this, kind, counted);
  }

  // The next ping is armed before this one is sent, as an interval would be.
  #armPing(): void {
    this.#pingTimer = this.#settings.wall.setTimeout(() => {
      this.#armPing();
      this.#ping();
    }, this.#settings.pingIntervalMs);
  }

  /** Counts one incoming message; false (and the connection closing) when it breaks the rate limit. */
  #count(): boolean {
    if (this.closed || this.#ending || this.stalled) return false;
    this.messagesReceived++;
    const now = this.#settings.wall.now();
    this.#recent.push(now);
    while (this.#recent.length > 0 && this.#recent[0]! <= now - 1000) this.#recent.shift();
    this.maxMessagesInOneSecond = Math.max(this.maxMessagesInOneSecond, this.#recent.length);
    if (this.#recent.length <= this.#settings.maxMessagesPerSecond) return true;
    this.#settings.stats.rateLimitViolations++;
    this.close(1008, 'Too many requests');
    return false;
  }

  /** Sends the control replies held so far, in order. */
  releaseReplies(): void {
    for (const text of this.#heldReplies.splice(0)) this.#send(text);
  }

  /** Handles one text message; false when it was not counted (ignored). */
  #onMessage(text: string): boolean {
    if (!this.#count()) return false;
    const { maxStreams, flatErrors, stats } = this.#settings;
    const rejected = this.#settings.rejectedStreams;
    const outcome = handleControl(text, this.streams, { maxStreams, flatErrors, ...(rejected ? { rejected } : {}) });
    if (this.#settings.replies?.held) this.#heldReplies.push(JSON.stringify(outcome.reply));
    else this.#send(JSON.stringify(outcome.reply));
    stats.controlRepliesSent++;
    if (outcome.kind === 'too-many-streams') {
      stats.streamLimitViolations++;
      this.close(1008, 'Too many subscriptions');
      return true;
    }
    if (outcome.add && outcome.add.length > 0) {
      for (const s of outcome.add) this.streams.add(s);
      this.#settings.onSubscribe(this, outcome.add);
    }
    if (outcome.remove && outcome.remove.length > 0) {
      for (const s of outcome.remove) {
        this.streams.delete(s);
        this.#faults.forget(s);
      }
      this.#settings.onUnsubscribe(this, outcome.remove);
    }
    return true;
  }

  #ping(): void {
    if (this.closed || this.stalled) return;
    const payload = `${this.id}:${++this.#pingCount}`;
    const deadline = this.#settings.wall.setTimeout(() => {
      this.#settings.stats.pongTimeouts++;
      this.drop();
    }, this.#settings.pongTimeoutMs);
    this.#awaitingPong.set(payload, deadline);
    this.#ws.ping(payload);
  }

  /** Handles one pong; false when it was not counted (ignored). */
  #onPong(payload: string): boolean {
    if (!this.#count()) return false;
    if (!this.#awaitingPong.has(payload)) return true; // an unsolicited pong does not keep the connection alive
    // Pings are answered in order: this pong also settles every earlier ping.
    for (const [p, timer] of this.#awaitingPong) {
      timer.cancel();
      this.#awaitingPong.delete(p);
      if (p === payload) break;
    }
    return true;
  }

  #onClose(code: number, reason: string): void {
    this.closed = true;
    this.closeCode = code;
    this.#pingTimer?.cancel();
    for (const timer of this.#awaitingPong.values()) timer.cancel();
    this.#awaitingPong.clear();
    for (const timer of this.#timers) timer.cancel();
    this.#timers.clear();
    this.#faults.clear();
    this.#settings.onClose(this, code, reason);
  }
}
