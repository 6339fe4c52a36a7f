/**
 * The simulator's check of a signed request, as Binance does it: the API key from `X-MBX-APIKEY`, the
 * `signature` = hex HMAC-SHA256(secret, query string + body) over both parts without the signature itself,
 * then `timestamp` against the server clock within `recvWindow`.
 * Source: https://developers.binance.com/docs/binance-spot-api-docs/rest-api/endpoint-security-type
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import type { BinanceRestError } from '../../providers/binance/messages.ts';

/** The parts of an HTTP request a signature covers. */
export interface SignedRequest {
  /** The raw query string, without the leading `?`. */
  readonly query: string;
  /** The raw form-encoded body. */
  readonly body: string;
  /** The `X-MBX-APIKEY` header, if sent. */
  readonly apiKey: string | undefined;
}

/** The outcome of a check: the account and the merged parameters, or the error Binance answers with. */
export type SignatureCheck =
  | { readonly ok: true; readonly apiKey: string; readonly params: URLSearchParams }
  | { readonly ok: false; readonly status: number; readonly error: BinanceRestError };

/** Largest `recvWindow` Binance accepts (ms). */
export const MAX_RECV_WINDOW_MS = 60_000;
/** How far ahead of the server clock a timestamp may be (ms). */
const MAX_AHEAD_MS = 1_000;

/** Hex HMAC-SHA256 of `payload` under `secret`: Binance's `signature`. */
export const hmacHex = (secret: string, payload: string): string =>
  createHmac('sha256', secret).update(payload).digest('hex');

const refuse = (status: number, code: number, msg: string): SignatureCheck => ({ ok: false, status, error: { code, msg } });

/** Removes the `signature` parameter from a raw parameter string; returns the rest and the signature. */
const withoutSignature = (raw: string): { rest: string; signature: string | undefined } => {
  const parts = raw === '' ? [] : raw.split('&');
  const kept = parts.filter((p) => !p.startsWith('signature='));
  const found = parts.find((p) => p.startsWith('signature='));
  return { rest: kept.join('&'), signature: found === undefined ? undefined : decodeURIComponent(found.slice('signature='.length)) };
};

const sameHex = (a: string, b: string): boolean => {
  const x = Buffer.from(a, 'utf8');
  const y = Buffer.from(b, 'utf8');
  return x.length === y.length && timingSafeEqual(x, y);
};

/** Checks a signed request against the known credentials (API key → secret) and the server time. */
export const checkSignedRequest = (
  request: SignedRequest, secretOf: (apiKey: string) => string | undefined, serverTime: number,
): SignatureCheck => {
  const { apiKey } = request;
  if (apiKey === undefined || !/^[A-Za-z0-9_-]{1,128}$/.test(apiKey)) return refuse(401, -2014, 'API-key format invalid.');
  const secret = secretOf(apiKey);
  if (secret === undefined) return refuse(401, -2015, 'Invalid API-key, IP, or permissions for action.');

  const query = withoutSignature(request.query);
  const body = withoutSignature(request.body);
  const signature = query.signature ?? body.signature;
  if (!signature) return refuse(400, -1102, "Mandatory parameter 'signature' was not sent, was empty/null, or malformed.");
  // Binance concatenates the two parts without a separator (its documented example 3).
  if (!sameHex(hmacHex(secret, query.rest + body.rest), signature)) return refuse(400, -1022, 'Signature for this request is not valid.');

  const params = new URLSearchParams(query.rest);
  for (const [k, v] of new URLSearchParams(body.rest)) params.append(k, v);
  const timestamp = Number(params.get('timestamp'));
  if (!params.get('timestamp') || !Number.isSafeInteger(timestamp)) {
    return refuse(400, -1102, "Mandatory parameter 'timestamp' was not sent, was empty/null, or malformed.");
  }
  const recvWindow = params.has('recvWindow') ? Number(params.get('recvWindow')) : 5_000;
  if (!(recvWindow > 0) || recvWindow > MAX_RECV_WINDOW_MS) return refuse(400, -1131, `recvWindow must be less than ${MAX_RECV_WINDOW_MS}.`);
  if (timestamp >= serverTime + MAX_AHEAD_MS) {
    return refuse(400, -1021, "Timestamp for this request was 1000ms ahead of the server's time.");
  }
  if (serverTime - timestamp > recvWindow) return refuse(400, -1021, 'Timestamp for this request is outside of the recvWindow.');
  return { ok: true, apiKey, params };
};
