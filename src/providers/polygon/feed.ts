/**
 * The Massive (formerly Polygon) half of the shared transport: the hooks a `Shard` runs. The handshake is the
 * connection machine's `handshaking` state: the server's connect event (`connected`, or the spec's `success` /
 * `Connected Successfully`) and the machine's `startHandshake` (in either order) send one `auth` message;
 * `auth_success` (older servers: `success` / `authenticated`) succeeds, `auth_failed` (older: `error` /
 * `authentication failed`) fails fatally (AUTHENTICATION_FAILED: a bad key is never retried) and `auth_timeout`
 * fails for a retry. The disconnect statuses (`max_connections`, `force_disconnect`, `slow_consumer`) and an
 * `auth_required` after authentication end the socket at once with the status as the close reason, so the
 * reconnect (which authenticates again) is reported under its own name. Subscription answers come one status
 * per parameter. See status.ts for how a status is read.
 */
import type { Bar } from '../../domain/bar.ts';
import { realtimeError, type ErrorCode, type RealtimeError } from '../../errors.ts';
import { redact } from '../../secrets.ts';
import type { Shard, ShardHooks } from '../shared/shard.ts';
import { POLYGON_DISCONNECT_STATUSES, POLYGON_STATUS } from './messages.ts';
import { parsePolygonFrame } from './parse.ts';
import { classifyPolygonStatus } from './status.ts';
import { polygonAuthMessage, polygonControlMessage } from './subscriptions.ts';

/** Close code of the synthetic close sent to the machine when a disconnect status arrives. */
export const STATUS_CLOSE_CODE = 4000;

const STATUS_REASON = new RegExp(`^(?:closed_${STATUS_CLOSE_CODE}:|handshake_failed:)(\\w+)$`);

/** The reason of a reconnect as Massive names it (`max_connections`, `auth_timeout`...), else the machine's. */
export const polygonReason = (reason: string): string => {
  const status = STATUS_REASON.exec(reason)?.[1];
  return status !== undefined && status in POLYGON_DISCONNECT_STATUSES ? status : reason;
};

/** What the provider does with the feed's findings. */
export interface PolygonFeedCallbacks {
  readonly onBar: (shard: Shard, gen: number, stream: string, bar: Bar) => void;
  readonly onMalformed: (shard: Shard, reason: string, text: string) => void;
  /** A disconnect status: return a fatal failure to stop retrying, or undefined to reconnect with backoff. */
  readonly onDisconnectStatus: (shard: Shard, gen: number, status: string, message: string) => { code: ErrorCode; message: string } | undefined;
  readonly onNotice: (error: RealtimeError) => void;
}

interface HandshakeState {
  started: boolean;
  connected: boolean;
  authSent: boolean;
}

/** Builds the shard hooks of a Polygon connection. */
export class PolygonFeed {
  private readonly url: string;
  private readonly apiKey: string;
  private readonly callbacks: PolygonFeedCallbacks;
  private readonly handshakes = new Map<number, HandshakeState>();
  /** Events of types that carry no bars (trades, quotes), counted. */
  otherEvents = 0;

  constructor(url: string, apiKey: string, callbacks: PolygonFeedCallbacks) {
    this.url = url;
    this.apiKey = apiKey;
    this.callbacks = callbacks;
  }

  /** The hooks to give the shard. */
  hooks(onSocketError: (shard: Shard, gen: number, message: string) => void): ShardHooks {
    return {
      url: () => this.url,
      encodeControl: (request) => JSON.stringify(polygonControlMessage(request)),
      onFrame: (shard, gen, text, receivedAt) => this.onFrame(shard, gen, text, receivedAt),
      startHandshake: (shard, gen) => {
        const st = this.state(gen);
        st.started = true;
        if (st.connected) this.authenticate(shard, gen, st);
      },
      onSocketError,
    };
  }

  private state(gen: number): HandshakeState {
    let st = this.handshakes.get(gen);
    if (!st) {
      st = { started: false, connected: false, authSent: false };
      this.handshakes.set(gen, st);
      for (const g of this.handshakes.keys()) if (g < gen - 2) this.handshakes.delete(g);
    }
    return st;
  }

  private authenticate(shard: Shard, gen: number, st: HandshakeState): void {
    if (st.authSent) return;
    st.authSent = true;
    shard.send(gen, JSON.stringify(polygonAuthMessage(this.apiKey)));
  }

  private onFrame(shard: Shard, gen: number, text: string, receivedAt: number): void {
    for (const msg of parsePolygonFrame(text, receivedAt)) {
      switch (msg.kind) {
        case 'bar':
          this.callbacks.onBar(shard, gen, msg.stream, msg.bar);
          break;
        case 'status':
          this.onStatus(shard, gen, msg.status, redact(msg.message));
          break;
        case 'other':
          this.otherEvents++;
          break;
        case 'malformed':
          this.callbacks.onMalformed(shard, msg.reason, redact(text.slice(0, 200)));
      }
    }
  }

  private onStatus(shard: Shard, gen: number, status: string, message: string): void {
    const handshaking = shard.actor.getSnapshot().matches('handshaking');
    const meaning = classifyPolygonStatus(status, message);
    switch (meaning.kind) {
      case 'connected': {
        const st = this.state(gen);
        st.connected = true;
        if (st.started) this.authenticate(shard, gen, st);
        return;
      }
      case 'authenticated':
        shard.actor.send({ type: 'handshake.succeeded', gen });
        return;
      case 'authFailed': {
        const text = `authentication failed (${status})${message ? `: ${message}` : ''}`;
        if (handshaking) shard.actor.send({ type: 'handshake.failed', gen, fatal: true, code: 'AUTHENTICATION_FAILED', message: text });
        else shard.actor.send({ type: 'connection.fatal', code: 'AUTHENTICATION_FAILED', message: text });
        return;
      }
      case 'authRequired': {
        const st = this.state(gen);
        // Before our `auth` went out this is the server's prompt; after it, the key was not (or no longer) taken.
        if (handshaking && !st.authSent) {
          st.connected = true;
          if (st.started) this.authenticate(shard, gen, st);
          return;
        }
        return this.endWithStatus(shard, gen, status, message, handshaking);
      }
      case 'ack':
        shard.subscriptions({ type: 'control.streamAcked', gen, op: meaning.op, stream: meaning.stream });
        return;
      case 'error':
        return this.onErrorStatus(shard, gen, message);
      case 'disconnect':
        return this.endWithStatus(shard, gen, status, message, handshaking);
      case 'unknown':
        this.callbacks.onNotice(realtimeError('INVALID_MESSAGE', `connection ${shard.index}: unexpected status ${JSON.stringify(status)}: ${message}`, { connection: shard.index, status, message }));
    }
  }

  /** A status after which this connection cannot go on: fail the handshake for a retry, or reconnect (or give up). */
  private endWithStatus(shard: Shard, gen: number, status: string, message: string, handshaking: boolean): void {
    if (handshaking && (status === POLYGON_STATUS.authTimeout || status === POLYGON_STATUS.authRequired)) {
      shard.actor.send({ type: 'handshake.failed', gen, fatal: false, code: status === POLYGON_STATUS.authTimeout ? 'TIMEOUT' : 'AUTHENTICATION_FAILED', reason: status, message });
      return;
    }
    const fatal = this.callbacks.onDisconnectStatus(shard, gen, status, message);
    // The server closes after these statuses (and after auth_required the provider closes); closing now makes
    // the machine record the status as the reason.
    if (fatal) shard.actor.send({ type: 'connection.fatal', ...fatal });
    else shard.actor.send({ type: 'socket.closed', gen, code: STATUS_CLOSE_CODE, reason: status });
  }

  /** An `error` status names no request: match it to the parameters in flight that its message mentions. */
  private onErrorStatus(shard: Shard, gen: number, message: string): void {
    const pending = shard.subscriptionState()?.pending ?? [];
    const named = [...new Set(pending.flatMap((p) => p.streams))].filter((s) => message.includes(s));
    for (const stream of named) shard.subscriptions({ type: 'control.streamRejected', gen, stream, code: 0, message });
    if (named.length === 0) this.callbacks.onNotice(realtimeError('SUBSCRIPTION_FAILED', `connection ${shard.index}: server error: ${message}`, { connection: shard.index, message }));
  }
}
