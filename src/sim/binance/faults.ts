/**
 * Wire faults for data frames: garbage frames (truncated JSON, wrong types, missing fields, non-JSON text,
 * unknown event types), duplicates and reordered updates, decided by a seeded generator per connection so a
 * run is reproducible.
 */
import type { BinanceKlineEvent } from '../../providers/binance/messages.ts';
import { seededRandom } from './random.ts';

/** Fault probabilities, read on every frame so that changes apply to open connections. */
export interface FaultRates {
  malformedRate: number;
  duplicateRate: number;
  reorderRate: number;
}

/** A frame to put on the wire, and why it is there. */
export interface OutgoingFrame {
  readonly text: string;
  readonly kind: 'data' | 'duplicate' | 'malformed' | 'reordered';
}

const NOT_JSON = [
  '<html><head><title>502 Bad Gateway</title></head><body><h1>502 Bad Gateway</h1></body></html>',
  'ping',
  'undefined',
  '{"e":"kline","E":',
];

/** One garbage frame derived from a real one; `variant` (0..4) picks the kind of damage. */
export const garbageFrame = (
  event: BinanceKlineEvent, stream: string, text: string, combined: boolean, variant: number, cut: number,
): string => {
  const wrap = (data: unknown): string => JSON.stringify(combined ? { stream, data } : data);
  switch (variant) {
    case 0:
      // A strict prefix of a JSON object is never valid JSON.
      return text.slice(0, 1 + Math.floor(cut * (text.length - 2)));
    case 1:
      return wrap({ ...event, k: { ...event.k, o: null, t: String(event.k.t) } });
    case 2: {
      const { c: _c, h: _h, ...k } = event.k;
      return wrap(cut < 0.5 ? { ...event, k } : { e: event.e, E: event.E, s: event.s });
    }
    case 3:
      return NOT_JSON[Math.floor(cut * NOT_JSON.length)] ?? 'ping';
    default:
      return wrap({ e: 'mysteryEvent', E: event.E, s: event.s, payload: [1, 2, 3] });
  }
};

/** Applies the fault rates to one connection's data frames. */
export class FaultInjector {
  readonly #random: () => number;
  readonly #rates: FaultRates;
  readonly #combined: boolean;
  readonly #held = new Map<string, string>();

  constructor(seed: number, rates: FaultRates, combined: boolean) {
    this.#random = seededRandom(seed);
    this.#rates = rates;
    this.#combined = combined;
  }

  /** The frames to send now for one data frame of `stream` (`text` is its wire form). */
  plan(stream: string, event: BinanceKlineEvent, text: string): OutgoingFrame[] {
    const { malformedRate, duplicateRate, reorderRate } = this.#rates;
    if (malformedRate === 0 && duplicateRate === 0 && reorderRate === 0 && this.#held.size === 0) {
      return [{ text, kind: 'data' }];
    }
    const held = this.#held.get(stream);
    if (held === undefined && !event.k.x && this.#random() < reorderRate) {
      this.#held.set(stream, text);
      return [];
    }
    const out: OutgoingFrame[] = [{ text, kind: 'data' }];
    if (held !== undefined) {
      this.#held.delete(stream);
      out.push({ text: held, kind: 'reordered' });
    }
    if (this.#random() < duplicateRate) out.push({ text, kind: 'duplicate' });
    if (this.#random() < malformedRate) {
      const variant = Math.floor(this.#random() * 5);
      out.push({ text: garbageFrame(event, stream, text, this.#combined, variant, this.#random()), kind: 'malformed' });
    }
    return out;
  }

  /** Drops a held frame of a stream that is no longer subscribed. */
  forget(stream: string): void {
    this.#held.delete(stream);
  }

  /** Drops every held frame: a held frame never crosses a disconnect. */
  clear(): void {
    this.#held.clear();
  }
}
