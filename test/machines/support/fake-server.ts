/**
 * A fake venue for model-based tests of the connection + subscriptions machines. Per socket generation it keeps
 * the streams it subscribed and the times of every message it received (control and pong). It applies requests
 * in arrival order, answers in order after a configurable delay, and answers nothing on a closed socket. In the
 * Binance style a SUBSCRIBE naming a bad stream fails whole (error with the request id, nothing applied); in the
 * Polygon style every stream is answered on its own (`control.streamAcked` / `control.streamRejected`).
 */
import type { PendingRequest } from '../../../machines/subscriptions.machine.ts';
import type { ConnectionHarness, TransportHooks } from './connection-harness.ts';

interface ServerSocket {
  opened: boolean;
  closed: boolean;
  readonly subs: Set<string>;
  /** Simulated times of the messages this socket received. */
  readonly received: number[];
  /** Time of the last answer scheduled, so answers keep request order. */
  lastAnswerAt: number;
}

export interface FakeServerOptions {
  /** Streams the server refuses. */
  readonly bad: ReadonlySet<string>;
  /** Answer delays, used in turn. */
  readonly answerDelays: readonly number[];
  /** Delay between `openSocket` and `socket.opened` (and between `startHandshake` and its success). */
  readonly openDelayMs: number;
  /** Answer each stream on its own (Polygon) instead of each request (Binance). */
  readonly perStream?: boolean;
}

export class FakeServer {
  readonly sockets = new Map<number, ServerSocket>();
  /** Sockets still to refuse (never opened: the client times out). */
  refuseNext = 0;
  /** Sockets whose control plane is dead: requests are neither applied nor answered (data may still flow). */
  readonly muted = new Set<number>();
  answerDelays: readonly number[];
  private turn = 0;
  private h: ConnectionHarness | undefined;
  private readonly bad: ReadonlySet<string>;
  private readonly openDelayMs: number;
  private readonly perStream: boolean;

  constructor(options: FakeServerOptions) {
    this.bad = options.bad;
    this.perStream = options.perStream ?? false;
    this.answerDelays = options.answerDelays;
    this.openDelayMs = options.openDelayMs;
  }

  /** Connects the server to the harness it answers. */
  attach(h: ConnectionHarness): void {
    this.h = h;
  }

  /** Transport hooks to pass to the harness. */
  hooks(): TransportHooks {
    return {
      onOpen: (gen) => this.accept(gen),
      onHandshake: (gen) => this.authenticate(gen),
      onClose: (gen) => this.closeByClient(gen),
      onControl: (gen, request) => this.control(gen, request),
      onPong: (gen) => this.socket(gen)?.received.push(this.harness.clock.now()),
    };
  }

  private get harness(): ConnectionHarness {
    if (!this.h) throw new Error('FakeServer not attached');
    return this.h;
  }

  /** An open socket of generation `gen`, or undefined. */
  socket(gen: number): ServerSocket | undefined {
    const s = this.sockets.get(gen);
    return s && s.opened && !s.closed ? s : undefined;
  }

  /** Generations of the sockets open on the server side. */
  openGens(): number[] {
    return [...this.sockets.entries()].filter(([, s]) => s.opened && !s.closed).map(([gen]) => gen);
  }

  /** The server cuts socket `gen` (abnormal closure), telling the client. */
  cut(gen: number, code = 1006): void {
    const s = this.sockets.get(gen);
    if (!s || s.closed) return;
    s.closed = true;
    this.harness.drop(gen, code);
  }

  private accept(gen: number): void {
    const s: ServerSocket = { opened: false, closed: false, subs: new Set(), received: [], lastAnswerAt: 0 };
    this.sockets.set(gen, s);
    if (this.refuseNext > 0) {
      this.refuseNext--;
      return;
    }
    this.harness.clock.setTimeout(() => {
      if (s.closed) return;
      s.opened = true;
      this.harness.send({ type: 'socket.opened', gen });
    }, this.openDelayMs);
  }

  private authenticate(gen: number): void {
    this.harness.clock.setTimeout(() => {
      if (this.socket(gen)) this.harness.send({ type: 'handshake.succeeded', gen });
    }, this.openDelayMs);
  }

  private closeByClient(gen: number): void {
    const s = this.sockets.get(gen);
    if (s) s.closed = true;
  }

  private nextDelay(): number {
    const d = this.answerDelays[this.turn % this.answerDelays.length] ?? 0;
    this.turn++;
    return d;
  }

  private control(gen: number, request: PendingRequest): void {
    const s = this.socket(gen);
    // The transport writes only to open sockets (Shard.send): nothing reaches the server otherwise.
    if (!s) return;
    const now = this.harness.clock.now();
    s.received.push(now);
    if (this.muted.has(gen)) return;
    const isBad = (x: string) => request.op === 'subscribe' && this.bad.has(x);
    const refused = !this.perStream && request.streams.some(isBad);
    for (const x of request.streams) {
      if (refused || isBad(x)) continue;
      if (request.op === 'subscribe') s.subs.add(x);
      else s.subs.delete(x);
    }
    const at = Math.max(s.lastAnswerAt, now + this.nextDelay());
    s.lastAnswerAt = at;
    this.harness.clock.setTimeout(() => {
      if (s.closed) return;
      this.harness.send({ type: 'socket.activity', gen });
      if (this.perStream) {
        for (const stream of request.streams) {
          this.harness.child(
            isBad(stream)
              ? { type: 'control.streamRejected', gen, stream, code: 404, message: 'unknown ticker' }
              : { type: 'control.streamAcked', gen, op: request.op, stream },
          );
        }
      } else {
        this.harness.child(
          refused
            ? { type: 'control.error', gen, id: request.id, code: 2, message: 'Invalid request: invalid stream' }
            : { type: 'control.ack', gen, id: request.id },
        );
      }
    }, at - now);
  }
}
