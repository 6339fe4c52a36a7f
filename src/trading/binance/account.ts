/**
 * The provider's view of the spot account: balances (`GET /api/v3/account`) and the executions of the symbols
 * that matter (held, or ordered through this provider: `GET /api/v3/myTrades`, fetched incrementally from the
 * last trade id), each refreshed when the provider saw a change to it (a placement, a fill, a cancel) or when
 * older than `maxAgeMs`; positions and account figures are derived from them (see `ledger.ts`).
 */
import { realtimeError } from '../../errors.ts';
import type { AccountInfo, Fill, Position } from '../types.ts';
import { accountOf, foldFills, positionOf } from './ledger.ts';
import type { BinanceAccount, BinanceTrade } from './messages.ts';
import { toFill } from './parse.ts';
import type { BinanceResult, BinanceTradingClient } from './rest-client.ts';
import type { SymbolCatalog } from './symbols.ts';

const PAGE = 1_000;

/** A cached read: when, and under which generation (balances: the change count; trades: 0 current, −1 changed since). */
interface Cached {
  at: number;
  generation: number;
}

const unwrap = <T>(result: BinanceResult<T>, what: string): T => {
  if (result.kind === 'ok') return result.body;
  const why = result.kind === 'unknown' ? result.reason : `${result.msg} (${result.code})`;
  throw realtimeError('REQUEST_FAILED', `could not read ${what} from Binance: ${why}`);
};

/** Balances and executions of the account, cached. */
export class AccountView {
  /** Symbols whose base asset counts as a position (seen in bars or orders). */
  readonly traded = new Set<string>();
  /** Symbols ordered through this provider: their executions count in the account's P&L even when flat. */
  readonly #ordered = new Set<string>();
  readonly #client: BinanceTradingClient;
  readonly #catalog: SymbolCatalog;
  readonly #currency: string;
  readonly #now: () => number;
  readonly #maxAgeMs: number;
  /** Bumped by every change the provider sees; balances read under an older generation are stale. */
  #generation = 0;
  #balances: Cached & { value: Map<string, number>; pending?: Promise<Map<string, number>> } = { at: -Infinity, generation: -1, value: new Map() };
  readonly #trades = new Map<string, Cached & { fills: Fill[]; lastId: number; pending?: Promise<Fill[]> }>();

  constructor(client: BinanceTradingClient, catalog: SymbolCatalog, currency: string, now: () => number, maxAgeMs: number) {
    this.#client = client;
    this.#catalog = catalog;
    this.#currency = currency;
    this.#now = now;
    this.#maxAgeMs = maxAgeMs;
  }

  /** Takes the balances of an account answer (e.g. the one read on connect). */
  noteAccount(account: BinanceAccount, generation = this.#generation): void {
    const value = new Map(account.balances.map((b) => [b.asset, Number(b.free) + Number(b.locked)]));
    this.#balances = { at: this.#now(), generation, value };
  }

  /** Marks the balances, and the executions of `symbol`, as changed at the venue by an order. */
  markDirty(symbol: string): void {
    this.#generation++;
    this.traded.add(symbol);
    this.#ordered.add(symbol);
    const trades = this.#trades.get(symbol);
    if (trades) trades.generation = -1;
  }

  #fresh(c: Cached, generation: number): boolean {
    return c.generation === generation && this.#now() - c.at < this.#maxAgeMs;
  }

  /** Total (free + locked) balance of every asset. */
  balances(): Promise<Map<string, number>> {
    const b = this.#balances;
    if (this.#fresh(b, this.#generation)) return Promise.resolve(b.value);
    const generation = this.#generation;
    b.pending ??= this.#client.signed<BinanceAccount>('GET', '/api/v3/account', { omitZeroBalances: true }, 20)
      .then((r) => {
        this.noteAccount(unwrap(r, 'the account'), generation);
        return this.#balances.value;
      })
      .finally(() => { b.pending = undefined; });
    return b.pending;
  }

  /** Every execution of `symbol`, oldest first. */
  fills(symbol: string): Promise<Fill[]> {
    let t = this.#trades.get(symbol);
    if (!t) this.#trades.set(symbol, (t = { at: -Infinity, generation: -1, fills: [], lastId: -1 }));
    const entry = t;
    if (this.#fresh(entry, 0)) return Promise.resolve(entry.fills);
    entry.pending ??= this.#fetchFills(symbol, entry).finally(() => { entry.pending = undefined; });
    return entry.pending;
  }

  /** Non-flat positions of the traded symbols (holdings below the lot minimum are dust and left out). */
  async positions(): Promise<Position[]> {
    const balances = await this.balances();
    this.#catalog.preload(this.traded);
    const out: Position[] = [];
    for (const symbol of [...this.traded].sort()) {
      const rules = await this.#catalog.rules(symbol);
      if (!rules) continue;
      const holding = balances.get(rules.baseAsset) ?? 0;
      if (holding <= 0 || holding < rules.minQty) continue;
      const ledger = foldFills(await this.fills(symbol));
      out.push(positionOf(symbol, holding, ledger, (await this.#catalog.price(symbol)) ?? 0));
    }
    return out;
  }

  /** Cash (the quote asset), equity and P&L. */
  async account(): Promise<AccountInfo> {
    const positions = await this.positions();
    const balances = await this.balances();
    const counted = new Set([...positions.map((p) => p.symbol), ...this.#ordered]);
    const ledgers = await Promise.all([...counted].map(async (s) => foldFills(await this.fills(s))));
    const quoted: Position[] = [];
    for (const p of positions) if ((await this.#catalog.rules(p.symbol))?.quoteAsset === this.#currency) quoted.push(p);
    return accountOf(this.#currency, balances.get(this.#currency) ?? 0, quoted, ledgers);
  }

  /** Every execution of the traded symbols, oldest first. */
  async allFills(): Promise<Fill[]> {
    this.#catalog.preload(this.traded);
    const all = (await Promise.all([...this.traded].map((s) => this.fills(s)))).flat();
    return all.sort((a, b) => a.at - b.at);
  }

  async #fetchFills(symbol: string, entry: Cached & { fills: Fill[]; lastId: number }): Promise<Fill[]> {
    const rules = await this.#catalog.rules(symbol);
    if (!rules) return entry.fills;
    // Read as current (generation 0); a change to the symbol meanwhile sets −1, and the next read fetches again.
    const startedAt = this.#now();
    entry.generation = 0;
    try {
      for (;;) {
        const page = unwrap(await this.#client.signed<BinanceTrade[]>('GET', '/api/v3/myTrades', { symbol, fromId: entry.lastId + 1, limit: PAGE }, 20), `the trades of ${symbol}`);
        for (const t of page) {
          if (t.id <= entry.lastId) continue;
          entry.fills.push(toFill(t, rules));
          entry.lastId = t.id;
        }
        if (page.length < PAGE) break;
      }
    } catch (e) {
      entry.generation = -1;
      throw e;
    }
    entry.at = startedAt;
    return entry.fills;
  }
}
