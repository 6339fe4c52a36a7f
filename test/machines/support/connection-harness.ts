/**
 * Drives the connection machine (with its subscriptions child) on a stepping SimulatedClock through recording
 * fakes of every named action, and keeps the transport's view of which sockets are live so tests can check
 * that at most one socket is open outside a rotation and at most two during one.
 */
import { createActor, type Actor } from 'xstate';
import {
  connectionMachine,
  type ConnectionEmitted,
  type ConnectionEvent,
  type ConnectionInput,
  type ConnectionPolicy,
} from '../../../machines/connection.machine.ts';
import {
  subscriptionsMachine,
  type PendingRequest,
  type SubscriptionsContext,
  type SubscriptionsEmitted,
  type SubscriptionsEvent,
  type SubscriptionsInput,
} from '../../../machines/subscriptions.machine.ts';
import { SteppingClock } from './stepping-clock.ts';

/** A policy with round numbers, every timer distinct so tests can tell them apart. */
export const testPolicy = (overrides: Partial<ConnectionPolicy> = {}): ConnectionPolicy => ({
  baseDelayMs: 100,
  maxDelayMs: 1_600,
  jitter: 0,
  maxAttempts: 0,
  healthyAfterMs: 10_000,
  connectTimeoutMs: 3_000,
  handshakeTimeoutMs: 2_000,
  staleAfterMs: 5_000,
  idleTimeoutMs: 30_000,
  maxAgeMs: 0,
  handshake: false,
  ...overrides,
});

/** Venue limits for tests (Binance-like rate). */
export const testLimits = (overrides: Partial<SubscriptionsInput> = {}): SubscriptionsInput => ({
  controlPerSecond: 5,
  ackTimeoutMs: 4_000,
  maxStreamsPerMessage: 10,
  initial: [],
  ...overrides,
});

/** One command the machines gave the transport, with the simulated time it was given at. */
export type Call =
  | { kind: 'open'; gen: number; at: number }
  | { kind: 'close'; gen: number; code: number; reason: string; at: number }
  | { kind: 'handshake'; gen: number; at: number }
  | { kind: 'control'; gen: number; request: PendingRequest; at: number }
  | { kind: 'pong'; gen: number; payload: string; at: number };

/** Hooks a fake server can plug in to answer the machines' commands. */
export interface TransportHooks {
  onOpen?: (gen: number) => void;
  onClose?: (gen: number) => void;
  onHandshake?: (gen: number) => void;
  onControl?: (gen: number, request: PendingRequest) => void;
  onPong?: (gen: number, payload: string) => void;
}

export interface HarnessOptions {
  policy?: Partial<ConnectionPolicy>;
  limits?: Partial<SubscriptionsInput>;
  seed?: number;
  hooks?: TransportHooks;
  /** Throws from the first step that breaks the socket-count invariant (default true). */
  checkSockets?: boolean;
}

/** A running connection actor with recording fakes. */
export class ConnectionHarness {
  readonly clock = new SteppingClock();
  readonly calls: Call[] = [];
  readonly emitted: (ConnectionEmitted & { at: number })[] = [];
  readonly childEmitted: (SubscriptionsEmitted & { at: number })[] = [];
  /** Sockets opened and not yet closed by either side. */
  readonly live = new Set<number>();
  maxLive = 0;
  readonly actor: Actor<typeof connectionMachine>;
  readonly input: ConnectionInput;
  private readonly checkSockets: boolean;

  constructor(options: HarnessOptions = {}) {
    const hooks = options.hooks ?? {};
    this.checkSockets = options.checkSockets ?? true;
    this.input = { policy: testPolicy(options.policy), subscriptions: testLimits(options.limits), seed: options.seed ?? 42 };
    const machine = connectionMachine.provide({
      actions: {
        openSocket: (_, { gen }) => {
          this.calls.push({ kind: 'open', gen, at: this.clock.now() });
          this.live.add(gen);
          this.maxLive = Math.max(this.maxLive, this.live.size);
          hooks.onOpen?.(gen);
        },
        closeSocket: (_, { gen, code, reason }) => {
          this.calls.push({ kind: 'close', gen, code, reason, at: this.clock.now() });
          this.live.delete(gen);
          hooks.onClose?.(gen);
        },
        startHandshake: (_, { gen }) => {
          this.calls.push({ kind: 'handshake', gen, at: this.clock.now() });
          hooks.onHandshake?.(gen);
        },
      },
      actors: {
        subscriptions: subscriptionsMachine.provide({
          actions: {
            sendControl: (_, { gen, request }) => {
              this.calls.push({ kind: 'control', gen, request, at: this.clock.now() });
              hooks.onControl?.(gen, request);
            },
            sendPong: (_, { gen, payload }) => {
              this.calls.push({ kind: 'pong', gen, payload, at: this.clock.now() });
              hooks.onPong?.(gen, payload);
            },
          },
        }),
      },
    });
    this.actor = createActor(machine, { input: this.input, clock: this.clock });
    this.actor.on('*', (e) => this.emitted.push({ ...e, at: this.clock.now() }));
    this.actor.start();
    this.actor.system.get('subscriptions')!.on('*', (e: SubscriptionsEmitted) => this.childEmitted.push({ ...e, at: this.clock.now() }));
    this.clock.afterStep = () => this.assertSockets();
  }

  /** Sends an event to the connection actor, then checks the socket invariant. */
  send(event: ConnectionEvent): void {
    if (event.type === 'socket.closed') this.live.delete(event.gen);
    this.actor.send(event);
    this.assertSockets();
  }

  /** Sends an event to the subscriptions child. */
  child(event: SubscriptionsEvent): void {
    this.actor.system.get('subscriptions')!.send(event);
    this.assertSockets();
  }

  advance(ms: number): void {
    this.clock.advance(ms);
  }

  get snapshot() {
    return this.actor.getSnapshot();
  }

  get context() {
    return this.actor.getSnapshot().context;
  }

  /** The state as a dotted string (`open.watching`). */
  get state(): string {
    const flat = (v: unknown): string =>
      typeof v === 'string' ? v : Object.entries(v as Record<string, unknown>).map(([k, c]) => `${k}.${flat(c)}`).join(',');
    return flat(this.snapshot.value);
  }

  get gen(): number {
    return this.context.gen;
  }

  get subs(): SubscriptionsContext {
    return this.actor.system.get('subscriptions')!.getSnapshot().context as SubscriptionsContext;
  }

  /** Starts and opens the first socket (and completes the handshake when the policy asks for one). */
  connect(): void {
    this.send({ type: 'connection.start' });
    this.opened();
  }

  /** Reports the current socket open (and handshaken when the policy needs it). */
  opened(gen = this.gen): void {
    this.send({ type: 'socket.opened', gen });
    if (this.input.policy.handshake) this.send({ type: 'handshake.succeeded', gen });
  }

  /** The server drops socket `gen` (abnormal closure by default). */
  drop(gen = this.gen, code = 1006, reason = ''): void {
    this.send({ type: 'socket.closed', gen, code, reason });
  }

  /** Acknowledges every pending request of the current subscription generation. */
  ackPending(): void {
    const gen = this.subs.gen;
    if (gen === null) return;
    for (const p of [...this.subs.pending]) this.child({ type: 'control.ack', gen, id: p.id });
  }

  /** Calls of one kind. */
  of<K extends Call['kind']>(kind: K): Extract<Call, { kind: K }>[] {
    return this.calls.filter((c): c is Extract<Call, { kind: K }> => c.kind === kind);
  }

  /** Emitted facts of one type. */
  facts<T extends ConnectionEmitted['type']>(type: T): Extract<ConnectionEmitted & { at: number }, { type: T }>[] {
    return this.emitted.filter((e): e is Extract<ConnectionEmitted & { at: number }, { type: T }> => e.type === type);
  }

  /** Throws when more sockets are live than the machine's state allows. */
  assertSockets(): void {
    if (!this.checkSockets) return;
    const allowed = this.context.draining !== null ? 2 : 1;
    if (this.live.size > allowed) {
      throw new Error(`${this.live.size} live sockets [${[...this.live].join(', ')}] with draining=${this.context.draining} in ${this.state}`);
    }
  }

  stop(): void {
    this.actor.stop();
  }
}
