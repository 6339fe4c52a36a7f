/**
 * What the provider knows about symbols: their rules from exchangeInfo (fetched once, several symbols per
 * request, which also brings the venue's rate limits to the limiter) and their last price (from the session's
 * bars, or else from `GET /api/v3/ticker/price`, kept for a while).
 */
import { realtimeError } from '../../errors.ts';
import { symbolRules, type SymbolRules } from './filters.ts';
import { BINANCE_TRADING_CODES as CODES, type BinanceExchangeInfo } from './messages.ts';
import type { BinanceTradingClient } from './rest-client.ts';

/** Rules and prices of the symbols the provider trades. */
export class SymbolCatalog {
  readonly #client: BinanceTradingClient;
  readonly #now: () => number;
  readonly #maxPriceAgeMs: number;
  readonly #rules = new Map<string, Promise<SymbolRules | undefined>>();
  readonly #barPrices = new Map<string, number>();
  readonly #tickers = new Map<string, { price: number; at: number }>();

  constructor(client: BinanceTradingClient, now: () => number, maxPriceAgeMs: number) {
    this.#client = client;
    this.#now = now;
    this.#maxPriceAgeMs = maxPriceAgeMs;
  }

  /** The rules of `symbol`, or undefined when Binance does not list it (-1121). */
  rules(symbol: string): Promise<SymbolRules | undefined> {
    this.preload([symbol]);
    return this.#rules.get(symbol)!;
  }

  /** Starts fetching the rules of the symbols not known yet, in one request (exchangeInfo weighs 20 either way). */
  preload(symbols: Iterable<string>): void {
    const missing = [...new Set(symbols)].filter((s) => !this.#rules.has(s));
    if (missing.length === 0) return;
    const batch = this.#fetchRules(missing);
    for (const symbol of missing) {
      const pending = batch.then((found) => (found === 'invalid' ? this.#fetchOne(symbol) : found.get(symbol)));
      this.#rules.set(symbol, pending);
      // A failure is not remembered: the next call asks again.
      pending.catch(() => this.#rules.delete(symbol));
    }
  }

  /** Records the close of a bar as the symbol's last price. */
  notePrice(symbol: string, price: number): void {
    if (price > 0) this.#barPrices.set(symbol, price);
  }

  /** The last known price of `symbol`: the last bar's close, or a recent ticker price (fetched when needed). */
  async price(symbol: string): Promise<number | undefined> {
    const fromBar = this.#barPrices.get(symbol);
    if (fromBar !== undefined) return fromBar;
    const cached = this.#tickers.get(symbol);
    if (cached && this.#now() - cached.at < this.#maxPriceAgeMs) return cached.price;
    const result = await this.#client.public<{ price: string }>('/api/v3/ticker/price', { symbol }, 2);
    if (result.kind !== 'ok') return cached?.price;
    const price = Number(result.body.price);
    if (!(price > 0)) return cached?.price;
    this.#tickers.set(symbol, { price, at: this.#now() });
    return price;
  }

  /** The rules of the listed symbols, or 'invalid' when one of them is unknown (Binance then refuses them all). */
  async #fetchRules(symbols: readonly string[]): Promise<Map<string, SymbolRules> | 'invalid'> {
    const params = symbols.length === 1 ? { symbol: symbols[0] } : { symbols: JSON.stringify(symbols) };
    const result = await this.#client.public<BinanceExchangeInfo>('/api/v3/exchangeInfo', params, 20);
    if (result.kind === 'refused' && result.code === CODES.invalidSymbol) return 'invalid';
    if (result.kind !== 'ok') {
      const why = result.kind === 'unknown' ? result.reason : `${result.msg} (${result.code})`;
      throw realtimeError('REQUEST_FAILED', `could not read the exchangeInfo of ${symbols.join(', ')}: ${why}`, { symbols });
    }
    if (Array.isArray(result.body.rateLimits)) this.#client.limiter.configure(result.body.rateLimits);
    return new Map((result.body.symbols ?? []).map((s) => [s.symbol, symbolRules(s)]));
  }

  async #fetchOne(symbol: string): Promise<SymbolRules | undefined> {
    const found = await this.#fetchRules([symbol]);
    return found === 'invalid' ? undefined : found.get(symbol);
  }
}
