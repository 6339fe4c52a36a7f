/**
 * The `risk:` section of a session file: the pre-trade limits every order passes before it reaches a trading
 * provider, with safe defaults (a file without `risk:` trades under them). A limit set to `null` is off.
 */
import * as Schema from 'effect/Schema';
import { decodeConfig, PositiveInt, withDefault } from '../schema/schema-tools.ts';

const Positive = Schema.Finite.check(Schema.isGreaterThan(0));
const Limit = <S extends Schema.Top>(schema: S) => Schema.NullOr(schema);

/** `risk:` (every key optional; see docs/risk.md). */
export const RiskSectionSchema = Schema.Struct({
  allowed_symbols: Schema.optionalKey(Schema.Array(Schema.String.check(Schema.isMinLength(1))).annotate({
    description: 'Symbols orders may name (case-insensitive); default: the session\'s `symbols`. Anything else is rejected.',
  })),
  max_order_quantity: withDefault(Limit(Positive), 1_000_000, 'Largest quantity of one order, in base units; null = off'),
  max_order_notional: withDefault(Limit(Positive), 50_000, 'Largest value of one order (quantity × the higher of its price and the last close), in quote currency; null = off'),
  max_position_notional: withDefault(Limit(Positive), 100_000, 'Largest position value per symbol, counting every working order on the same side as filled; null = off'),
  max_total_exposure: withDefault(Limit(Positive), 250_000, 'Largest sum of position values over all symbols, working orders counted as filled; null = off'),
  max_open_orders: withDefault(Limit(PositiveInt), 20, 'Most working orders at once; null = off'),
  max_orders_per_second: withDefault(Limit(PositiveInt), 5, 'Most orders sent to the venue in any 1 s; null = off'),
  max_orders_per_minute: withDefault(Limit(PositiveInt), 60, 'Most orders sent to the venue in any 60 s; null = off'),
  price_band_pct: withDefault(Limit(Positive), 5, 'A limit price must lie within this percentage of the last close of its symbol; null = off'),
  max_daily_loss: withDefault(Limit(Positive), null, 'Loss since the start of the UTC day (equity change, marked to the last closes) that trips the kill switch, in quote currency; null = off'),
  max_daily_loss_pct: withDefault(Limit(Positive), 5, 'The same as a percentage of the equity at the start of the UTC day; null = off'),
  flatten_on_kill: withDefault(Schema.Boolean, false, 'When the kill switch trips, also close every position with market orders (after cancelling the open orders)'),
});

/** The decoded section as written (snake_case). */
export type RiskSection = typeof RiskSectionSchema.Type;

/** The limits the risk engine enforces; `null` turns a check off. */
export interface RiskLimits {
  /** Upper-case symbols orders may name. */
  readonly allowedSymbols: readonly string[];
  readonly maxOrderQuantity: number | null;
  readonly maxOrderNotional: number | null;
  readonly maxPositionNotional: number | null;
  readonly maxTotalExposure: number | null;
  readonly maxOpenOrders: number | null;
  readonly maxOrdersPerSecond: number | null;
  readonly maxOrdersPerMinute: number | null;
  readonly priceBandPct: number | null;
  readonly maxDailyLoss: number | null;
  readonly maxDailyLossPct: number | null;
  readonly flattenOnKill: boolean;
}

/** Decodes a `risk:` section (absent = defaults); throws CONFIG_INVALID naming the field. */
export const decodeRiskSection = (input: unknown, where = 'risk'): RiskSection => decodeConfig(RiskSectionSchema, input ?? {}, where);

/** The limits of a decoded section; `sessionSymbols` are the allowed symbols when the section lists none. */
export const riskLimitsOf = (section: RiskSection, sessionSymbols: readonly string[]): RiskLimits => ({
  allowedSymbols: [...new Set((section.allowed_symbols ?? sessionSymbols).map((s) => s.toUpperCase()))],
  maxOrderQuantity: section.max_order_quantity,
  maxOrderNotional: section.max_order_notional,
  maxPositionNotional: section.max_position_notional,
  maxTotalExposure: section.max_total_exposure,
  maxOpenOrders: section.max_open_orders,
  maxOrdersPerSecond: section.max_orders_per_second,
  maxOrdersPerMinute: section.max_orders_per_minute,
  priceBandPct: section.price_band_pct,
  maxDailyLoss: section.max_daily_loss,
  maxDailyLossPct: section.max_daily_loss_pct,
  flattenOnKill: section.flatten_on_kill,
});

/** The default limits for a session trading `symbols`. */
export const defaultRiskLimits = (symbols: readonly string[]): RiskLimits => riskLimitsOf(decodeRiskSection({}), symbols);
