/**
 * Binance request signing: `signature` = hex HMAC-SHA256(secret, query string + body), with `timestamp` and
 * `recvWindow` among the signed parameters and the key in the `X-MBX-APIKEY` header.
 * Source: https://developers.binance.com/docs/binance-spot-api-docs/rest-api/endpoint-security-type
 */
import { createHmac } from 'node:crypto';

/** Request parameters; undefined values are left out. */
export type Params = Readonly<Record<string, string | number | boolean | undefined>>;

/** Hex HMAC-SHA256 of `payload` (the query string concatenated with the body) under `secret`. */
export const signPayload = (secret: string, payload: string): string => createHmac('sha256', secret).update(payload).digest('hex');

/** Form-encodes parameters in their given order (the order they are signed in). */
export const encodeParams = (params: Params): string =>
  new URLSearchParams(Object.entries(params).filter((e): e is [string, string | number | boolean] => e[1] !== undefined)
    .map(([k, v]): [string, string] => [k, String(v)])).toString();

/** The signed parameter string: `params`, `recvWindow`, `timestamp`, then `signature` over all of them. */
export const signParams = (secret: string, params: Params, timestamp: number, recvWindow: number): string => {
  const payload = encodeParams({ ...params, recvWindow, timestamp });
  return `${payload}&signature=${signPayload(secret, payload)}`;
};
