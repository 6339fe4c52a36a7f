/**
 * Symbol rules from exchangeInfo (PRICE_FILTER, LOT_SIZE, MARKET_LOT_SIZE, NOTIONAL and the older MIN_NOTIONAL)
 * and the preparation of an order against them: quantities rounded down to the lot step, limit prices rounded
 * to the tick in the trader's favour (a buy down, a sell up), and every violation turned into a reason before
 * anything is sent. Source: https://developers.binance.com/docs/binance-spot-api-docs/filters
 */
import type { OrderRequest } from '../types.ts';
import type { BinanceFilter, BinanceSymbol } from './messages.ts';

/** What an order on one symbol must satisfy. */
export interface SymbolRules {
  readonly symbol: string;
  readonly status: string;
  readonly baseAsset: string;
  readonly quoteAsset: string;
  readonly orderTypes: readonly string[];
  readonly tickSize: string;
  readonly minPrice: number;
  /** 0 = no maximum. */
  readonly maxPrice: number;
  readonly stepSize: string;
  readonly minQty: number;
  readonly maxQty: number;
  /** MARKET_LOT_SIZE, when the symbol has one with a non-zero step. */
  readonly market?: { readonly stepSize: string; readonly minQty: number; readonly maxQty: number };
  readonly minNotional: number;
  /** 0 = no maximum. */
  readonly maxNotional: number;
  readonly applyMinToMarket: boolean;
  readonly applyMaxToMarket: boolean;
}

/** An order ready to send (decimal strings), or why it cannot be. */
export type PreparedOrder =
  | { readonly ok: true; readonly quantity: string; readonly price?: string }
  | { readonly ok: false; readonly reason: string };

const num = (f: BinanceFilter | undefined, key: string, fallback = 0): number => {
  const raw = f?.[key];
  const value = typeof raw === 'string' || typeof raw === 'number' ? Number(raw) : NaN;
  return Number.isFinite(value) ? value : fallback;
};
const str = (f: BinanceFilter | undefined, key: string, fallback = '0'): string => {
  const raw = f?.[key];
  return typeof raw === 'string' ? raw : typeof raw === 'number' ? String(raw) : fallback;
};

/** The rules of an exchangeInfo symbol. */
export const symbolRules = (s: BinanceSymbol): SymbolRules => {
  const filter = (type: string) => s.filters.find((f) => f.filterType === type);
  const price = filter('PRICE_FILTER');
  const lot = filter('LOT_SIZE');
  const marketLot = filter('MARKET_LOT_SIZE');
  const notional = filter('NOTIONAL');
  const legacy = filter('MIN_NOTIONAL');
  return {
    symbol: s.symbol, status: s.status, baseAsset: s.baseAsset, quoteAsset: s.quoteAsset, orderTypes: s.orderTypes,
    tickSize: str(price, 'tickSize'), minPrice: num(price, 'minPrice'), maxPrice: num(price, 'maxPrice'),
    stepSize: str(lot, 'stepSize'), minQty: num(lot, 'minQty'), maxQty: num(lot, 'maxQty', Infinity),
    ...(marketLot && num(marketLot, 'stepSize') > 0
      ? { market: { stepSize: str(marketLot, 'stepSize'), minQty: num(marketLot, 'minQty'), maxQty: num(marketLot, 'maxQty', Infinity) } }
      : {}),
    minNotional: notional ? num(notional, 'minNotional') : num(legacy, 'minNotional'),
    maxNotional: num(notional, 'maxNotional'),
    applyMinToMarket: notional ? notional['applyMinToMarket'] !== false : legacy?.['applyToMarket'] === true,
    applyMaxToMarket: notional?.['applyMaxToMarket'] === true,
  };
};

const decimalsOf = (step: string): number => (step.split('.')[1] ?? '').replace(/0+$/, '').length;

/** Rounds `x` to a multiple of `step` (a decimal string), down or up, as a decimal string; step 0 leaves 8 decimals. */
export const roundToStep = (x: number, step: string, mode: 'down' | 'up'): string => {
  const d = decimalsOf(step);
  const stepUnits = Math.round(Number(step) * 10 ** d);
  if (!(stepUnits > 0)) return x.toFixed(8);
  const scaled = (x * 10 ** d) / stepUnits;
  // The epsilon absorbs binary noise: 0.3 / 0.1 is 2.9999999999999996 and must count as 3 steps.
  const n = mode === 'down' ? Math.floor(scaled + 1e-9) : Math.ceil(scaled - 1e-9);
  return ((n * stepUnits) / 10 ** d).toFixed(d);
};

/**
 * Checks and rounds an order against a symbol's rules; `referencePrice` (the last known price) values a market
 * order for the notional check, which is skipped when it is unknown (the venue still checks).
 */
export const prepareOrder = (
  rules: SymbolRules, request: Pick<OrderRequest, 'side' | 'type' | 'quantity' | 'price'>, referencePrice: number | undefined,
): PreparedOrder => {
  const no = (reason: string): PreparedOrder => ({ ok: false, reason });
  const venueType = request.type.toUpperCase();
  if (rules.status !== 'TRADING') return no(`${rules.symbol} is not trading (status ${rules.status})`);
  if (!rules.orderTypes.includes(venueType)) return no(`${rules.symbol} does not accept ${venueType} orders`);
  const lot = request.type === 'market' && rules.market ? rules.market : rules;
  const quantity = roundToStep(request.quantity, lot.stepSize, 'down');
  if (Number(quantity) < lot.minQty || Number(quantity) <= 0) {
    return no(`quantity ${request.quantity} is below the LOT_SIZE minimum ${lot.minQty} once rounded down to the step ${lot.stepSize}`);
  }
  if (Number(quantity) > lot.maxQty) return no(`quantity ${quantity} is above the LOT_SIZE maximum ${lot.maxQty}`);

  let price: string | undefined;
  if (request.type === 'limit') {
    if (request.price === undefined || !(request.price > 0)) return no('a limit order needs a price > 0');
    price = roundToStep(request.price, rules.tickSize, request.side === 'buy' ? 'down' : 'up');
    if (Number(price) < rules.minPrice || Number(price) <= 0) return no(`price ${request.price} is below the PRICE_FILTER minimum ${rules.minPrice}`);
    if (rules.maxPrice > 0 && Number(price) > rules.maxPrice) return no(`price ${price} is above the PRICE_FILTER maximum ${rules.maxPrice}`);
  }
  const valuedAt = price !== undefined ? Number(price) : referencePrice;
  if (valuedAt !== undefined) {
    const notional = Number(quantity) * valuedAt;
    const isMarket = request.type === 'market';
    if ((!isMarket || rules.applyMinToMarket) && notional < rules.minNotional) {
      return no(`notional ${notional.toFixed(8)} (${quantity} × ${valuedAt}) is below the NOTIONAL minimum ${rules.minNotional}`);
    }
    if ((!isMarket || rules.applyMaxToMarket) && rules.maxNotional > 0 && notional > rules.maxNotional) {
      return no(`notional ${notional.toFixed(8)} is above the NOTIONAL maximum ${rules.maxNotional}`);
    }
  }
  return price === undefined ? { ok: true, quantity } : { ok: true, quantity, price };
};
