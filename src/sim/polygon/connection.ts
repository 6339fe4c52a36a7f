/**
 * One simulated Massive (formerly Polygon) connection: the connect status on open, the authentication exchange
 * (success, failure, timeout) in one of three dialects (options.ts `handshake`), subscribe / unsubscribe with one
 * status per parameter (`auth_required` before authentication, as the spec's SubscribeEvent lists), the
 * disconnect statuses, and the outgoing batching that makes every frame a JSON array: events produced in the
 * same event-loop turn (statuses and data alike) leave together in one frame.
 */
import type { WebSocket } from 'ws';
import type { PolygonFeed, PolygonStatusEvent } from '../../providers/polygon/messages.ts';
import { garbageFrame, statusEvent } from './events.ts';
import type { PolygonHandshakeDialect } from './options.ts';

/** The handshake's status events in each dialect. */
const HANDSHAKE: Readonly<Record<PolygonHandshakeDialect, { connected: PolygonStatusEvent; success: PolygonStatusEvent; failed: PolygonStatusEvent }>> = {
  connected: {
    connected: statusEvent('connected', 'Connected Successfully'),
    success: statusEvent('auth_success', 'authenticated'),
    failed: statusEvent('auth_failed', 'authentication failed'),
  },
  spec: {
    connected: statusEvent('success', 'Connected Successfully'),
    success: statusEvent('auth_success', 'authenticated'),
    failed: statusEvent('auth_failed', 'authentication failed'),
  },
  legacy: {
    connected: statusEvent('connected', 'Connected Successfully'),
    success: statusEvent('success', 'authenticated'),
    failed: statusEvent('error', 'authentication failed'),
  },
};

/** Counters shared by every connection of a simulator. */
export interface PolygonSimStats {
  connectionsOpened: number;
  connectionsClosed: number;
  connectionsDropped: number;
  authAttempts: number;
  authFailures: number;
  authTimeouts: number;
  evictions: number;
  disconnectStatuses: number;
  framesSent: number;
  dataEventsSent: number;
  correctionsSent: number;
  malformedSent: number;
  restRequests: number;
  restFailures: number;
}

/** A snapshot of a connection for tests. */
export interface PolygonConnectionInfo {
  readonly id: number;
  readonly feed: PolygonFeed;
  readonly authenticated: boolean;
  /** Index of the accepted key in `apiKeys`, or -1. */
  readonly keyIndex: number;
  readonly params: readonly string[];
  readonly authAttempts: number;
  readonly closed: boolean;
  readonly closeCode: number | undefined;
  readonly closeReason: string | undefined;
}

/** What a connection needs from its simulator. */
export interface PolygonConnectionSettings {
  readonly apiKeys: readonly string[];
  readonly handshake: PolygonHandshakeDialect;
  readonly authTimeoutMs: number;
  readonly stats: PolygonSimStats;
  readonly malformedRate: () => number;
  readonly random: () => number;
  /** True when this auth message must go unanswered (fault injection). */
  readonly swallowAuth: () => boolean;
  /** True for a subscription param the server refuses (the `refuseParams` fault). */
  readonly refused: (param: string) => boolean;
  readonly onAuthenticated: (connection: PolygonSimConnection) => void;
  readonly onSubscribe: (connection: PolygonSimConnection, params: readonly string[]) => void;
  readonly onClose: (connection: PolygonSimConnection) => void;
}

/** Server side of one WebSocket connection. */
export class PolygonSimConnection {
  readonly id: number;
  readonly feed: PolygonFeed;
  readonly params = new Set<string>();
  /** Order of authentication among connections (eviction picks the oldest). */
  authenticatedAt = 0;
  keyIndex = -1;
  authAttempts = 0;
  closed = false;
  closeCode: number | undefined;
  closeReason: string | undefined;
  readonly #ws: WebSocket;
  readonly #settings: PolygonConnectionSettings;
  #queue: unknown[] = [];
  #queuedData = false;
  #flushing: NodeJS.Immediate | undefined;
  #authTimer: ReturnType<typeof setTimeout> | undefined;
  #ending = false;

  constructor(id: number, feed: PolygonFeed, ws: WebSocket, settings: PolygonConnectionSettings) {
    this.id = id;
    this.feed = feed;
    this.#ws = ws;
    this.#settings = settings;
    ws.on('message', (data) => this.#onMessage(String(data)));
    ws.on('close', (code, reason) => this.#onClose(code, reason.toString()));
    this.#push(HANDSHAKE[settings.handshake].connected);
    this.#authTimer = setTimeout(() => {
      if (this.authenticated || this.closed) return;
      settings.stats.authTimeouts++;
      this.endWith('auth_timeout', 'No authentication request received.');
    }, settings.authTimeoutMs);
  }

  /** True once the client sent an accepted key. */
  get authenticated(): boolean {
    return this.keyIndex >= 0;
  }

  /** Queues data events (only an authenticated connection gets data); `corrections` of them are re-sent bars. */
  sendData(events: readonly unknown[], corrections = 0): void {
    if (!this.authenticated || this.closed || this.#ending || events.length === 0) return;
    this.#settings.stats.dataEventsSent += events.length;
    this.#settings.stats.correctionsSent += corrections;
    this.#queuedData = true;
    this.#push(...events);
  }

  /** Sends a disconnect status (after anything queued, in the same frame) and closes with 1008. */
  endWith(status: string, message: string): void {
    if (this.closed || this.#ending) return;
    this.#settings.stats.disconnectStatuses++;
    this.#push(statusEvent(status, message));
    this.#flush();
    this.#ending = true;
    this.#ws.close(1008, status);
  }

  /** Forgets the connection's authentication and tells it with `auth_required`; data stops until it authenticates again. */
  requireAuth(): void {
    if (this.closed || this.#ending || !this.authenticated) return;
    this.keyIndex = -1;
    this.#push(statusEvent('auth_required', 'authentication required'));
  }

  /** Cuts the TCP connection without a close frame (the client sees 1006). */
  drop(): void {
    if (this.closed) return;
    this.#ending = true;
    this.#settings.stats.connectionsDropped++;
    this.#ws.terminate();
  }

  /** A snapshot for tests. */
  info(): PolygonConnectionInfo {
    return {
      id: this.id, feed: this.feed, authenticated: this.authenticated, keyIndex: this.keyIndex, params: [...this.params],
      authAttempts: this.authAttempts, closed: this.closed, closeCode: this.closeCode, closeReason: this.closeReason,
    };
  }

  #push(...events: unknown[]): void {
    this.#queue.push(...events);
    this.#flushing ??= setImmediate(() => this.#flush());
  }

  #flush(): void {
    if (this.#flushing) clearImmediate(this.#flushing);
    this.#flushing = undefined;
    if (this.#queue.length === 0 || this.#ws.readyState !== this.#ws.OPEN) return;
    const { stats } = this.#settings;
    this.#ws.send(JSON.stringify(this.#queue));
    stats.framesSent++;
    if (this.#queuedData && this.#settings.random() < this.#settings.malformedRate()) {
      this.#ws.send(garbageFrame(this.#settings.random()));
      stats.framesSent++;
      stats.malformedSent++;
    }
    this.#queue = [];
    this.#queuedData = false;
  }

  #onMessage(text: string): void {
    if (this.closed || this.#ending) return;
    let msg: { action?: unknown; params?: unknown };
    try {
      msg = JSON.parse(text) as { action?: unknown; params?: unknown };
    } catch {
      this.#push(statusEvent('error', 'invalid JSON'));
      return;
    }
    const params = typeof msg.params === 'string' ? msg.params : '';
    if (msg.action === 'auth') return this.#authenticate(params);
    if (!this.authenticated) {
      this.#push(statusEvent('auth_required', 'authentication required'));
      return;
    }
    const list = params.split(',').map((p) => p.trim()).filter(Boolean);
    if (msg.action === 'subscribe') {
      const taken = list.filter((p) => !this.#settings.refused(p));
      for (const p of list) {
        if (!taken.includes(p)) {
          this.#push(statusEvent('error', `subscription refused: ${p}`));
          continue;
        }
        this.params.add(p);
        this.#push(statusEvent('success', `subscribed to: ${p}`));
      }
      this.#settings.onSubscribe(this, taken);
    } else if (msg.action === 'unsubscribe') {
      for (const p of list) {
        this.params.delete(p);
        this.#push(statusEvent('success', `unsubscribed to: ${p}`));
      }
    } else {
      this.#push(statusEvent('error', `unknown action ${JSON.stringify(msg.action)}`));
    }
  }

  #authenticate(key: string): void {
    const { stats } = this.#settings;
    this.authAttempts++;
    stats.authAttempts++;
    if (this.#settings.swallowAuth()) return;
    const index = this.#settings.apiKeys.indexOf(key);
    if (index < 0) {
      stats.authFailures++;
      this.#push(HANDSHAKE[this.#settings.handshake].failed);
      this.#flush();
      this.#ending = true;
      this.#ws.close(1008, 'authentication failed');
      return;
    }
    clearTimeout(this.#authTimer);
    this.keyIndex = index;
    this.#push(HANDSHAKE[this.#settings.handshake].success);
    this.#settings.onAuthenticated(this);
  }

  #onClose(code: number, reason: string): void {
    if (this.closed) return;
    this.closed = true;
    this.closeCode = code;
    this.closeReason = reason;
    clearTimeout(this.#authTimer);
    if (this.#flushing) clearImmediate(this.#flushing);
    this.#settings.stats.connectionsClosed++;
    this.#settings.onClose(this);
  }
}
