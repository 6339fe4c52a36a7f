/**
 * Control messages of the market-stream endpoint (SUBSCRIBE, UNSUBSCRIBE, LIST_SUBSCRIPTIONS): parsing,
 * validation and the reply, as a pure function of the message and the connection's current streams.
 * Source: https://developers.binance.com/docs/binance-spot-api-docs/web-socket-streams#live-subscribingunsubscribing-to-streams
 */
import { isInterval } from '../../domain/interval.ts';
import { parseBinanceKlineStream } from '../../domain/symbol.ts';
import {
  BINANCE_CODES, type BinanceControlError, type BinanceControlResult, type BinanceRequestId,
} from '../../providers/binance/messages.ts';

/** What the connection must do with one control message: reply, then add or remove streams. */
export type ControlOutcome =
  | {
    readonly kind: 'reply';
    readonly reply: BinanceControlResult | BinanceControlError;
    readonly add?: readonly string[];
    readonly remove?: readonly string[];
  }
  /** The subscription would pass the per-connection stream limit: reply, then close 1008. */
  | { readonly kind: 'too-many-streams'; readonly reply: BinanceControlError };

/** Limits and wire options that shape the replies. */
export interface ControlSettings {
  readonly maxStreams: number;
  readonly flatErrors: boolean;
  /** Streams a SUBSCRIBE naming them is refused for (a test fault: the server rejects a stream). */
  readonly rejected?: ReadonlySet<string>;
}

/** True for a kline stream name the server accepts (`btcusdt@kline_1m`); other stream kinds are not simulated. */
export const isValidStreamName = (name: unknown): name is string => {
  if (typeof name !== 'string') return false;
  const parsed = parseBinanceKlineStream(name);
  return parsed !== undefined && isInterval(parsed.interval);
};

const error = (code: number, msg: string, id: BinanceRequestId, flat: boolean): BinanceControlError =>
  flat ? { code, msg, id } : { error: { code, msg }, id };

const INT64 = 2 ** 63;

/**
 * The request id if Binance accepts it: a 64-bit signed integer, a string of at most 36 characters (letters,
 * digits, `-`, `_`: the official connectors send 32 hex digits, UUIDs are 36), or null; `undefined` otherwise.
 * Source: https://developers.binance.com/docs/binance-spot-api-docs/web-socket-streams#live-subscribingunsubscribing-to-streams
 */
export const acceptedRequestId = (id: unknown): BinanceRequestId | undefined => {
  if (id === null) return null;
  if (typeof id === 'number') return Number.isInteger(id) && id >= -INT64 && id < INT64 ? id : undefined;
  if (typeof id === 'string') return /^[\w-]{1,36}$/.test(id) ? id : undefined;
  return undefined;
};

const METHODS = ['SUBSCRIBE', 'UNSUBSCRIBE', 'LIST_SUBSCRIPTIONS'];

/** Handles one text message received on a market-stream connection. */
export const handleControl = (
  text: string, streams: ReadonlySet<string>, settings: ControlSettings,
): ControlOutcome => {
  const fail = (code: number, msg: string, id: BinanceRequestId): ControlOutcome => ({
    kind: 'reply',
    reply: error(code, msg, id, settings.flatErrors),
  });
  let message: unknown;
  try {
    message = JSON.parse(text);
  } catch {
    return fail(BINANCE_CODES.invalidJson, 'Invalid JSON: expected value at line 1 column 1', null);
  }
  if (typeof message !== 'object' || message === null || Array.isArray(message)) {
    return fail(BINANCE_CODES.invalidValue, 'Invalid request: expected an object', null);
  }
  const { method, params } = message as Record<string, unknown>;
  const id = 'id' in message ? acceptedRequestId((message as Record<string, unknown>).id) : undefined;
  if (id === undefined) {
    // The wording Binance documents for an id that is missing or of an unsupported type.
    return fail(BINANCE_CODES.invalidValue, 'Invalid request: request ID must be an unsigned integer', null);
  }
  if (typeof method !== 'string' || !METHODS.includes(method)) {
    const expected = METHODS.map((m) => `\`${m}\``).join(', ');
    return fail(BINANCE_CODES.invalidValue, `Invalid request: unknown variant \`${String(method)}\`, expected one of ${expected}`, id);
  }
  if (method === 'LIST_SUBSCRIPTIONS') return { kind: 'reply', reply: { result: [...streams], id } };

  if (!Array.isArray(params) || params.length === 0) {
    return fail(BINANCE_CODES.invalidValue, 'Invalid request: missing field `params`', id);
  }
  if (!params.every(isValidStreamName)) return fail(BINANCE_CODES.invalidValue, 'Invalid request: invalid stream', id);

  const names = [...new Set(params)];
  if (method === 'SUBSCRIBE' && settings.rejected && names.some((n) => settings.rejected!.has(n))) {
    return fail(BINANCE_CODES.invalidValue, 'Invalid request: invalid stream', id);
  }
  if (method === 'UNSUBSCRIBE') return { kind: 'reply', reply: { result: null, id }, remove: names };

  const added = names.filter((n) => !streams.has(n));
  if (streams.size + added.length > settings.maxStreams) {
    return {
      kind: 'too-many-streams',
      reply: error(BINANCE_CODES.tooManySubscriptions, 'Too many subscriptions', id, settings.flatErrors),
    };
  }
  return { kind: 'reply', reply: { result: null, id }, add: added };
};
