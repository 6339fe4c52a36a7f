/** A shard against real WebSocket servers on loopback: frames, control messages, changes, and a stop that waits on sockets. */
import { createHash } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocketServer, type WebSocket } from 'ws';
import type { ConnectionInput } from '../../../machines/connection.machine.ts';
import { Shard, type ShardHooks } from '../../../src/providers/shared/shard.ts';
import { ManualClock } from '../../support/manual-clock.ts';

const input: ConnectionInput = {
  seed: 1,
  policy: {
    baseDelayMs: 50, maxDelayMs: 100, jitter: 0, maxAttempts: 0, healthyAfterMs: 60_000, connectTimeoutMs: 10_000, handshakeTimeoutMs: 10_000,
    staleAfterMs: 60_000, idleTimeoutMs: 60_000, maxAgeMs: 0, handshake: false,
  },
  subscriptions: { controlPerSecond: 100, ackTimeoutMs: 10_000, maxStreamsPerMessage: 10 },
};

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

/** A ws server that acknowledges every subscribe request and records what it receives. */
const ackingServer = async () => {
  const wss = new WebSocketServer({ host: '127.0.0.1', port: 0 });
  await new Promise<void>((r) => wss.once('listening', () => r()));
  const received: string[] = [];
  const peers: WebSocket[] = [];
  wss.on('connection', (ws) => {
    peers.push(ws);
    ws.on('message', (data) => {
      const text = data.toString();
      received.push(text);
      const { id } = JSON.parse(text) as { id: number };
      ws.send(JSON.stringify({ ack: id }));
    });
  });
  cleanups.push(() => new Promise<void>((r) => wss.close(() => r())));
  return { url: `ws://127.0.0.1:${(wss.address() as AddressInfo).port}`, received, peers };
};

/** An HTTP server that completes the WebSocket upgrade and then never reads or answers a frame (a dead peer). */
const silentServer = async () => {
  const server: Server = createServer();
  const sockets: Socket[] = [];
  server.on('upgrade', (req, socket: Socket) => {
    sockets.push(socket);
    const accept = createHash('sha1').update(`${req.headers['sec-websocket-key']}258EAFA5-E914-47DA-95CA-C5AB0DC85B11`).digest('base64');
    socket.write(`HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${accept}\r\n\r\n`);
    socket.pause();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  cleanups.push(() => {
    for (const s of sockets) s.destroy();
    return new Promise<void>((r) => server.close(() => r()));
  });
  return { url: `ws://127.0.0.1:${(server.address() as AddressInfo).port}` };
};

const hooksFor = (url: string, frames: string[]): ShardHooks => ({
  url: () => url,
  encodeControl: (request) => JSON.stringify({ id: request.id, op: request.op, streams: request.streams }),
  onFrame: (shard, gen, text) => {
    frames.push(text);
    const { ack } = JSON.parse(text) as { ack?: number };
    if (ack !== undefined) shard.subscriptions({ type: 'control.ack', gen, id: ack });
  },
});

/** Resolves when `ok()` holds, checked on every change the shard reports. */
const until = (shard: Shard, ok: () => boolean): Promise<void> =>
  new Promise((resolve) => {
    if (ok()) return resolve();
    const off = shard.changes.add(() => {
      if (!ok()) return;
      off();
      resolve();
    });
  });

describe('Shard', () => {
  it('opens a socket, sends the subscribe request and confirms the stream on the acknowledgement', async () => {
    const server = await ackingServer();
    const frames: string[] = [];
    const shard = new Shard(0, hooksFor(server.url, frames), input, new ManualClock());
    cleanups.push(() => shard.stop());
    shard.start();
    shard.subscriptions({ type: 'subscriptions.add', streams: ['btcusdt@kline_1m'] });
    await until(shard, () => shard.subscriptionState()?.confirmed.includes('btcusdt@kline_1m') ?? false);
    expect(shard.liveSockets).toBe(1);
    expect(server.received.map((t) => JSON.parse(t) as unknown)).toEqual([{ id: expect.any(Number), op: 'subscribe', streams: ['btcusdt@kline_1m'] }]);
    expect(frames).toHaveLength(1);
    expect(shard.controlSent).toBe(1);
  });

  it('stops as soon as the peer answers the close handshake, without waiting on its clock', async () => {
    const server = await ackingServer();
    const clock = new ManualClock();
    const shard = new Shard(0, hooksFor(server.url, []), input, clock);
    shard.start();
    await until(shard, () => shard.actor.getSnapshot().matches('open'));
    const closed = new Promise<number>((r) => server.peers[0]!.once('close', (code) => r(code)));
    await shard.stop();
    expect(shard.liveSockets).toBe(0);
    expect(clock.now()).toBe(0);
    expect(await closed).toBe(1000);
    expect(shard.actor.getSnapshot().status).toBe('stopped');
  });

  it('terminates a socket whose peer never answers the close handshake, on the shard clock', async () => {
    const server = await silentServer();
    const clock = new ManualClock();
    const shard = new Shard(0, hooksFor(server.url, []), input, clock);
    shard.start();
    await until(shard, () => shard.actor.getSnapshot().matches('open'));
    let stopped = false;
    const stop = shard.stop().then(() => { stopped = true; });
    await clock.advance(999);
    expect(stopped).toBe(false);
    expect(shard.liveSockets).toBe(1);
    await clock.advance(1);
    await stop;
    expect(shard.liveSockets).toBe(0);
  });

  it('stops at once when no socket is open', async () => {
    const shard = new Shard(0, hooksFor('ws://127.0.0.1:9', []), input, new ManualClock());
    await shard.stop();
    expect(shard.liveSockets).toBe(0);
  });
});
