/**
 * `run --source nats://…`: a RealtimeProvider that reads closed bars from the bus instead of a venue socket.
 * Each (session, stream) pair has its own durable JetStream consumer (nats-server 2.9 filters a consumer by one
 * subject), so many strategy hosts read the same stream independently and a host restarted with the same
 * session id resumes where it stopped. A bar is acknowledged only after the session says the strategy and the
 * event log have it ({@link BusSourceProvider.checkpoint} before a log flush, {@link BusSourceProvider.commit}
 * after it); the checkpoint is logged in the same flush, so a crash between the flush and the ack cannot make
 * the strategy see a bar twice: on resume, each consumer is recreated just after what the log says was delivered.
 */
import type { NatsConnection } from '@nats-io/transport-node';
import { jetstream, type Consumer, type ConsumerMessages, type JetStreamManager, type JsMsg } from '@nats-io/jetstream';
import type { Bar } from '../domain/bar.ts';
import type { Interval } from '../domain/interval.ts';
import { describe, realtimeError, type RealtimeError } from '../errors.ts';
import { Listeners } from '../providers/shared/listeners.ts';
import type { ConnectionState, ConnectionStateDetail, ProviderStats, RealtimeProvider, Unlisten } from '../providers/realtime-provider.ts';
import { decodeBar } from './bar-message.ts';
import type { BusConfig } from './config.ts';
import { connectBus, ensureBarStream } from './connection.ts';
import { barSubject, safeName } from './subjects.ts';

/** What a session logs before a flush so that a resumed host skips what its strategy already had. */
export interface BusCheckpoint {
  /** Last stream sequence delivered, by durable consumer name. */
  readonly delivered: Readonly<Record<string, number>>;
  /** Messages covered, counted from the start of this run (pass it back to {@link BusSourceProvider.commit}). */
  readonly upTo: number;
}

/** A message handed to the session; `bars` counts the bars emitted up to and including it. */
interface Emitted { readonly durable: string; readonly msg: JsMsg; readonly bars: number }

/** Figures of a bus source, for stats and metrics. */
export interface BusSourceStats {
  readonly consumers: number;
  readonly received: number;
  readonly acked: number;
  /** Delivered to the session, waiting for the strategy and the log. */
  readonly unacked: number;
  /** Messages JetStream has not delivered yet, summed over this session's consumers (updated on each commit). */
  readonly pending: number;
  readonly redeliveriesSkipped: number;
  readonly malformed: number;
  /** Now − the recorder's receive time of the last bar, ms. */
  readonly lagMs: number;
}

/** A market data provider backed by durable JetStream consumers. */
export class BusSourceProvider implements RealtimeProvider {
  /** Tells the session's bus helpers (session-bus.ts) what this provider is without loading its class. */
  readonly busRole = 'consume' as const;
  readonly name = 'bus-source';
  private readonly config: BusConfig;
  private readonly sessionId: string;
  private readonly barProvider: string;
  private nc: NatsConnection | undefined;
  private jsm: JetStreamManager | undefined;
  private readonly data = new Listeners<[Bar]>();
  private readonly errors = new Listeners<[RealtimeError]>();
  private readonly states = new Listeners<[ConnectionState, ConnectionStateDetail]>();
  private state: ConnectionState = 'disconnected';
  private readonly iterators = new Map<string, ConsumerMessages>();
  private readonly consumers = new Map<string, Consumer>();
  private readonly pendingBy = new Map<string, number>();
  private readonly lastSeq = new Map<string, number>();
  private readonly restored = new Map<string, number>();
  private readonly emitted: Emitted[] = [];
  /** Absolute counts (since this run started) of messages checkpointed and committed. */
  private checkpointed = 0;
  private committed = 0;
  private readonly symbols = new Set<string>();
  private counts = { received: 0, acked: 0, redeliveriesSkipped: 0, malformed: 0, lagMs: 0, pending: 0, barsEmitted: 0 };
  private closing = false;

  constructor(config: BusConfig, sessionId: string, barProvider: string) {
    this.config = config;
    this.sessionId = sessionId;
    this.barProvider = barProvider;
  }

  async connect(): Promise<void> {
    this.setState('connecting');
    this.nc = await connectBus(this.config, `argo-realtime strategy host ${this.sessionId}`);
    this.jsm = await ensureBarStream(this.nc, this.config);
    this.setState('connected');
    void (async () => {
      for await (const s of this.nc!.status()) {
        if (s.type === 'disconnect') this.setState('reconnecting', 'bus disconnected');
        else if (s.type === 'reconnect') this.setState('connected');
      }
    })();
  }

  /** The durable consumer name of a stream for this session. */
  durableOf(symbol: string, interval: Interval): string {
    return safeName(this.sessionId, this.barProvider, interval, symbol.toUpperCase());
  }

  async subscribe(symbols: readonly string[], interval: Interval): Promise<void> {
    if (!this.nc || !this.jsm) throw realtimeError('NOT_READY', 'bus source: subscribe before connect', { source: 'bus' });
    const js = jetstream(this.nc);
    for (const raw of symbols) {
      const symbol = raw.toUpperCase();
      const durable = this.durableOf(symbol, interval);
      if (this.iterators.has(durable)) continue;
      try {
        // The event log, not the consumer's ack floor, says where this session stands: bars the dead run had in
        // hand stay "pending" on the server until their ack wait passes, so the consumer is recreated at the
        // logged position instead of waiting for them.
        const after = this.restored.get(durable);
        await this.jsm.consumers.delete(this.config.stream, durable).catch(() => undefined);
        await this.jsm.consumers.add(this.config.stream, {
          durable_name: durable, filter_subject: barSubject(this.config.subject_prefix, this.barProvider, interval, symbol),
          ack_policy: 'all', ack_wait: 60_000_000_000, max_ack_pending: 20_000,
          ...(after === undefined ? { deliver_policy: 'all' } : { deliver_policy: 'by_start_sequence', opt_start_seq: after + 1 }),
        });
        const consumer = await js.consumers.get(this.config.stream, durable);
        const messages = await consumer.consume({ max_messages: 512 });
        this.iterators.set(durable, messages);
        this.consumers.set(durable, consumer);
        this.symbols.add(symbol);
        void this.read(durable, messages);
      } catch (e) {
        throw realtimeError('SUBSCRIPTION_FAILED', `bus source: consumer ${durable}: ${describe(e)}`, { source: 'bus', symbol });
      }
    }
  }

  private async read(durable: string, messages: ConsumerMessages): Promise<void> {
    try {
      for await (const m of messages) {
        this.counts.received++;
        const seq = m.info.streamSequence;
        // A redelivery (ack wait passed, or a resumed host) of a bar this session already has.
        if (seq <= (this.lastSeq.get(durable) ?? 0)) {
          this.counts.redeliveriesSkipped++;
          // Logged as delivered by an earlier run: settle it now (acking a bar not yet committed would lose it).
          if (seq <= (this.restored.get(durable) ?? 0)) m.ack();
          continue;
        }
        this.lastSeq.set(durable, seq);
        const decoded = decodeBar(m.data);
        if ('bar' in decoded) this.counts.barsEmitted++;
        this.emitted.push({ durable, msg: m, bars: this.counts.barsEmitted });
        if ('problem' in decoded) {
          this.counts.malformed++;
          this.errors.emit(realtimeError('INVALID_MESSAGE', `bus source: ${m.subject} #${seq}: ${decoded.problem}`, { source: 'bus', seq }));
          continue;
        }
        this.counts.lagMs = Math.max(0, Date.now() - decoded.bar.receivedAt);
        this.data.emit(decoded.bar);
      }
    } catch (e) {
      if (!this.closing) this.errors.emit(realtimeError('CONNECTION_LOST', `bus source: ${durable}: ${describe(e)}`, { source: 'bus' }));
    }
  }

  /**
   * Marks the first `done` bars emitted (the session's count of bars its strategy and writer have) as delivered,
   * and returns the checkpoint the session logs before its flush; undefined when nothing is new.
   */
  checkpoint(done: number): BusCheckpoint | undefined {
    let i = this.checkpointed - this.committed;
    while (i < this.emitted.length && this.emitted[i]!.bars <= done) i++;
    if (i + this.committed === this.checkpointed) return undefined;
    this.checkpointed = i + this.committed;
    const delivered: Record<string, number> = {};
    for (const e of this.emitted.slice(0, i)) delivered[e.durable] = e.msg.info.streamSequence;
    return { delivered, upTo: this.checkpointed };
  }

  /** Acknowledges what a checkpoint covered (call after the flush that logged it). */
  commit(checkpoint: BusCheckpoint): void {
    const done = this.emitted.splice(0, Math.max(0, checkpoint.upTo - this.committed));
    this.committed += done.length;
    const last = new Map<string, JsMsg>();
    for (const e of done) last.set(e.durable, e.msg);
    // Ack policy `all`: acknowledging the last message of a consumer acknowledges every one before it.
    for (const m of last.values()) m.ack();
    this.counts.acked += done.length;
    for (const [durable, c] of this.consumers) {
      void c.info(true).then((info) => {
        this.pendingBy.set(durable, info.num_pending);
        this.counts.pending = [...this.pendingBy.values()].reduce((a, b) => a + b, 0);
      }).catch(() => undefined);
    }
  }

  /** Restores what earlier runs of this session logged: those bars are acknowledged without being delivered. */
  restore(checkpoints: readonly BusCheckpoint[]): void {
    for (const c of checkpoints) {
      for (const [durable, seq] of Object.entries(c.delivered)) {
        this.restored.set(durable, Math.max(this.restored.get(durable) ?? 0, seq));
        this.lastSeq.set(durable, Math.max(this.lastSeq.get(durable) ?? 0, seq));
      }
    }
  }

  async unsubscribe(symbols: readonly string[]): Promise<void> {
    for (const [durable, it] of this.iterators) {
      if (symbols.some((s) => durable.endsWith(`__${safeName(s.toUpperCase())}`))) { it.stop(); this.iterators.delete(durable); this.consumers.delete(durable); }
    }
    for (const s of symbols) this.symbols.delete(s.toUpperCase());
  }

  onData(callback: (bar: Bar) => void): Unlisten { return this.data.add(callback); }
  onError(callback: (error: RealtimeError) => void): Unlisten { return this.errors.add(callback); }
  onConnectionStateChange(callback: (state: ConnectionState, detail: ConnectionStateDetail) => void): Unlisten { return this.states.add(callback); }

  async disconnect(): Promise<void> {
    this.closing = true;
    for (const it of this.iterators.values()) it.stop();
    this.iterators.clear();
    // Bars delivered but not committed stay unacknowledged: the next run with this id gets them again.
    await this.nc?.drain().catch(() => this.nc?.close());
    this.setState('disconnected');
  }

  getConnectionState(): ConnectionState { return this.state; }
  getSubscribedSymbols(): string[] { return [...this.symbols]; }

  stats(): ProviderStats {
    return {
      connections: this.state === 'connected' ? 1 : 0, framesReceived: this.counts.received, barsEmitted: this.counts.barsEmitted,
      barsBackfilled: 0, malformedFrames: this.counts.malformed, duplicatesDropped: this.counts.redeliveriesSkipped,
      reconnects: 0, reconnectReasons: {}, controlMessagesSent: 0,
    };
  }

  /** Bus-side figures. */
  busStats(): BusSourceStats {
    return {
      consumers: this.iterators.size, received: this.counts.received, acked: this.counts.acked, unacked: this.emitted.length,
      pending: this.counts.pending, redeliveriesSkipped: this.counts.redeliveriesSkipped, malformed: this.counts.malformed, lagMs: this.counts.lagMs,
    };
  }

  private setState(state: ConnectionState, reason?: string): void {
    if (state === this.state) return;
    this.state = state;
    this.states.emit(state, { connection: 0, ...(reason ? { reason } : {}) });
  }
}
