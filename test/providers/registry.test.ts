import { describe, expect, it } from 'vitest';
import { createRealtimeProvider, getSupportedRealtimeProviders, realtimeProviderInfo } from '../../src/providers/registry.ts';

const thrown = (fn: () => unknown) => {
  try {
    fn();
  } catch (e) {
    return e as { code: string; message: string; data?: { fields?: string[] } };
  }
  throw new Error('expected a throw');
};

describe('realtime provider registry', () => {
  it('lists both providers with the seed metadata and a JSON Schema of their config', () => {
    expect(getSupportedRealtimeProviders()).toEqual(['binance-realtime', 'polygon-realtime']);
    const [binance, polygon] = realtimeProviderInfo();
    expect(binance).toMatchObject({ displayName: 'Binance Realtime', requiresAuth: false, available: true });
    expect(polygon).toMatchObject({ requiresAuth: true, supportedFeeds: ['stocks', 'options', 'forex', 'crypto', 'indices'], available: true });
    const schema = binance!.configSchema as { properties: Record<string, { default?: unknown; description?: string }> };
    expect(schema.properties['reconnect_attempts']).toMatchObject({ default: 10, type: 'integer' });
    expect(schema.properties['use_testnet']?.description).toMatch(/testnet/);
  });

  it('creates a provider from snake_case config and rejects a wrong one naming the field', () => {
    expect(createRealtimeProvider('binance-realtime', { use_testnet: true }).name).toBe('binance-realtime');
    const wrong = thrown(() => createRealtimeProvider('binance-realtime', { reconnect_attempts: -1 }));
    expect(wrong).toMatchObject({ code: 'CONFIG_INVALID', data: { fields: ['reconnect_attempts'] } });
    expect(wrong.message).toContain('reconnect_attempts');
    expect(thrown(() => createRealtimeProvider('binance-realtime', { reconect_attempts: 3 })).message).toContain('reconect_attempts');
    expect(thrown(() => createRealtimeProvider('kraken-realtime', {})).message).toMatch(/unknown provider "kraken-realtime"; expected one of binance-realtime, polygon-realtime/);
  });
});
