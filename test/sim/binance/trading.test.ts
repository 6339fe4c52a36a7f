import { describe, expect, it } from 'vitest';
import { hmacHex } from '../../../src/sim/binance/index.ts';
import { useSimulators } from './helpers.ts';

const sims = useSimulators();
const KEY = 'sim-test-key';
const SECRET = 'sim-test-secret';
const START = Date.UTC(2026, 0, 1);

/** A signed request the way a Binance client sends it; `where` puts the parameters in the query or the body. */
const signed = async (
  base: string, method: string, path: string, params: Record<string, string | number>,
  opts: { where?: 'query' | 'body'; key?: string; secret?: string; timestamp?: number } = {},
): Promise<{ status: number; body: any }> => {
  const payload = new URLSearchParams(Object.entries({ ...params, timestamp: opts.timestamp ?? Date.now() }).map(([k, v]): [string, string] => [k, String(v)])).toString();
  const full = `${payload}&signature=${hmacHex(opts.secret ?? SECRET, payload)}`;
  const inBody = (opts.where ?? (method === 'POST' ? 'body' : 'query')) === 'body';
  const response = await fetch(`${base}${path}${inBody ? '' : `?${full}`}`, {
    method,
    headers: { 'X-MBX-APIKEY': opts.key ?? KEY, ...(inBody ? { 'content-type': 'application/x-www-form-urlencoded' } : {}) },
    ...(inBody ? { body: full } : {}),
  });
  return { status: response.status, body: await response.json() };
};

const start = (balances: Record<string, number> = { USDT: 10_000, BTC: 1 }) =>
  sims.start({ serverClock: 'wall', apiKey: KEY, secretKey: SECRET, balances, symbols: ['BTCUSDT', 'ETHUSDT'], tradingFeeRate: 0.001 });

describe('signed trading endpoints', () => {
  it('checks the key, the signature over query + body, and the timestamp against recvWindow', async () => {
    const sim = await start();
    expect(await signed(sim.restUrl, 'GET', '/api/v3/account', {})).toMatchObject({ status: 200, body: { canTrade: true } });
    expect(await signed(sim.restUrl, 'GET', '/api/v3/account', {}, { key: 'nobody' })).toEqual({ status: 401, body: { code: -2015, msg: 'Invalid API-key, IP, or permissions for action.' } });
    expect((await signed(sim.restUrl, 'GET', '/api/v3/account', {}, { key: '' })).body.code).toBe(-2014);
    expect(await signed(sim.restUrl, 'GET', '/api/v3/account', {}, { secret: 'wrong' })).toEqual({ status: 400, body: { code: -1022, msg: 'Signature for this request is not valid.' } });
    expect((await signed(sim.restUrl, 'GET', '/api/v3/account', {}, { timestamp: Date.now() - 6_000 })).body.code).toBe(-1021);
    expect((await signed(sim.restUrl, 'GET', '/api/v3/account', { recvWindow: 10_000 }, { timestamp: Date.now() - 6_000 })).status).toBe(200);
    expect((await signed(sim.restUrl, 'GET', '/api/v3/account', {}, { timestamp: Date.now() + 2_000 })).body.code).toBe(-1021);
    expect((await signed(sim.restUrl, 'GET', '/api/v3/account', { recvWindow: 70_000 })).body.code).toBe(-1131);
    // Binance's example 3: part of the parameters in the query, the rest in the body, signed as their concatenation.
    const query = 'symbol=BTCUSDT&side=BUY&type=MARKET';
    const body = `quantity=0.01&timestamp=${Date.now()}`;
    const response = await fetch(`${sim.restUrl}/api/v3/order?${query}`, {
      method: 'POST', headers: { 'X-MBX-APIKEY': KEY, 'content-type': 'application/x-www-form-urlencoded' },
      body: `${body}&signature=${hmacHex(SECRET, query + body)}`,
    });
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({ symbol: 'BTCUSDT', status: 'FILLED' });
  });

  it('reports the wall clock plus the skew as server time when serverClock is wall', async () => {
    const sim = await start();
    sim.setClockSkew(60_000);
    const { serverTime } = await (await fetch(`${sim.restUrl}/api/v3/time`)).json() as { serverTime: number };
    expect(Math.abs(serverTime - (Date.now() + 60_000))).toBeLessThan(1_000);
    expect((await signed(sim.restUrl, 'GET', '/api/v3/account', {})).body.code).toBe(-1021);
  });

  it('fills a market order at the current price, moving balances and charging commission in the asset received', async () => {
    const sim = await start();
    // The current price is the last trade so far: the close of the kline in progress.
    const [row] = await (await fetch(`${sim.restUrl}/api/v3/klines?symbol=BTCUSDT&interval=1m&limit=1`)).json() as [unknown[]];
    const price = Number(row![4]);
    expect((await (await fetch(`${sim.restUrl}/api/v3/ticker/price?symbol=BTCUSDT`)).json())).toEqual({ symbol: 'BTCUSDT', price: price.toFixed(8) });
    const { status, body } = await signed(sim.restUrl, 'POST', '/api/v3/order', { symbol: 'BTCUSDT', side: 'BUY', type: 'MARKET', quantity: '0.01', newClientOrderId: 'mine-1' });
    expect(status).toBe(200);
    expect(body).toMatchObject({ clientOrderId: 'mine-1', status: 'FILLED', executedQty: '0.01000000', transactTime: START });
    expect(body.fills).toEqual([{ price: price.toFixed(8), qty: '0.01000000', commission: '0.00001000', commissionAsset: 'BTC', tradeId: 1 }]);
    expect(sim.balances()).toEqual({ USDT: { free: Math.round((10_000 - price * 0.01) * 1e8) / 1e8, locked: 0 }, BTC: { free: 1.00999, locked: 0 } });
    const sell = await signed(sim.restUrl, 'POST', '/api/v3/order', { symbol: 'BTCUSDT', side: 'SELL', type: 'MARKET', quantity: '0.5', newOrderRespType: 'ACK' });
    expect(Object.keys(sell.body).sort()).toEqual(['clientOrderId', 'orderId', 'orderListId', 'symbol', 'transactTime']);
    const trades = await signed(sim.restUrl, 'GET', '/api/v3/myTrades', { symbol: 'BTCUSDT' });
    expect(trades.body.map((t: any) => [t.id, t.isBuyer, t.commissionAsset])).toEqual([[1, true, 'BTC'], [2, false, 'USDT']]);
    expect((await signed(sim.restUrl, 'GET', '/api/v3/myTrades', { symbol: 'BTCUSDT', orderId: 2 })).body).toHaveLength(1);
  });

  it('rests a limit order with its funds locked, fills it when a market step trades through it, and unlocks on cancel', async () => {
    const sim = await start();
    const lows = sim.closedBars('BTCUSDT', '1m', START, START + 20 * 60_000);
    expect(lows).toHaveLength(0); // nothing closed yet: the market has not moved
    const current = Number((await (await fetch(`${sim.restUrl}/api/v3/ticker/price?symbol=BTCUSDT`)).json() as { price: string }).price);
    const future = Array.from({ length: 20 }, (_, i) => Number(sim.bar('BTCUSDT', '1m', START + i * 60_000).l));
    const limit = ((Math.min(...future) + current) / 2).toFixed(2);
    expect(Number(limit)).toBeLessThan(current);
    const placed = await signed(sim.restUrl, 'POST', '/api/v3/order', { symbol: 'BTCUSDT', side: 'BUY', type: 'LIMIT', timeInForce: 'GTC', quantity: '0.01', price: limit });
    expect(placed.body).toMatchObject({ status: 'NEW', fills: [] });
    const notional = Math.round(Number(limit) * 0.01 * 1e8) / 1e8;
    expect(sim.balances()['USDT']).toEqual({ free: Math.round((10_000 - notional) * 1e8) / 1e8, locked: notional });
    expect((await signed(sim.restUrl, 'GET', '/api/v3/openOrders', { symbol: 'BTCUSDT' })).body).toHaveLength(1);
    for (let i = 0; i < 700 && sim.orders()[0]!.status === 'NEW'; i++) sim.advance();
    const order = await signed(sim.restUrl, 'GET', '/api/v3/order', { symbol: 'BTCUSDT', orderId: placed.body.orderId });
    expect(order.body).toMatchObject({ status: 'FILLED', executedQty: '0.01000000', cummulativeQuoteQty: notional.toFixed(8) });
    expect(sim.balances()['USDT']!.locked).toBe(0);
    expect(sim.trades()[0]).toMatchObject({ isMaker: true, price: Number(limit) });

    const far = await signed(sim.restUrl, 'POST', '/api/v3/order', { symbol: 'BTCUSDT', side: 'SELL', type: 'LIMIT', timeInForce: 'GTC', quantity: '0.2', price: (current * 2).toFixed(2), newClientOrderId: 'far' });
    expect(sim.balances()['BTC']!.locked).toBe(0.2);
    const cancelled = await signed(sim.restUrl, 'DELETE', '/api/v3/order', { symbol: 'BTCUSDT', origClientOrderId: 'far' });
    expect(cancelled.body).toMatchObject({ status: 'CANCELED', origClientOrderId: 'far', orderId: far.body.orderId });
    expect(sim.balances()['BTC']!.locked).toBe(0);
    expect((await signed(sim.restUrl, 'DELETE', '/api/v3/order', { symbol: 'BTCUSDT', orderId: far.body.orderId })).body).toEqual({ code: -2011, msg: 'Unknown order sent.' });
    expect((await signed(sim.restUrl, 'GET', '/api/v3/order', { symbol: 'BTCUSDT', orderId: 999 })).body).toEqual({ code: -2013, msg: 'Order does not exist.' });
  });

  it('refuses filter violations (-1013), missing balance (-2010) and duplicate open client ids', async () => {
    const sim = await start({ USDT: 100 });
    const place = (p: Record<string, string>) => signed(sim.restUrl, 'POST', '/api/v3/order', { symbol: 'BTCUSDT', side: 'BUY', type: 'LIMIT', timeInForce: 'GTC', ...p });
    expect((await place({ quantity: '0.000001', price: '50000' })).body).toEqual({ code: -1013, msg: 'Filter failure: LOT_SIZE' });
    expect((await place({ quantity: '0.001', price: '50000.001' })).body).toEqual({ code: -1013, msg: 'Filter failure: PRICE_FILTER' });
    expect((await place({ quantity: '0.00001', price: '50000' })).body).toEqual({ code: -1013, msg: 'Filter failure: NOTIONAL' });
    expect((await place({ quantity: '0.01', price: '50000' })).body).toEqual({ code: -2010, msg: 'Account has insufficient balance for requested action.' });
    expect((await place({ quantity: '0.001', price: '50000', newClientOrderId: 'same' })).status).toBe(200);
    expect((await place({ quantity: '0.001', price: '50000', newClientOrderId: 'same' })).body).toEqual({ code: -2010, msg: 'Duplicate order sent.' });
    expect((await place({ quantity: '0.001', price: '50000', newClientOrderId: 'has space' })).body.code).toBe(-1100);
    expect((await signed(sim.restUrl, 'POST', '/api/v3/order', { symbol: 'NOPEUSDT', side: 'BUY', type: 'MARKET', quantity: '1' })).body.code).toBe(-1121);
    expect(sim.orders()).toHaveLength(1);
  });

  it('carries out an order whose answer it then drops, closing the connection', async () => {
    const sim = await start();
    sim.dropNextOrderResponses(1);
    await expect(signed(sim.restUrl, 'POST', '/api/v3/order', { symbol: 'BTCUSDT', side: 'BUY', type: 'MARKET', quantity: '0.01', newClientOrderId: 'lost' })).rejects.toThrow();
    expect(sim.orders().map((o) => [o.clientOrderId, o.status])).toEqual([['lost', 'FILLED']]);
    expect((await signed(sim.restUrl, 'GET', '/api/v3/order', { symbol: 'BTCUSDT', origClientOrderId: 'lost' })).body).toMatchObject({ status: 'FILLED' });
    expect(sim.requests().find((r) => r.method === 'POST')).toMatchObject({ status: 0, query: { newClientOrderId: 'lost' } });
  });

  it('counts trading requests against the weight limit with their documented weights', async () => {
    const sim = await start();
    const ticker = await fetch(`${sim.restUrl}/api/v3/ticker/price?symbol=ETHUSDT`);
    expect(ticker.headers.get('x-mbx-used-weight-1m')).toBe('2');
    const response = await signed(sim.restUrl, 'GET', '/api/v3/openOrders', {});
    expect(response.status).toBe(200);
    const again = await fetch(`${sim.restUrl}/api/v3/ping`);
    expect(again.headers.get('x-mbx-used-weight-1m')).toBe(String(2 + 80 + 1));
  });
});

describe('partial-execution fault', () => {
  it('fills half of a market order on placement and the rest at the next market step', async () => {
    const sim = await sims.start({ serverClock: 'wall', apiKey: KEY, secretKey: SECRET, balances: { USDT: 10_000 }, symbols: ['BTCUSDT'], paused: true });
    sim.partialNextExecutions(1);
    const placed = await signed(sim.restUrl, 'POST', '/api/v3/order', { symbol: 'BTCUSDT', side: 'BUY', type: 'MARKET', quantity: '0.00400', newOrderRespType: 'FULL' });
    expect(placed.body).toMatchObject({ status: 'PARTIALLY_FILLED', executedQty: '0.00200000', fills: [{ qty: '0.00200000' }] });
    sim.advance(1);
    const after = await signed(sim.restUrl, 'GET', '/api/v3/order', { symbol: 'BTCUSDT', orderId: placed.body.orderId });
    expect(after.body).toMatchObject({ status: 'FILLED', executedQty: '0.00400000' });
    expect(sim.trades().map((t) => t.qty)).toEqual([0.002, 0.002]);
  });

  it('holds the quote for the rest of a partially filled limit order, and releases it on cancel', async () => {
    const sim = await sims.start({ serverClock: 'wall', apiKey: KEY, secretKey: SECRET, balances: { USDT: 10_000 }, symbols: ['BTCUSDT'], paused: true });
    const price = Number(((await (await fetch(`${sim.restUrl}/api/v3/ticker/price?symbol=BTCUSDT`)).json()) as { price: string }).price);
    sim.partialNextExecutions(1);
    // A marketable limit fills on placement at the current price: half of it, the rest of the hold stays locked.
    const limit = (Math.round(price * 1.1 * 100) / 100).toFixed(2);
    const placed = await signed(sim.restUrl, 'POST', '/api/v3/order', { symbol: 'BTCUSDT', side: 'BUY', type: 'LIMIT', timeInForce: 'GTC', price: limit, quantity: '0.00400' });
    expect(placed.body).toMatchObject({ status: 'PARTIALLY_FILLED', executedQty: '0.00200000' });
    expect(sim.balances()['USDT']!.locked).toBeCloseTo(0.002 * Number(limit), 8);
    const free = sim.balances()['USDT']!.free;
    await signed(sim.restUrl, 'DELETE', '/api/v3/order', { symbol: 'BTCUSDT', orderId: placed.body.orderId });
    expect(sim.balances()['USDT']!.locked).toBe(0);
    expect(sim.balances()['USDT']!.free).toBeCloseTo(free + 0.002 * Number(limit), 8);
  });
});

describe('venue expiry', () => {
  it('expires a working order with its hold released, and refuses one that is not working', async () => {
    const sim = await sims.start({ serverClock: 'wall', apiKey: KEY, secretKey: SECRET, balances: { USDT: 10_000 }, symbols: ['BTCUSDT'], paused: true });
    const placed = await signed(sim.restUrl, 'POST', '/api/v3/order', { symbol: 'BTCUSDT', side: 'BUY', type: 'LIMIT', timeInForce: 'GTC', price: '50000.00', quantity: '0.00400' });
    expect(sim.balances()['USDT']).toEqual({ free: 9_800, locked: 200 });
    expect(sim.expireOrder(placed.body.orderId)).toBe(true);
    expect((await signed(sim.restUrl, 'GET', '/api/v3/order', { symbol: 'BTCUSDT', orderId: placed.body.orderId })).body).toMatchObject({ status: 'EXPIRED', executedQty: '0.00000000' });
    expect(sim.balances()['USDT']).toEqual({ free: 10_000, locked: 0 });
    expect(sim.expireOrder(placed.body.orderId)).toBe(false);
  });
});
