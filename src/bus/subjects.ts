/**
 * Names on the bus: the subject of a stream's bars, durable consumer names, and the message id that makes a
 * publish idempotent. A symbol may hold characters a NATS subject token cannot (`.`, `*`, `>`, spaces), so those
 * are percent-encoded; `%` itself is encoded too, which keeps the mapping reversible.
 */
import { createHash } from 'node:crypto';
import type { Bar } from '../domain/bar.ts';
import type { Interval } from '../domain/interval.ts';

const encodeToken = (s: string): string => s.replace(/[%.*>\s]/g, (c) => `%${c.charCodeAt(0).toString(16).padStart(2, '0').toUpperCase()}`);

/** `<prefix>.<provider>.<interval>.<SYMBOL>`. */
export const barSubject = (prefix: string, provider: string, interval: Interval | string, symbol: string): string =>
  `${prefix}.${encodeToken(provider)}.${encodeToken(interval)}.${encodeToken(symbol)}`;

/** The subject of a bar. */
export const subjectOf = (prefix: string, bar: Pick<Bar, 'provider' | 'interval' | 'symbol'>): string => barSubject(prefix, bar.provider, bar.interval, bar.symbol);

/**
 * The message id: the bar's key for a closed or backfilled bar (so every re-delivery of it is a duplicate), and
 * the key plus a hash of its values for a correction (each distinct correction is stored once; a repeat of the
 * same correction is a duplicate).
 */
export const messageIdOf = (bar: Bar): string => {
  const key = `${bar.provider}|${bar.symbol}|${bar.interval}|${bar.openTime}`;
  if (!bar.correction) return key;
  const values = [bar.open, bar.high, bar.low, bar.close, bar.volume, bar.vwap, bar.tradeCount].join('|');
  return `${key}|c:${createHash('sha256').update(values).digest('hex').slice(0, 16)}`;
};

/** A JetStream consumer or KV key name built from parts: only `[A-Za-z0-9_-]`, other characters hex-encoded. */
export const safeName = (...parts: string[]): string =>
  parts.map((p) => p.replace(/[^A-Za-z0-9-]/g, (c) => `_${c.charCodeAt(0).toString(16)}`)).join('__');
