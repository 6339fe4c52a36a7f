/**
 * Massive (formerly Polygon) symbols per market: the form users write and the WebSocket expects (`AAPL`,
 * `O:SPY251219C00650000`, `I:SPX`, `BTC-USD`, `USD/EUR`), subscription parameters (`AM.AAPL`, `XA.BTC-USD`,
 * `XAS.BTC-USD`), the REST ticker
 * (`X:BTCUSD`, `C:USDEUR`), and which pushed bar feeds an interval.
 */
import { divides, type Interval } from '../../domain/interval.ts';
import type { PolygonAggregateEventType, PolygonFeed } from './messages.ts';

const PATTERNS: Record<PolygonFeed, RegExp> = {
  stocks: /^[A-Z][A-Z0-9.]{0,9}$/,
  options: /^O:[A-Z]{1,6}\d{6}[CP]\d{8}$/,
  indices: /^I:[A-Z0-9._]{1,16}$/,
  crypto: /^[A-Z0-9]{2,10}-[A-Z0-9]{2,6}$/,
  forex: /^[A-Z]{3}\/[A-Z]{3}$/,
};

/** The bar intervals Massive pushes on every market. */
export type PushedInterval = '1s' | '1m';

/** Normalises a symbol as users write it (`btc/usd`, `spx`, `usd-eur`) to the market's form, or undefined when it is not one. */
export const normalisePolygonSymbol = (feed: PolygonFeed, raw: string): string | undefined => {
  let s = raw.trim().toUpperCase();
  if (feed === 'options' && !s.startsWith('O:')) s = `O:${s}`;
  if (feed === 'indices' && !s.startsWith('I:')) s = `I:${s}`;
  if (feed === 'crypto') s = s.replace(/^X:/, '').replace('/', '-');
  if (feed === 'forex') {
    s = s.replace(/^C:/, '').replace('-', '/');
    if (/^[A-Z]{6}$/.test(s)) s = `${s.slice(0, 3)}/${s.slice(3)}`;
  }
  return PATTERNS[feed].test(s) ? s : undefined;
};

/** The REST ticker of a symbol: crypto `BTC-USD` → `X:BTCUSD`, forex `USD/EUR` → `C:USDEUR`, others unchanged. */
export const restTicker = (feed: PolygonFeed, symbol: string): string =>
  feed === 'crypto' ? `X:${symbol.replace('-', '')}` : feed === 'forex' ? `C:${symbol.replace('/', '')}` : symbol;

/** The aggregate event that carries bars of `pushed` on a market (every market pushes both: `XAS` and `CAS` are the seconds of crypto and forex). */
export const aggregateEvent = (feed: PolygonFeed, pushed: PushedInterval): PolygonAggregateEventType => {
  if (feed === 'crypto') return pushed === '1m' ? 'XA' : 'XAS';
  if (feed === 'forex') return pushed === '1m' ? 'CA' : 'CAS';
  return pushed === '1m' ? 'AM' : 'A';
};

/**
 * The pushed interval an interval is built from: itself for 1s and 1m, else 1m (every coarser interval is a
 * union of whole minutes); undefined when no pushed interval builds it.
 */
export const sourceInterval = (_feed: PolygonFeed, interval: Interval): PushedInterval | undefined => {
  if (interval === '1s') return '1s';
  return divides('1m', interval) ? '1m' : undefined;
};

/** The subscription parameter of a bar stream, e.g. `AM.AAPL`. */
export const streamParam = (event: PolygonAggregateEventType, symbol: string): string => `${event}.${symbol}`;

/** Splits a subscription parameter into event and symbol, or undefined. */
export const parseStreamParam = (param: string): { event: string; symbol: string } | undefined => {
  const dot = param.indexOf('.');
  return dot > 0 && dot < param.length - 1 ? { event: param.slice(0, dot), symbol: param.slice(dot + 1) } : undefined;
};
