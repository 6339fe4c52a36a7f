import { describe, expect, it } from 'vitest';
import { isRealtimeError } from '../../src/errors.ts';
import type { PaperTradingProvider } from '../../src/trading/paper/paper-provider.ts';
import {
  createTradingProvider, decodeTradingProviderConfig, getTradingProviderInfo, listTradingProviders,
  tradingProviderConfigJsonSchema, TRADING_PROVIDER_NAMES,
} from '../../src/trading/registry.ts';

const thrown = (fn: () => unknown) => {
  try {
    fn();
  } catch (error) {
    expect(isRealtimeError(error)).toBe(true);
    return error as { code: string; message: string; data?: { fields?: string[] } };
  }
  throw new Error('expected a throw');
};

describe('trading provider registry', () => {
  it('lists the five providers with metadata, all available', () => {
    expect(listTradingProviders().map((p) => p.name)).toEqual([...TRADING_PROVIDER_NAMES]);
    expect(listTradingProviders().filter((p) => p.available).map((p) => p.name)).toEqual([...TRADING_PROVIDER_NAMES]);
    expect(getTradingProviderInfo('paper')).toMatchObject({ displayName: 'Paper broker', requiresAuth: false });
    expect(getTradingProviderInfo('binance-live')).toMatchObject({ requiresAuth: true, available: true });
    expect(getTradingProviderInfo('nope')).toBeUndefined();
  });

  it('exports every config schema as JSON Schema with defaults', () => {
    const paper = tradingProviderConfigJsonSchema('paper') as { properties: Record<string, { default?: unknown }> };
    expect(paper.properties['fee_rate']?.default).toBe(0.001);
    expect(paper.properties['fill_on']).toMatchObject({ enum: ['next_open', 'close'] });
    expect(Object.keys((tradingProviderConfigJsonSchema('ibkr-paper') as { properties: object }).properties).slice(0, 4)).toEqual(['host', 'port', 'client_id', 'account_id']);
    expect(tradingProviderConfigJsonSchema('nope')).toBeUndefined();
  });

  it('fills defaults when decoding a config', () => {
    expect(decodeTradingProviderConfig('paper', {})).toEqual({
      initial_cash: 100_000, currency: 'USD', fee_rate: 0.001, slippage_bps: 0, fill_on: 'next_open',
      allow_short: true, short_margin_rate: 0.5, order_id_prefix: 'paper-',
    });
    expect(decodeTradingProviderConfig('ibkr-live', { client_id: 3 })).toMatchObject({ host: '127.0.0.1', port: 7496, client_id: 3, live: false });
  });

  it('refuses an unknown provider, naming the known ones', () => {
    const error = thrown(() => createTradingProvider('alpaca', {}));
    expect(error.code).toBe('CONFIG_INVALID');
    expect(error.message).toContain('unknown trading provider "alpaca"; known: paper, binance-paper');
  });

  it('refuses a wrong config with a message naming the field', () => {
    const range = thrown(() => createTradingProvider('paper', { fee_rate: 2 }));
    expect(range).toMatchObject({ code: 'CONFIG_INVALID', data: { fields: ['fee_rate'] } });
    expect(range.message).toContain('fee_rate');
    expect(thrown(() => createTradingProvider('paper', { feeRate: 0.01 })).message).toContain('feeRate');
    expect(thrown(() => createTradingProvider('paper', { fill_on: 'open' })).message).toMatch(/next_open.*fill_on/);
    expect(thrown(() => decodeTradingProviderConfig('binance-paper', { api_key: 'k' })).data?.fields).toEqual(['secret_key']);
  });

  it('refuses the live providers unless both the config and the caller confirm live trading', () => {
    for (const [name, config] of [['binance-live', { api_key: 'k', secret_key: 's', live: true }], ['ibkr-live', { live: true }]] as const) {
      expect(thrown(() => createTradingProvider(name, config)).code).toBe('CONFIG_INVALID');
      expect(thrown(() => createTradingProvider(name, { ...config, live: false }, { liveConfirmed: true })).code).toBe('CONFIG_INVALID');
    }
  });

  it('creates the paper provider from a snake_case config', async () => {
    const provider = createTradingProvider('paper', { initial_cash: 5_000, fill_on: 'close', fee_rate: 0, order_id_prefix: 'p' }, { now: () => 7 }) as PaperTradingProvider;
    expect(provider.name).toBe('paper');
    await provider.connect();
    expect(provider.account().config).toMatchObject({ initialCash: 5_000, fillOn: 'close', feeRate: 0, maxVolumeShare: null });
    expect(await provider.placeOrder({ symbol: 'AAA', side: 'buy', type: 'market', quantity: 1 })).toMatchObject({ id: 'p1', createdAt: 7 });
  });
});
