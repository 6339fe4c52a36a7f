/**
 * The bounds on a strategy's `subscribeRealtime` (issue #14: messages from the strategy are validated in shape,
 * size and rate). A strategy may add streams only of symbols the risk engine allows (`risk.allowed_symbols`,
 * by default the session's symbols), at most `strategy.max_subscriptions` streams beyond the session's own, and
 * call at most `strategy.subscriptions_per_minute` times a minute. A call is checked whole before anything is
 * subscribed (all of its streams or none), cheapest check first, so a flood of calls costs the host a counter
 * each. A refused call is an error with a code returned to the strategy, never a crash; the session logs it.
 */
import { isInterval, type Interval } from '../domain/interval.ts';
import { realtimeError, type RealtimeError } from '../errors.ts';
import type { StrategySubscriptionRefusal } from '../strategy/events.ts';
import { TokenBucket } from '../strategy/token-bucket.ts';

/** The limits of {@link StrategySubscriptions}. */
export interface SubscriptionLimits {
  /** Symbols the risk engine allows (compared in upper case). */
  readonly allowedSymbols: readonly string[];
  /** The session's own streams: subscribing them again is allowed and adds nothing. */
  readonly sessionSymbols: readonly string[];
  readonly sessionInterval: Interval;
  /** Streams a strategy may add beyond the session's own. */
  readonly maxStreams: number;
  /** `subscribeRealtime` calls allowed per minute (also the burst). */
  readonly callsPerMinute: number;
}

/** What a call may subscribe, or why it is refused. */
export type SubscriptionDecision =
  | { readonly ok: true; readonly symbols: readonly string[]; readonly interval: Interval }
  | { readonly ok: false; readonly reason: StrategySubscriptionRefusal; readonly error: RealtimeError };

// More symbols than this in one call is not a subscription but a flood: refused before any symbol is looked at.
const MAX_SYMBOLS_PER_CALL = 1_000;

const streamKey = (symbol: string, interval: string): string => `${symbol.toUpperCase()}|${interval}`;

// A symbol quoted in a message comes from the strategy: clipped and JSON-quoted unless it is a plain ticker.
const shown = (symbol: string): string => (/^[A-Za-z0-9._:/-]{1,32}$/.test(symbol) ? symbol : JSON.stringify(symbol.slice(0, 32)));

/** Checks a strategy's subscription calls against its limits and remembers the streams it added. */
export class StrategySubscriptions {
  readonly #limits: SubscriptionLimits;
  readonly #allowed: ReadonlySet<string>;
  readonly #calls: TokenBucket;
  /** Streams subscribed: the session's, then those the strategy added. */
  readonly #streams = new Set<string>();
  /** Streams the strategy added (counted against `maxStreams`). */
  #added = 0;

  constructor(limits: SubscriptionLimits, now: () => number) {
    this.#limits = limits;
    this.#allowed = new Set(limits.allowedSymbols.map((s) => s.toUpperCase()));
    this.#calls = new TokenBucket(limits.callsPerMinute / 60, limits.callsPerMinute, now);
    for (const s of limits.sessionSymbols) this.#streams.add(streamKey(s, limits.sessionInterval));
  }

  /** Streams the strategy added so far. */
  get added(): number {
    return this.#added;
  }

  /**
   * Decides one call. The streams of an allowed call are reserved at once, so calls in flight together cannot
   * pass the cap between them; {@link release} gives them back when the provider could not subscribe them.
   */
  check(symbols: unknown, interval: unknown): SubscriptionDecision {
    const l = this.#limits;
    const refuse = (reason: StrategySubscriptionRefusal, message: string): SubscriptionDecision => ({
      ok: false, reason,
      error: reason === 'rate' ? realtimeError('RATE_LIMITED', message, { reason }) : realtimeError('SUBSCRIPTION_REFUSED', message, { reason }),
    });
    if (!this.#calls.take()) return refuse('rate', `subscribeRealtime: more than ${l.callsPerMinute} calls per minute (strategy.subscriptions_per_minute)`);
    if (!Array.isArray(symbols) || symbols.length === 0 || symbols.length > MAX_SYMBOLS_PER_CALL) {
      return refuse('invalid', `subscribeRealtime: symbols must be a list of 1 to ${MAX_SYMBOLS_PER_CALL} strings`);
    }
    if (!symbols.every((s): s is string => typeof s === 'string' && s.trim() !== '')) return refuse('invalid', 'subscribeRealtime: every symbol must be a non-empty string');
    const iv = interval ?? l.sessionInterval;
    if (typeof iv !== 'string' || !isInterval(iv)) return refuse('invalid', `subscribeRealtime: ${typeof iv === 'string' ? shown(iv) : `a ${typeof iv}`} is not an interval`);
    const refused = symbols.filter((s) => !this.#allowed.has(s.toUpperCase()));
    if (refused.length > 0) {
      const list = refused.slice(0, 5).map(shown).join(', ') + (refused.length > 5 ? ` and ${refused.length - 5} more` : '');
      return refuse('symbol', `subscribeRealtime: ${list} ${refused.length === 1 ? 'is' : 'are'} not an allowed symbol (risk.allowed_symbols: ${l.allowedSymbols.slice(0, 10).join(', ') || 'none'}${l.allowedSymbols.length > 10 ? ', …' : ''})`);
    }
    // New streams only, each once, in the spelling the strategy used first.
    const keys = new Set<string>();
    const fresh = symbols.filter((s) => {
      const key = streamKey(s, iv);
      if (keys.has(key) || this.#streams.has(key)) return false;
      keys.add(key);
      return true;
    });
    if (this.#added + fresh.length > l.maxStreams) {
      return refuse('streams', `subscribeRealtime: ${fresh.length} new stream${fresh.length === 1 ? '' : 's'} would make ${this.#added + fresh.length}, more than strategy.max_subscriptions ${l.maxStreams}`);
    }
    for (const s of fresh) this.#streams.add(streamKey(s, iv));
    this.#added += fresh.length;
    return { ok: true, symbols: fresh, interval: iv };
  }

  /** Gives back the streams of an allowed call that the provider failed to subscribe. */
  release(symbols: readonly string[], interval: Interval): void {
    for (const s of symbols) if (this.#streams.delete(streamKey(s, interval))) this.#added -= 1;
  }
}
