/**
 * What the Binance provider reports when it cannot reach its endpoint (a loopback port nothing listens on): each
 * socket error, then giving up, an aborted connect, and a provider used after disconnect, each with its own code.
 */
import { createServer, type AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import type { RealtimeError } from '../../../src/errors.ts';
import { BinanceRealtimeProvider } from '../../../src/providers/binance/index.ts';

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

describe('Binance provider connect errors', () => {
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
});
