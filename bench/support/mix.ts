/**
 * Message mixes the simulator can be driven with. A market step sends every subscribed stream the closed bar of
 * each bucket that ended during the step, then one update of the bucket in progress.
 *
 * - `closed`: 1s bars, one market second per step: every step, a closed bar and an update per stream (half of the
 *   messages are closed bars: the persistence path is loaded as hard as the socket).
 * - `updates`: 1m bars, two market seconds per step, the cadence of Binance's kline streams (an update about every
 *   2 s, a closed bar per minute): 31 messages per stream per market minute, one of them a closed bar (3.2%).
 */
export interface Mix {
  readonly name: 'closed' | 'updates';
  readonly interval: '1s' | '1m';
  readonly marketStepMs: number;
  readonly intervalMs: number;
  /** Messages per stream per step, on average. */
  readonly framesPerStep: number;
  readonly description: string;
}

export const MIXES: Readonly<Record<Mix['name'], Mix>> = {
  closed: { name: 'closed', interval: '1s', marketStepMs: 1000, intervalMs: 1000, framesPerStep: 2, description: '1s bars: a closed bar + an update per stream per step (50% closed)' },
  updates: { name: 'updates', interval: '1m', marketStepMs: 2000, intervalMs: 60_000, framesPerStep: 31 / 30, description: '1m bars, an update per 2 s of market time (Binance cadence; 3.2% closed)' },
};

/** Closed bars a stream receives over `steps` steps from a bucket boundary. */
export const closedPerStream = (mix: Mix, steps: number): number => Math.floor((steps * mix.marketStepMs) / mix.intervalMs);

/** Steps per second that make `messagesPerSecond` over `symbols` streams. */
export const stepsPerSecond = (mix: Mix, symbols: number, messagesPerSecond: number): number =>
  messagesPerSecond / (symbols * mix.framesPerStep);
