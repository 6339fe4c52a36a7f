/**
 * The Massive (Polygon) provider's call order against the simulator on loopback, as for Binance: `subscribe()`
 * before `connect()` or after `disconnect()` is refused at once with NOT_READY (CLOSED after disconnect), and a `subscribe()` issued
 * while `connect()` is still in progress resolves once the stream is confirmed.
 */
import { describe, expect, it } from 'vitest';
import { isRealtimeError } from '../../../src/errors.ts';
import { startPair } from './support.ts';

const rejection = async (p: Promise<unknown>): Promise<unknown> => p.then(() => undefined, (e: unknown) => e);

describe('PolygonRealtimeProvider call order', () => {
  it('refuses subscribe() before connect() with NOT_READY, opening no connection', async () => {
    const { provider } = await startPair();
    const error = await rejection(provider.subscribe(['AAPL'], '1m'));
    expect(isRealtimeError(error) && error.code).toBe('NOT_READY');
    expect(provider.connectionActors).toEqual([]);
    expect(provider.getSubscribedSymbols()).toEqual([]);
  });

  it('refuses subscribe() after disconnect() with CLOSED', async () => {
    const { provider } = await startPair();
    await provider.connect();
    await provider.disconnect();
    const error = await rejection(provider.subscribe(['AAPL'], '1m'));
    expect(isRealtimeError(error) && error.code).toBe('CLOSED');
  });

  it('confirms a subscribe() issued while connect() is still in progress', async () => {
    const { provider } = await startPair();
    const connecting = provider.connect();
    const subscribing = provider.subscribe(['AAPL'], '1m');
    await connecting;
    await subscribing;
    expect(provider.getSubscribedSymbols()).toEqual(['AAPL']);
  });
});
