import { describe, expect, it } from 'vitest';
import { signParams, signPayload } from '../../../src/trading/binance/signing.ts';

// The published example of Binance's SIGNED endpoint security documentation (protocols.md).
const SECRET = 'NhqPtmdSJYdKjVHjA7PZj4Mge3R5YNiP1e3UZjInClVN65XAbvqqM6A7H5fATj0j';
const PAYLOAD = 'symbol=LTCBTC&side=BUY&type=LIMIT&timeInForce=GTC&quantity=1&price=0.1&recvWindow=5000&timestamp=1499827319559';
const SIGNATURE = 'c8db56825ae71d6d79447849e617115f4a920fa2acdcab2b053c4b2838bd6b71';

describe('request signing', () => {
  it('reproduces the published HMAC-SHA256 test vector', () => {
    expect(signPayload(SECRET, PAYLOAD)).toBe(SIGNATURE);
  });

  it('signs the parameters in order with recvWindow and timestamp last, and appends the signature', () => {
    const signed = signParams(SECRET, { symbol: 'LTCBTC', side: 'BUY', type: 'LIMIT', timeInForce: 'GTC', quantity: '1', price: '0.1' }, 1499827319559, 5000);
    expect(signed).toBe(`${PAYLOAD}&signature=${SIGNATURE}`);
  });

  it('leaves out undefined parameters and encodes the rest', () => {
    const signed = signParams('s', { symbol: 'BTCUSDT', orderId: undefined, newClientOrderId: 'a b' }, 1, 5000);
    expect(signed.startsWith('symbol=BTCUSDT&newClientOrderId=a+b&recvWindow=5000&timestamp=1&signature=')).toBe(true);
  });
});
