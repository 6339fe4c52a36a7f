/**
 * The IBKR provider's connection over a real socket to the TWS simulator: client id in use (326) is fatal once
 * without retries, a dropped socket is reopened through the connection machine and state is recovered from
 * TWS, an unreachable TWS fails fast, and the paper / live guards refuse the wrong account or a missing consent.
 */
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import { createIbkrTradingProvider, IBKR_PORTS } from '../../../src/trading/ibkr/index.ts';
import { RawClient } from '../../sim/ibkr/helpers.ts';
import type { LoggedEvent } from '../../../src/events/fold.ts';
import { eventually, provider, simulator } from './helpers.ts';

const freePort = async (): Promise<number> => {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
};

describe('IBKR provider connection', () => {
  it('fails once with CONNECTION_FAILED when the client id is in use (326), and never retries', async () => {
    const sim = await simulator();
    await provider(sim, { client_id: 5 }).provider.connect();
    const second = provider(sim, { client_id: 5 });
    const connecting = second.provider.connect();
    const actor = second.provider.connectionActor()!;
    const error = await connecting.then(() => undefined, (e: unknown) => e);
    expect(error).toMatchObject({ code: 'CONNECTION_FAILED', retryable: false, data: expect.objectContaining({ clientId: 5 }) });
    expect((error as Error).message).toMatch(/client id 5.*in use.*326.*client_id/);
    // Reconnects are scheduled only by the connection actor: stopped, it cancelled its timers and can schedule none.
    expect(actor.getSnapshot().status).toBe('stopped');
    expect(second.provider.connectionActor()).toBeUndefined();
    expect(second.errors).toHaveLength(1);
    expect(sim.requestCount('startApi', 5)).toBe(2);
    expect(second.provider.isConnected()).toBe(false);
    expect(second.provider.connectionState()).toBe('disconnected');
    await expect(second.provider.placeOrder({ symbol: 'AAPL', side: 'buy', type: 'market', quantity: 1 })).rejects.toMatchObject({ code: 'CONNECTION_FAILED' });
  });

  it('reconnects after a dropped socket and recovers positions and fills missed meanwhile', async () => {
    const sim = await simulator();
    const { provider: p, errors, events } = provider(sim, { client_id: 2 });
    await p.connect();
    await p.placeOrder({ symbol: 'AAPL', side: 'buy', type: 'market', quantity: 10 });
    const limit = await p.placeOrder({ symbol: 'AAPL', side: 'buy', type: 'limit', quantity: 3, price: 95 });
    expect(limit.status).toBe('accepted');
    const resting = await p.placeOrder({ symbol: 'AAPL', side: 'sell', type: 'limit', quantity: 1, price: 200 });
    expect(sim.requestCount('reqPositions', 2)).toBe(1);

    sim.dropConnections();
    // Fills while the client is away: TWS cannot tell it, so only the resynchronisation can.
    sim.setPrice('AAPL', 94);
    await eventually(() => errors.some((e) => e.code === 'CONNECTION_LOST'), 'CONNECTION_LOST');
    expect(p.isConnected()).toBe(false);
    await expect(p.placeOrder({ symbol: 'AAPL', side: 'buy', type: 'market', quantity: 1 })).rejects.toMatchObject({ code: 'CONNECTION_LOST' });
    await eventually(() => p.isConnected(), 'the reconnect');

    for (const request of ['reqPositions', 'reqOpenOrders', 'reqExecutions'] as const) expect(sim.requestCount(request, 2)).toBe(2);
    expect(await p.getOrderStatus(limit.id)).toMatchObject({ status: 'filled', averagePrice: 95 });
    expect(await p.getOrderStatus(resting.id)).toMatchObject({ status: 'accepted' });
    expect((await p.getTrades()).map((t) => t.quantity)).toEqual([10, 3]);
    expect(await p.getPositions()).toEqual([expect.objectContaining({ symbol: 'AAPL', quantity: 13 })]);
    const states = events.filter((e) => e.type === 'ibkr.connection.changed').map((e) => e.state);
    expect(states).toEqual(['connecting', 'connected', 'reconnecting', 'connected']);
    // Trading works again on the new socket.
    expect((await p.placeOrder({ symbol: 'AAPL', side: 'sell', type: 'market', quantity: 13 })).status).not.toBe('rejected');
  });

  it('fails fast with a clear CONNECTION_FAILED when nothing listens on the port', async () => {
    const port = await freePort();
    const p = createIbkrTradingProvider('ibkr-paper', { port, reconnect_delay_ms: 50 });
    const events: LoggedEvent[] = [];
    p.onEvent((e) => events.push(e));
    const error = await p.connect().then(() => undefined, (e: unknown) => e);
    expect(error).toMatchObject({ code: 'CONNECTION_FAILED', retryable: false });
    expect((error as Error).message).toContain(`cannot connect to TWS / IB Gateway at 127.0.0.1:${port}`);
    expect((error as Error).message).toContain('ECONNREFUSED');
    // Fast: it fails on the first refusal, with no reconnect attempt and no connect timeout in between.
    expect(events.filter((e) => e.type === 'ibkr.connection.changed').map((e) => e.state)).toEqual(['connecting', 'disconnected']);
    await p.disconnect();
  });

  it('refuses a live login under ibkr-paper and an ambiguous login without an account', async () => {
    const live = await simulator({ accounts: ['U7654321'] });
    await expect(provider(live).provider.connect()).rejects.toMatchObject({ code: 'CONFIG_INVALID', message: expect.stringContaining('paper account ids start with D') });
    const several = await simulator({ accounts: ['DU1', 'DU2'] });
    await expect(provider(several).provider.connect()).rejects.toMatchObject({ code: 'CONFIG_INVALID', message: expect.stringContaining('set `account`') });
    const chosen = provider(several, { account_id: 'DU2' });
    await chosen.provider.connect();
    await chosen.provider.placeOrder({ symbol: 'AAPL', side: 'buy', type: 'market', quantity: 1 });
    expect(several.orders()[0]!.account).toBe('DU2');
  });

  it('refuses ibkr-live without both live: true and the --live confirmation', async () => {
    expect(() => createIbkrTradingProvider('ibkr-live', {})).toThrow(/live: true.*--live/);
    expect(() => createIbkrTradingProvider('ibkr-live', { live: true })).toThrow(/--live/);
    expect(() => createIbkrTradingProvider('ibkr-live', { live: false }, { liveConfirmed: true })).toThrow(/live: true/);
    expect(() => createIbkrTradingProvider('ibkr-paper', { live: true })).toThrow(expect.objectContaining({ code: 'CONFIG_INVALID' }));
    expect(createIbkrTradingProvider('ibkr-live', { live: true }, { liveConfirmed: true }).config.port).toBe(IBKR_PORTS.tws.live);
    expect(createIbkrTradingProvider('ibkr-paper', {}).config.port).toBe(IBKR_PORTS.tws.paper);
    const sim = await simulator({ accounts: ['U1234567'] });
    const { provider: p } = provider(sim, { live: true }, 'ibkr-live', { liveConfirmed: true });
    await p.connect();
    expect((await p.placeOrder({ symbol: 'AAPL', side: 'buy', type: 'market', quantity: 1 })).status).not.toBe('rejected');
  });

  it('reports a lost TWS-to-IBKR link (1100) and resynchronises when data was lost (1101)', async () => {
    const sim = await simulator();
    const { provider: p, errors } = provider(sim, { client_id: 9 });
    await p.connect();
    sim.setVenueLink(false);
    await eventually(() => errors.some((e) => e.code === 'CONNECTION_LOST' && e.message.includes('1100')), 'the 1100 report');
    sim.setVenueLink(true, true);
    await eventually(() => sim.requestCount('reqExecutions', 9) === 2, 'the resynchronisation');
    expect(p.isConnected()).toBe(true);
  });
});

describe('IBKR provider connection faults', () => {
  it('reconnects when TWS stops answering, detected by the keep-alive probe', async () => {
    const sim = await simulator();
    const { provider: p, errors } = provider(sim, { client_id: 4, keepalive_ms: 100 });
    await p.connect();
    sim.stallConnections();
    await eventually(() => errors.some((e) => e.code === 'CONNECTION_LOST' && e.message.includes('idle_timeout')), 'the idle timeout');
    await eventually(() => p.isConnected(), 'the reconnect');
    expect(sim.requestCount('reqCurrentTime', 4)).toBeGreaterThan(0);
    expect(sim.connections().filter((c) => c.clientId === 4)).toHaveLength(1);
  });

  it('retries a client id still held after a drop (326 on a reconnect is not fatal) until it is free', async () => {
    const sim = await simulator();
    const { provider: p, errors } = provider(sim, { client_id: 3, reconnect_delay_ms: 150, reconnect_max_delay_ms: 150 });
    await p.connect();
    sim.dropConnections();
    // Another client takes the id while the provider waits to reconnect.
    const squatter = await RawClient.connect(sim.port, 3);
    await eventually(() => sim.requestCount('startApi', 3) >= 3, 'a refused reconnect');
    expect(p.isConnected()).toBe(false);
    expect(errors.every((e) => e.retryable)).toBe(true);
    squatter.close();
    await eventually(() => p.isConnected(), 'the reconnect once the id is free');
  });
});
