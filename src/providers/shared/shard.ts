/**
 * A shard: one connection actor of a provider's pool and the WebSocket(s) it drives. This is the only code that
 * touches `ws`. It performs the machine's commands (open, close, send, pong) and turns socket happenings into
 * events tagged with the socket generation. Frames are handed to the provider's decoder; only what moves the
 * machines (control answers, pings, shutdown notices, throttled activity) reaches the actors.
 */
import WebSocket from 'ws';
import { createActor, type Actor, type InspectionEvent } from 'xstate';
import { connectionMachine, type ConnectionInput } from '../../../machines/connection.machine.ts';
import { subscriptionsMachine, type PendingRequest, type SubscriptionsEvent } from '../../../machines/subscriptions.machine.ts';
import type { Clock } from '../../clock.ts';
import { redact } from '../../secrets.ts';
import { Listeners } from './listeners.ts';

/** What a provider plugs into a shard. */
export interface ShardHooks {
  /** URL to open for a new socket. */
  readonly url: () => string;
  /** Wire text of a subscription request. */
  readonly encodeControl: (request: PendingRequest) => string;
  /** Handles one text frame from socket `gen`. */
  readonly onFrame: (shard: Shard, gen: number, text: string, receivedAt: number) => void;
  /** Starts the venue handshake (authentication) on socket `gen`; answer with `shard.send(...)` + events. */
  readonly startHandshake?: (shard: Shard, gen: number) => void;
  /** A socket-level problem worth reporting (the machine already handles the reconnect). */
  readonly onSocketError?: (shard: Shard, gen: number, message: string) => void;
}

/** The connection actor type. */
export type ConnectionActor = Actor<typeof connectionMachine>;

/** One pooled connection. */
export class Shard {
  readonly index: number;
  readonly actor: ConnectionActor;
  private readonly hooks: ShardHooks;
  private readonly clock: Clock;
  private readonly sockets = new Map<number, WebSocket>();
  private lastActivity = new Map<number, number>();
  private readonly activityEveryMs: number;
  /** Messages written to sockets (control + pongs). */
  controlSent = 0;
  /** Called after every snapshot of the shard's actors (connection, subscriptions): what a provider's waits read. */
  readonly changes = new Listeners<[]>();
  /** Resolves the wait of `stop()` when the last socket is gone. */
  private socketsGone: (() => void) | undefined;

  constructor(index: number, hooks: ShardHooks, input: ConnectionInput, clock: Clock, inspect?: (ev: InspectionEvent) => void) {
    this.index = index;
    this.hooks = hooks;
    this.clock = clock;
    // The watchdog only needs to hear of life a few times per stale period; every frame would flood the actor.
    this.activityEveryMs = Math.max(10, Math.floor(Math.min(input.policy.staleAfterMs, input.policy.idleTimeoutMs) / 5));
    const machine = connectionMachine.provide({
      actions: {
        openSocket: (_, { gen }) => this.open(gen),
        closeSocket: (_, { gen, code, reason }) => this.close(gen, code, reason),
        startHandshake: (_, { gen }) => this.hooks.startHandshake?.(this, gen),
      },
      actors: {
        subscriptions: subscriptionsMachine.provide({
          actions: {
            sendControl: (_, { gen, request }) => this.send(gen, this.hooks.encodeControl(request)),
            sendPong: (_, { gen, payload }) => this.pong(gen, payload),
          },
        }),
      },
    });
    this.actor = createActor(machine, {
      input,
      inspect: (ev) => {
        inspect?.(ev);
        if (ev.type === '@xstate.snapshot') this.changes.emit();
      },
    });
  }

  /** Starts the actor and its first connection. */
  start(): void {
    this.actor.start();
    this.actor.send({ type: 'connection.start' });
  }

  /** Sends an event to the subscription set. */
  subscriptions(event: SubscriptionsEvent): void {
    this.actor.system.get('subscriptions')?.send(event);
  }

  /** The subscription set's current context. */
  subscriptionState() {
    return this.actor.getSnapshot().children.subscriptions?.getSnapshot().context;
  }

  /** Reports life on socket `gen` to the watchdog, at most a few times per stale period. */
  activity(gen: number, now: number): void {
    const last = this.lastActivity.get(gen) ?? 0;
    if (now - last < this.activityEveryMs) return;
    this.lastActivity.set(gen, now);
    this.actor.send({ type: 'socket.activity', gen });
  }

  /** Writes text to socket `gen` if it is open. */
  send(gen: number, text: string): void {
    const ws = this.sockets.get(gen);
    if (ws?.readyState !== WebSocket.OPEN) return;
    this.controlSent++;
    ws.send(text);
  }

  /** Number of sockets currently open or opening. */
  get liveSockets(): number {
    return this.sockets.size;
  }

  /** Stops the actor (closing every socket) and waits until the sockets are gone. */
  async stop(): Promise<void> {
    if (this.actor.getSnapshot().status === 'active') this.actor.send({ type: 'connection.stop' });
    if (this.sockets.size > 0) {
      // Wait for the close handshakes, bounded by one timer: a socket still open after it is terminated below.
      await new Promise<void>((resolve) => {
        const timer = this.clock.setTimeout(resolve, 2_000);
        this.socketsGone = () => {
          timer.cancel();
          resolve();
        };
      });
      this.socketsGone = undefined;
    }
    for (const ws of this.sockets.values()) ws.terminate();
    this.sockets.clear();
    this.actor.stop();
  }

  private pong(gen: number, payload: string): void {
    const ws = this.sockets.get(gen);
    if (ws?.readyState !== WebSocket.OPEN) return;
    this.controlSent++;
    ws.pong(Buffer.from(payload, 'base64'));
  }

  private open(gen: number): void {
    // autoPong off: pongs count against the venue's message budget, so they go through the subscription set.
    const ws = new WebSocket(this.hooks.url(), { autoPong: false, handshakeTimeout: 10_000, perMessageDeflate: false });
    this.sockets.set(gen, ws);
    const live = () => this.actor.getSnapshot().status === 'active';
    ws.on('open', () => live() && this.actor.send({ type: 'socket.opened', gen }));
    ws.on('message', (data, isBinary) => {
      if (isBinary || !live()) return;
      const now = this.clock.now();
      this.activity(gen, now);
      this.hooks.onFrame(this, gen, data.toString(), now);
    });
    ws.on('ping', (payload) => {
      if (!live()) return;
      this.activity(gen, this.clock.now());
      this.subscriptions({ type: 'ping.received', gen, payload: payload.toString('base64') });
    });
    ws.on('error', (err) => this.hooks.onSocketError?.(this, gen, redact(err.message)));
    ws.on('close', (code, reason) => {
      this.sockets.delete(gen);
      this.lastActivity.delete(gen);
      if (this.sockets.size === 0) this.socketsGone?.();
      if (live()) this.actor.send({ type: 'socket.closed', gen, code, reason: reason.toString() });
    });
  }

  private close(gen: number, code: number, reason: string): void {
    const ws = this.sockets.get(gen);
    if (!ws) return;
    if (ws.readyState === WebSocket.CONNECTING) {
      ws.terminate();
      return;
    }
    ws.close(code, reason.slice(0, 120));
    // A peer that never answers the close handshake must not keep the socket (and its frames) alive.
    this.clock.setTimeout(() => ws.terminate(), 1_000);
  }
}
