/**
 * The Binance half of the shared transport: the hooks a `Shard` runs. Binance market streams have no handshake,
 * so a connection is the `/ws` URL, SUBSCRIBE / UNSUBSCRIBE frames built by subscriptions.ts, and the routing of
 * every decoded frame: klines to the provider, control answers (matched by request id) to the subscription-set
 * actor, `serverShutdown` to the connection actor (which rotates to a new socket), malformed frames reported.
 */
import type { Bar } from '../../domain/bar.ts';
import type { Shard, ShardHooks } from '../shared/shard.ts';
import { parseBinanceFrame, type BinanceKlineDecoding } from './parse.ts';
import { binanceControlMessage } from './subscriptions.ts';

/** What the provider does with the feed's findings. */
export interface BinanceFeedCallbacks {
  /** A kline of `stream`, closed or in progress; `eventTime` is the server's event time. */
  readonly onKline: (stream: string, bar: Bar, eventTime: number, receivedAt: number) => void;
  readonly onMalformed: (shard: Shard, reason: string, text: string) => void;
  /** A socket-level problem worth reporting (the machine already handles the reconnect). */
  readonly onSocketError: (shard: Shard, gen: number, message: string) => void;
}

/** Builds the shard hooks of a Binance connection and counts the frames it routes. */
export class BinanceStreamFeed {
  private readonly url: string;
  private readonly decoding: BinanceKlineDecoding;
  private readonly callbacks: BinanceFeedCallbacks;
  /** Text frames received, of every kind. */
  frames = 0;
  /** Frames that failed decoding. */
  malformed = 0;

  constructor(wsBase: string, decoding: BinanceKlineDecoding, callbacks: BinanceFeedCallbacks) {
    this.url = `${wsBase}/ws`;
    this.decoding = decoding;
    this.callbacks = callbacks;
  }

  /** The hooks to give a shard. */
  hooks(): ShardHooks {
    return {
      url: () => this.url,
      encodeControl: (request) => JSON.stringify(binanceControlMessage(request)),
      onFrame: (shard, gen, text, receivedAt) => this.onFrame(shard, gen, text, receivedAt),
      onSocketError: (shard, gen, message) => this.callbacks.onSocketError(shard, gen, message),
    };
  }

  private onFrame(shard: Shard, gen: number, text: string, receivedAt: number): void {
    this.frames++;
    const frame = parseBinanceFrame(text, receivedAt, this.decoding);
    switch (frame.kind) {
      case 'kline':
        this.callbacks.onKline(frame.stream, frame.bar, frame.eventTime, receivedAt);
        return;
      case 'ack':
        shard.subscriptions({ type: 'control.ack', gen, id: frame.id });
        return;
      case 'error':
        shard.subscriptions({ type: 'control.error', gen, id: frame.id, code: frame.code, message: frame.message });
        return;
      case 'shutdown':
        shard.actor.send({ type: 'server.shutdown', gen });
        return;
      case 'malformed':
        this.malformed++;
        this.callbacks.onMalformed(shard, frame.reason, text.slice(0, 200));
    }
  }
}
