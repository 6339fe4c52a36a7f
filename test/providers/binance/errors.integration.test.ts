/**
 * What the Binance provider reports, each cause with its own code: a loopback port nothing listens on (each socket
 * error, then giving up), an aborted connect, a provider used after disconnect, and a stream the simulator refuses.
 */
import { createServer, type AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import type { RealtimeError } from '../../../src/errors.ts';
import { BinanceRealtimeProvider } from '../../../src/providers/binance/index.ts';
import { startBinanceSimulator } from '../../../src/sim/binance/index.ts';

/** A loopback port that was just free: connecting to it is refused. */
const refusedPort = async (): Promise<number> => {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  await new Promise((r) => server.close(r));
  return port;
};

const provider = async (attempts: number) => {
  const port = await refusedPort();
  const p = new BinanceRealtimeProvider({
    ws_url: `ws://127.0.0.1:${port}`, rest_url: `http://127.0.0.1:${port}`, reconnect_attempts: attempts, reconnect_delay_ms: 10, reconnect_max_delay_ms: 20,
  });
  const errors: RealtimeError[] = [];
  p.onError((e) => errors.push(e));
  return { p, errors };
};

describe('Binance provider errors', () => {
  it('reports each refused socket as SOCKET_ERROR and rejects connect() with CONNECTION_FAILED once its reconnects are spent', async () => {
    const { p, errors } = await provider(2);
    const error = await p.connect().catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'CONNECTION_FAILED', retryable: false });
    expect(errors.filter((e) => e.code === 'SOCKET_ERROR').length).toBeGreaterThan(0);
    expect(errors.filter((e) => e.code === 'SOCKET_ERROR').every((e) => e.retryable)).toBe(true);
    expect(errors.at(-1)).toMatchObject({ code: 'CONNECTION_FAILED', retryable: false });
    await p.disconnect();
  });

  it('rejects an aborted connect() with ABORTED, and any connect() after disconnect() with CLOSED', async () => {
    const { p, errors } = await provider(0);
    const abort = new AbortController();
    const connecting = p.connect(abort.signal).catch((e: unknown) => e);
    await new Promise<void>((resolve) => p.onError((e) => { if (e.code === 'SOCKET_ERROR') resolve(); }));
    abort.abort('test');
    expect(await connecting).toMatchObject({ code: 'ABORTED', retryable: false, data: { reason: 'test' } });
    expect(errors.some((e) => e.code === 'CONNECTION_FAILED')).toBe(false);
    await p.disconnect();
    await expect(p.connect()).rejects.toMatchObject({ code: 'CLOSED', retryable: false });
  });

  it('reports a stream the server refuses as SUBSCRIPTION_REJECTED, not retryable, naming the stream', async () => {
    const sim = await startBinanceSimulator({ tickMs: 10, marketStepMs: 20_000 });
    const p = new BinanceRealtimeProvider({ ws_url: sim.wsUrl, rest_url: sim.restUrl, reconnect_delay_ms: 20, reconnect_max_delay_ms: 200 });
    try {
      sim.rejectStreams(['btcusdt@kline_1m']);
      const rejected = new Promise<RealtimeError>((resolve) => p.onError((e) => { if (e.code === 'SUBSCRIPTION_REJECTED') resolve(e); }));
      await p.connect();
      const subscribing = p.subscribe(['BTCUSDT'], '1m').catch((e: unknown) => e);
      expect(await rejected).toMatchObject({ code: 'SUBSCRIPTION_REJECTED', retryable: false, data: { stream: 'btcusdt@kline_1m' } });
      await subscribing;
    } finally {
      await p.disconnect();
      await sim.close();
    }
  });
});

