/**
 * The market-stream side of the simulator: accepts WebSocket upgrades on `/ws`, `/ws/<anything>` and
 * `/stream?streams=a/b` (USDⓈ-M: under the `/market` route; `/public`, `/private` and unrouted URLs connect but push no
 * klines, as on fstream.binance.com since 2026-04-23), keeps the connections, and on every market step sends each
 * subscribed stream's kline frames (computed once per stream and shared by every connection).
 * Source: https://developers.binance.com/docs/derivatives/usds-margined-futures/websocket-market-streams/Important-WebSocket-Change-Notice
 */
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer } from 'ws';
import { isInterval } from '../../domain/interval.ts';
import { parseBinanceKlineStream } from '../../domain/symbol.ts';
import type { BinanceKlineEvent } from '../../providers/binance/messages.ts';
import type { BinanceFeed } from '../../providers/binance/urls.ts';
import { SimConnection, type ConnectionSettings } from './connection.ts';
import { isValidStreamName } from './control.ts';
import type { Instrument } from './instruments.ts';
import { stepKlines } from './klines.ts';
import type { MarketData } from './prices.ts';

/** The WebSocket half of the simulator. */
export interface StreamServer {
  /** Handles an HTTP upgrade request (wire to the HTTP server's `upgrade` event). */
  handleUpgrade(request: IncomingMessage, socket: Duplex, head: Buffer): void;
  /** Every connection, open or closed (the most recent closed ones are kept). */
  all(): readonly SimConnection[];
  /** Open connections. */
  open(): SimConnection[];
  /** Sends the frames of the market step (from, to] to every open, unstalled connection. */
  broadcast(from: number, to: number): void;
  /** Terminates every connection and the WebSocket server. */
  close(): Promise<void>;
}

/** What the stream server needs from the simulator. */
export interface StreamServerContext {
  readonly feed: BinanceFeed;
  readonly market: MarketData;
  readonly instruments: ReadonlyMap<string, Instrument>;
  readonly settings: ConnectionSettings;
  readonly onConnection: (connection: SimConnection) => void;
}

interface Frame {
  readonly event: BinanceKlineEvent;
  readonly raw: string;
}

const KEEP_CLOSED = 1_000;

const reject = (socket: Duplex, status: number, text: string): void => {
  socket.end(`HTTP/1.1 ${status} ${text}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
};

/** What a stream URL asks for. */
export interface StreamPath {
  readonly combined: boolean;
  /** Kline streams named in the URL (other names are accepted and ignored, as Binance does: ccxt opens `/ws/0`). */
  readonly streams: string[];
  /** False where klines are not pushed: USDⓈ-M `/public`, `/private` and unrouted URLs. */
  readonly klines: boolean;
}

// `/private` carries user data (not simulated): the official connector opens it alongside the others, so it connects.
const USDM_ROUTES = ['/market', '/public', '/private'];

/** Reads the endpoint form and the streams named in the URL, or the HTTP status to refuse it with. */
export const parseStreamPath = (url: string, feed: BinanceFeed = 'spot'): StreamPath | { status: number } => {
  const parsed = new URL(url, 'http://sim');
  const { searchParams } = parsed;
  let pathname = parsed.pathname;
  let klines = true;
  if (feed === 'usdm') {
    const route = USDM_ROUTES.find((r) => pathname === r || pathname.startsWith(`${r}/`));
    klines = route === '/market';
    if (route) pathname = pathname.slice(route.length) || '/';
  }
  let names: string[];
  let combined = false;
  if (pathname === '/ws' || pathname === '/ws/') names = [];
  else if (pathname.startsWith('/ws/')) names = pathname.slice(4).split('/').filter(Boolean).map(decodeURIComponent);
  else if (pathname === '/stream' || pathname === '/stream/') {
    combined = true;
    names = (searchParams.get('streams') ?? '').split('/').filter(Boolean);
  } else return { status: 404 };
  return { combined, streams: [...new Set(names.filter(isValidStreamName))], klines };
};

/** Creates the stream server. */
export const createStreamServer = (context: StreamServerContext): StreamServer => {
  const { market, instruments, settings, feed } = context;
  const wss = new WebSocketServer({ noServer: true, autoPong: false, perMessageDeflate: false });
  const connections: SimConnection[] = [];
  let nextId = 1;

  const framesOf = (stream: string, from: number, to: number): Frame[] => {
    const parsed = parseBinanceKlineStream(stream);
    const instrument = parsed && instruments.get(parsed.symbol);
    // A well-formed stream of an unknown symbol is acknowledged and then silent, as on Binance.
    if (!parsed || !instrument || !isInterval(parsed.interval)) return [];
    // Futures have no 1s klines: such a stream is acknowledged and stays silent.
    if (feed !== 'spot' && parsed.interval === '1s') return [];
    return stepKlines(market, instrument, parsed.interval, from, to).map((k) => {
      const event: BinanceKlineEvent = { e: 'kline', E: to, s: instrument.symbol, k };
      return { event, raw: JSON.stringify(event) };
    });
  };

  const prune = (): void => {
    let closed = connections.filter((c) => c.closed).length;
    for (let i = 0; i < connections.length && closed > KEEP_CLOSED; ) {
      if (connections[i]!.closed) {
        connections.splice(i, 1);
        closed--;
      } else i++;
    }
  };

  return {
    handleUpgrade(request, socket, head) {
      const url = request.url ?? '/';
      const parsed = parseStreamPath(url, feed);
      if ('status' in parsed) {
        reject(socket, parsed.status, parsed.status === 404 ? 'Not Found' : 'Bad Request');
        return;
      }
      if (parsed.streams.length > settings.maxStreams) {
        reject(socket, 400, 'Bad Request');
        return;
      }
      wss.handleUpgrade(request, socket, head, (ws) => {
        const connection = new SimConnection(nextId++, url, parsed.combined, ws, settings);
        connection.pushesKlines = parsed.klines;
        connection.preSubscribe(parsed.streams);
        connections.push(connection);
        prune();
        settings.stats.connectionsOpened++;
        context.onConnection(connection);
      });
    },
    all: () => connections,
    open: () => connections.filter((c) => !c.closed),
    broadcast(from, to) {
      const frames = new Map<string, Frame[]>();
      for (const connection of connections) {
        if (connection.closed || connection.stalled || !connection.pushesKlines) continue;
        for (const stream of connection.streams) {
          let list = frames.get(stream);
          if (list === undefined) {
            list = framesOf(stream, from, to);
            frames.set(stream, list);
          }
          for (const frame of list) connection.sendData(stream, frame.event, frame.raw);
        }
      }
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const client of wss.clients) client.terminate();
        wss.close(() => resolve());
      }),
  };
};
