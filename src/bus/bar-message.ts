/**
 * The bar as it travels on the bus: a flat JSON object with the bar's fields (times in Unix ms), decoded back
 * with every field checked, so a foreign or damaged message is reported instead of reaching a strategy.
 */
import type { Bar } from '../domain/bar.ts';
import { barProblem } from '../domain/bar.ts';
import { INTERVALS, type Interval } from '../domain/interval.ts';

/** The JSON payload of one bar message: the closed bar's fields, its flags always present (`final` is implied). */
export type BarMessage = Omit<Bar, 'final' | 'backfilled' | 'correction'> & {
  readonly backfilled: boolean;
  readonly correction: boolean;
};

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** Encodes a closed bar. */
export const encodeBar = (bar: Bar): Uint8Array => encoder.encode(JSON.stringify({
  provider: bar.provider, symbol: bar.symbol, interval: bar.interval, openTime: bar.openTime, closeTime: bar.closeTime,
  open: bar.open, high: bar.high, low: bar.low, close: bar.close, volume: bar.volume, vwap: bar.vwap, tradeCount: bar.tradeCount,
  backfilled: bar.backfilled === true, correction: bar.correction === true, receivedAt: bar.receivedAt,
} satisfies BarMessage));

const num = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);
const intervals = new Set<string>(INTERVALS);

/** Decodes a message into a closed bar, or returns why it is not one. */
export const decodeBar = (data: Uint8Array): { bar: Bar } | { problem: string } => {
  let m: Partial<Record<keyof BarMessage, unknown>>;
  try {
    m = JSON.parse(decoder.decode(data)) as typeof m;
  } catch {
    return { problem: 'not JSON' };
  }
  if (typeof m !== 'object' || m === null) return { problem: 'not an object' };
  if (typeof m.provider !== 'string' || typeof m.symbol !== 'string') return { problem: 'provider or symbol missing' };
  if (typeof m.interval !== 'string' || !intervals.has(m.interval)) return { problem: `unknown interval ${String(m.interval)}` };
  for (const k of ['openTime', 'closeTime', 'open', 'high', 'low', 'close', 'volume', 'receivedAt'] as const) if (!num(m[k])) return { problem: `${k} is not a number` };
  if (m.vwap !== null && !num(m.vwap)) return { problem: 'vwap is not a number or null' };
  if (m.tradeCount !== null && !num(m.tradeCount)) return { problem: 'tradeCount is not a number or null' };
  const bar: Bar = {
    provider: m.provider, symbol: m.symbol, interval: m.interval as Interval,
    openTime: m.openTime as number, closeTime: m.closeTime as number,
    open: m.open as number, high: m.high as number, low: m.low as number, close: m.close as number, volume: m.volume as number,
    vwap: m.vwap as number | null, tradeCount: m.tradeCount as number | null, final: true, receivedAt: m.receivedAt as number,
    ...(m.backfilled === true ? { backfilled: true } : {}), ...(m.correction === true ? { correction: true } : {}),
  };
  const problem = barProblem(bar);
  return problem ? { problem } : { bar };
};
