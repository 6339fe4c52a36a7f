import { describe, expect, it } from 'vitest';
import { isRealtimeError, type RealtimeError } from '../../../src/errors.ts';
import { BinanceTradingClient } from '../../../src/trading/binance/rest-client.ts';
import { createTradingProvider } from '../../../src/trading/registry.ts';
import { API_KEY, SECRET, useVenues } from './helpers.ts';

const venues = useVenues();

const failure = async (run: () => Promise<unknown>): Promise<RealtimeError> => {
  try {
    await run();
  } catch (e) {
    expect(isRealtimeError(e)).toBe(true);
    return e as RealtimeError;
  }
  throw new Error('expected a rejection');
};

describe('binance-paper provider under faults', () => {
  it('resolves a placement whose answer was lost by looking the order up, never placing it twice', async () => {
    const { sim, provider, updates, events } = await venues.start();
    await provider.connect();
    sim.dropNextOrderResponses(1);
    const order = await provider.placeOrder({ symbol: 'BTCUSDT', side: 'buy', type: 'market', quantity: 0.01, clientOrderId: 'once-only' });
    expect(order).toMatchObject({ clientOrderId: 'once-only', status: 'filled', filledQuantity: 0.01 });
    expect(sim.orders().map((o) => o.clientOrderId)).toEqual(['once-only']);
    const trading = sim.requests().filter((r) => r.path === '/api/v3/order').map((r) => [r.method, r.status, r.query['origClientOrderId'] ?? r.query['newClientOrderId']]);
    expect(trading).toEqual([['POST', 0, 'once-only'], ['GET', 200, 'once-only']]);
    expect(events.find((e) => e.type === 'order.outcome_unknown')).toMatchObject({ clientOrderId: 'once-only', attempt: 1 });
    // The fill still reaches the session exactly once (from myTrades, since the answer with the fills was lost).
    expect(updates.map((u) => [u.order.status, u.fill?.quantity])).toEqual([['accepted', undefined], ['filled', 0.01]]);
  });

  it('places the order again with the same client id when the venue never received it', async () => {
    const { sim, provider, updates } = await venues.start();
    await provider.connect();
    sim.dropNextOrderResponses(1, false);
    const order = await provider.placeOrder({ symbol: 'ETHUSDT', side: 'buy', type: 'market', quantity: 0.01, clientOrderId: 'eth-1' });
    expect(order).toMatchObject({ clientOrderId: 'eth-1', status: 'filled' });
    expect(sim.orders().map((o) => o.clientOrderId)).toEqual(['eth-1']);
    // Sent, lost, looked up twice (unknown to the venue), sent again with the same client id.
    const trading = sim.requests().filter((r) => r.path === '/api/v3/order').map((r) => `${r.method} ${r.status}`);
    expect(trading).toEqual(['POST 0', 'GET 400', 'GET 400', 'POST 200']);
    expect(updates.filter((u) => u.fill)).toHaveLength(1);
  });

  it('re-reads the server time after -1021 and resends the refused request', async () => {
    const { sim, provider, events } = await venues.start();
    await provider.connect();
    expect(Math.abs(provider.client.offsetMs)).toBeLessThan(1_000);
    sim.setClockSkew(30_000);
    const order = await provider.placeOrder({ symbol: 'BTCUSDT', side: 'buy', type: 'market', quantity: 0.01 });
    expect(order.status).toBe('filled');
    expect(Math.abs(provider.client.offsetMs - 30_000)).toBeLessThan(1_000);
    const log = sim.requests().slice(-3).map((r) => `${r.method} ${r.path} ${r.status}`);
    expect(log).toEqual(['POST /api/v3/order 400', 'GET /api/v3/time 200', 'POST /api/v3/order 200']);
    expect(sim.orders()).toHaveLength(1);
    expect(events.filter((e) => e.type === 'venue.time_synced')).toHaveLength(2);
  });

  it('fails with AUTHENTICATION_FAILED once, without retries, for a wrong secret or key', async () => {
    const { sim } = await venues.start();
    const wrongSecret = createTradingProvider('binance-paper', { api_key: API_KEY, secret_key: 'TESTWRONGSECRETz5Qx', rest_url: sim.restUrl });
    const error = await failure(() => wrongSecret.connect());
    expect(error).toMatchObject({ code: 'AUTHENTICATION_FAILED', retryable: false, data: { code: -1022 } });
    expect(error.message).toMatch(/signature is not valid: secret_key does not belong to api_key/);
    expect(sim.requests().map((r) => `${r.method} ${r.path} ${r.status}`)).toEqual(['GET /api/v3/time 200', 'GET /api/v3/account 400']);
    expect(wrongSecret.isConnected()).toBe(false);

    const wrongKey = createTradingProvider('binance-paper', { api_key: 'TESTOTHERKEYm4Ns', secret_key: SECRET, rest_url: sim.restUrl });
    expect(await failure(() => wrongKey.connect())).toMatchObject({ code: 'AUTHENTICATION_FAILED', data: { code: -2015, status: 401 } });
    expect(sim.requests().filter((r) => r.path === '/api/v3/account')).toHaveLength(2);
  });

  it('honours Retry-After on HTTP 429 and never calls during the wait (no 418)', async () => {
    const { sim, provider, events } = await venues.start();
    await provider.connect();
    sim.rateLimitNext(1, 1);
    const order = await provider.placeOrder({ symbol: 'BTCUSDT', side: 'buy', type: 'market', quantity: 0.01 });
    expect(order.status).toBe('filled');
    // The venue is the judge of the wait: a request within its Retry-After window would have got a 418.
    expect(sim.stats()).toMatchObject({ restRateLimited: 1, restBanned: 0 });
    expect(events.find((e) => e.type === 'venue.rate_limited')).toMatchObject({ status: 429, retryAfterS: 1 });
    expect(sim.orders()).toHaveLength(1);
  });

  it('spaces requests to requests_per_second', async () => {
    const { sim } = await venues.start();
    // A clock that moves only when the client waits: each wait is then exactly the spacing the limiter chose.
    let now = 0;
    const waits: number[] = [];
    const client = new BinanceTradingClient({
      baseUrl: sim.restUrl, apiKey: API_KEY, secretKey: SECRET, recvWindowMs: 5_000, requestTimeoutMs: 5_000, requestsPerSecond: 20,
      now: () => now, sleep: async (ms) => { waits.push(ms); now += ms; },
    });
    const results = await Promise.all(Array.from({ length: 6 }, () => client.public('/api/v3/ping', {}, 1)));
    expect(results.map((r) => r.kind)).toEqual(Array(6).fill('ok'));
    expect(sim.requests().map((r) => r.path)).toEqual(Array(6).fill('/api/v3/ping'));
    expect(waits).toEqual([50, 50, 50, 50, 50]);
    expect(now).toBe(250);
  });

  it('never puts the key or the secret in an error, an event or an order', async () => {
    const { sim, provider, updates, events } = await venues.start();
    const errors: unknown[] = [];
    const bad = createTradingProvider('binance-paper', { api_key: API_KEY, secret_key: 'TESTWRONGSECRETz5Qx', rest_url: sim.restUrl });
    bad.onEvent?.((e) => events.push(e));
    errors.push(await failure(() => bad.connect()));
    await provider.connect();
    sim.dropNextOrderResponses(1);
    await provider.placeOrder({ symbol: 'BTCUSDT', side: 'buy', type: 'market', quantity: 0.01 });
    await provider.placeOrder({ symbol: 'BTCUSDT', side: 'buy', type: 'market', quantity: 100 });
    sim.setClockSkew(-30_000);
    await provider.getOpenOrders();
    const dump = JSON.stringify({ errors: errors.map((e) => [(e as Error).message, e]), updates, events });
    for (const secret of [API_KEY, SECRET, 'TESTWRONGSECRETz5Qx']) expect(dump).not.toContain(secret);
    expect(dump).not.toMatch(/signature=/);
    expect(events.length).toBeGreaterThan(5);
  });
});
