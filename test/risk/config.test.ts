/** The `risk:` section: safe defaults when absent, null turns a limit off, bad values named with their path and line. */
import { describe, expect, it } from 'vitest';
import { configFileJsonSchema } from '../../src/config/json-schema.ts';
import { parseConfigText } from '../../src/config/load.ts';
import { isRealtimeError } from '../../src/errors.ts';

const text = (risk = '') => `session:\n  realtime_provider: binance-realtime\n  symbols: [btcusdt, ETHUSDT]\n${risk}`;
const parse = (risk = '') => parseConfigText(text(risk), { file: 'risk.yaml', baseDir: '/tmp', env: {} });

describe('the risk section', () => {
  it('applies the safe defaults, with the session\'s symbols allowed, when the file has none', () => {
    expect(parse().risk).toEqual({
      allowedSymbols: ['BTCUSDT', 'ETHUSDT'], maxOrderQuantity: 1_000_000, maxOrderNotional: 50_000, maxPositionNotional: 100_000,
      maxTotalExposure: 250_000, maxOpenOrders: 20, maxOrdersPerSecond: 5, maxOrdersPerMinute: 60, priceBandPct: 5,
      maxDailyLoss: null, maxDailyLossPct: 5, flattenOnKill: false,
    });
  });

  it('takes its keys over the defaults, and null turns a limit off', () => {
    const risk = parse('risk:\n  allowed_symbols: [SOLUSDT]\n  max_orders_per_second: null\n  max_daily_loss: 250\n  flatten_on_kill: true\n').risk!;
    expect(risk).toMatchObject({ allowedSymbols: ['SOLUSDT'], maxOrdersPerSecond: null, maxDailyLoss: 250, flattenOnKill: true, maxOpenOrders: 20 });
  });

  it('refuses a negative limit, a fractional order count and an unknown key, naming each with its line', () => {
    try {
      parse('risk:\n  max_order_quantity: -1\n  max_open_orders: 2.5\n  max_orderz: 3\n');
      expect.unreachable();
    } catch (e) {
      expect(isRealtimeError(e) && e.code).toBe('CONFIG_INVALID');
      const message = (e as Error).message;
      expect(message).toMatch(/risk\.yaml:5:\d+: risk\.max_order_quantity: .*greater than 0/);
      expect(message).toMatch(/risk\.yaml:6:\d+: risk\.max_open_orders: .*integer/);
      expect(message).toMatch(/risk\.yaml:7:\d+: risk\.max_orderz/);
    }
  });

  it('is part of the JSON Schema of the file, with a description for every key', () => {
    const risk = (configFileJsonSchema().properties as Record<string, { properties: Record<string, { description?: string }>; additionalProperties: boolean }>).risk!;
    expect(Object.keys(risk.properties)).toContain('max_daily_loss_pct');
    expect(risk.additionalProperties).toBe(false);
    for (const [key, p] of Object.entries(risk.properties)) expect(p.description, key).toBeTruthy();
  });
});
