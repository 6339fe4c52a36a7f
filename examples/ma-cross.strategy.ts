/**
 * Example strategy: moving-average crossover. Per symbol and interval it keeps the last `slow + 1` closes;
 * when the fast simple moving average crosses above the slow one (golden cross) it goes long `quantity`
 * with a market order, and when it crosses below (death cross) it sells the whole long position, going flat.
 * The position comes from the broker (`api.getPositions`), not from memory, so a restarted worker or a
 * resumed session never sells what it does not hold. After a (re)start the window is warmed up from stored
 * bars (`api.getRange`), so signals resume without waiting `slow` bars. Defaults (3/8) trade a few times on
 * a few dozen 1m bars of a sine-like price path such as the demo's.
 *
 * Run it: `startStrategy('examples/ma-cross.strategy.ts', { services, config: { fast: 5, slow: 20 } })`.
 */
import { defineStrategy, intervalMs, type Bar, type StrategyApi } from 'argo-realtime/strategy';

/** Config after defaults. */
export interface MaCrossConfig {
  readonly fast: number;
  readonly slow: number;
  readonly quantity: number;
}

let config: MaCrossConfig = { fast: 3, slow: 8, quantity: 0.01 };
const windows = new Map<string, number[]>();

const mean = (xs: readonly number[]): number => xs.reduce((a, b) => a + b, 0) / xs.length;

/** Fast SMA minus slow SMA over the tail of `closes`. */
const spread = (closes: readonly number[]): number => mean(closes.slice(-config.fast)) - mean(closes.slice(-config.slow));

const warmUp = async (bar: Bar, api: StrategyApi): Promise<number[]> => {
  const from = bar.openTime - config.slow * intervalMs(bar.interval);
  try {
    const history = await api.getRange(bar.symbol, from, bar.openTime, bar.interval);
    return history.map((b) => b.close);
  } catch (e) {
    api.log('warn', 'no history to warm up from; waiting for live bars', { symbol: bar.symbol, error: String(e) });
    return [];
  }
};

export default defineStrategy<MaCrossConfig>({
  name: 'ma-cross',
  configSchema: {
    type: 'object',
    additionalProperties: false,
    properties: {
      fast: { type: 'integer', minimum: 1, default: 3, description: 'bars in the fast moving average' },
      slow: { type: 'integer', minimum: 2, default: 8, description: 'bars in the slow moving average' },
      quantity: { type: 'number', exclusiveMinimum: 0, default: 0.01, description: 'base-asset quantity to hold when long' },
    },
  },

  initialize(resolved, api) {
    if (resolved.fast >= resolved.slow) throw new Error(`fast (${resolved.fast}) must be shorter than slow (${resolved.slow})`);
    config = resolved;
    windows.clear();
    api.log('info', 'ma-cross ready', { ...resolved });
  },

  async processData(bar, api) {
    if (!bar.final) return;
    const key = `${bar.symbol}|${bar.interval}`;
    let closes = windows.get(key);
    if (!closes) {
      closes = await warmUp(bar, api);
      windows.set(key, closes);
    }
    closes.push(bar.close);
    if (closes.length > config.slow + 1) closes.splice(0, closes.length - (config.slow + 1));
    if (closes.length < config.slow + 1) return;

    const now = spread(closes);
    const before = spread(closes.slice(0, -1));
    const signal = before <= 0 && now > 0 ? 'golden' : before >= 0 && now < 0 ? 'death' : undefined;
    if (!signal) return;

    const held = (await api.getPositions()).find((p) => p.symbol === bar.symbol)?.quantity ?? 0;
    api.mark('ma_cross.signal', { symbol: bar.symbol, signal, spread: now, close: bar.close, held });
    if (signal === 'golden' && held < config.quantity) {
      const order = await api.placeOrder({
        symbol: bar.symbol, side: 'buy', type: 'market', quantity: config.quantity - held,
        clientOrderId: `ma-cross-${bar.symbol}-${bar.openTime}-buy`, reason: `golden cross (${config.fast}/${config.slow})`,
      });
      api.log('info', 'golden cross: buying', { symbol: bar.symbol, orderId: order.id, quantity: order.quantity });
    } else if (signal === 'death' && held > 0) {
      const order = await api.placeOrder({
        symbol: bar.symbol, side: 'sell', type: 'market', quantity: held,
        clientOrderId: `ma-cross-${bar.symbol}-${bar.openTime}-sell`, reason: `death cross (${config.fast}/${config.slow})`,
      });
      api.log('info', 'death cross: going flat', { symbol: bar.symbol, orderId: order.id, quantity: order.quantity });
    }
  },
});
