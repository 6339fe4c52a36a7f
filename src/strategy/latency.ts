/**
 * Per-bar latency of a strategy as the host measures it (bar sent → outcome known), kept in a fixed-size
 * ring of recent samples so percentiles reflect current behaviour and memory stays bounded; the maximum and
 * the count cover the whole run.
 */

/** Latency figures in milliseconds; zeros before the first sample. */
export interface LatencySummary {
  /** Samples recorded since the start (the percentiles use the most recent `capacity` of them). */
  readonly count: number;
  /** Sum of every sample since the start (with `count`, a Prometheus summary's `_sum`). */
  readonly sum: number;
  readonly p50: number;
  readonly p99: number;
  /** Largest sample since the start. */
  readonly max: number;
}

/** Records latency samples and summarises them with nearest-rank percentiles. */
export class LatencyRecorder {
  readonly #ring: Float64Array;
  #count = 0;
  #sum = 0;
  #max = 0;

  constructor(capacity = 4096) {
    this.#ring = new Float64Array(Math.max(1, capacity));
  }

  /** Adds one sample (ms). */
  record(ms: number): void {
    this.#ring[this.#count % this.#ring.length] = ms;
    this.#count += 1;
    this.#sum += ms;
    if (ms > this.#max) this.#max = ms;
  }

  /** p50, p99 over the recent window, plus count and max over the whole run. */
  summary(): LatencySummary {
    const n = Math.min(this.#count, this.#ring.length);
    if (n === 0) return { count: 0, sum: 0, p50: 0, p99: 0, max: 0 };
    const sorted = this.#ring.slice(0, n).sort();
    const rank = (p: number): number => sorted[Math.max(0, Math.ceil(p * n) - 1)] ?? 0;
    return { count: this.#count, sum: this.#sum, p50: rank(0.5), p99: rank(0.99), max: this.#max };
  }
}
