import { describe, expect, it } from 'vitest';
import { binanceConnectionInput, decodeBinanceRealtimeConfig } from '../../../src/providers/binance/config.ts';
import { binanceEndpoints } from '../../../src/providers/binance/urls.ts';
import { realtimeProviderInfo } from '../../../src/providers/registry.ts';

describe('binance-realtime feeds', () => {
  it('lists spot, usdm and coinm in the registry, with feed in the JSON Schema', () => {
    const binance = realtimeProviderInfo().find((p) => p.name === 'binance-realtime')!;
    expect(binance.supportedFeeds).toEqual(['spot', 'usdm', 'coinm']);
    const schema = binance.configSchema as { properties: Record<string, { default?: unknown; enum?: unknown[]; description?: string }> };
    expect(schema.properties['feed']).toMatchObject({ default: 'spot', enum: ['spot', 'usdm', 'coinm'] });
    expect(schema.properties['feed']?.description).toContain('/fapi/v1');
  });

  it.each([
    ['spot', false, 'wss://stream.binance.com:9443', 'https://api.binance.com'],
    ['usdm', false, 'wss://fstream.binance.com/market', 'https://fapi.binance.com'],
    ['coinm', false, 'wss://dstream.binance.com', 'https://dapi.binance.com'],
    ['spot', true, 'wss://stream.testnet.binance.vision', 'https://testnet.binance.vision'],
    ['usdm', true, 'wss://fstream.binancefuture.com', 'https://testnet.binancefuture.com'],
    ['coinm', true, 'wss://dstream.binancefuture.com', 'https://testnet.binancefuture.com'],
  ] as const)('resolves %s (testnet %s) to its hosts', (feed, use_testnet, ws, rest) => {
    expect(binanceEndpoints(decodeBinanceRealtimeConfig({ feed, use_testnet }))).toEqual({ ws, rest });
  });

  it('defaults the connection limits to the feed and keeps explicit values', () => {
    expect(decodeBinanceRealtimeConfig({})).toMatchObject({ feed: 'spot', control_messages_per_second: 5, streams_per_connection: 1024 });
    expect(decodeBinanceRealtimeConfig({ feed: 'usdm' })).toMatchObject({ control_messages_per_second: 10, streams_per_connection: 200 });
    expect(decodeBinanceRealtimeConfig({ feed: 'coinm', streams_per_connection: 50 })).toMatchObject({ control_messages_per_second: 10, streams_per_connection: 50 });
  });

  it('builds the connection input with documented timeout defaults per feed', () => {
    const spot = binanceConnectionInput(decodeBinanceRealtimeConfig({}), 7);
    expect(spot).toMatchObject({ seed: 7, policy: { connectTimeoutMs: 10_000, idleTimeoutMs: 75_000, staleAfterMs: 10_000, handshake: false }, subscriptions: { ackTimeoutMs: 10_000, controlPerSecond: 5 } });
    // Futures ping every 3 minutes: two missed pings and the pong grace.
    expect(binanceConnectionInput(decodeBinanceRealtimeConfig({ feed: 'usdm' }), 1).policy.idleTimeoutMs).toBe(390_000);
    expect(decodeBinanceRealtimeConfig({}).subscribe_timeout_ms).toBe(30_000);
  });

  it('takes tuned connection timeouts from the config', () => {
    const c = decodeBinanceRealtimeConfig({ connect_timeout_ms: 2_000, ack_timeout_ms: 3_000, idle_timeout_ms: 40_000, subscribe_timeout_ms: 5_000 });
    const input = binanceConnectionInput(c, 1);
    expect(input.policy).toMatchObject({ connectTimeoutMs: 2_000, idleTimeoutMs: 40_000 });
    expect(input.subscriptions.ackTimeoutMs).toBe(3_000);
    expect(c.subscribe_timeout_ms).toBe(5_000);
    expect(() => decodeBinanceRealtimeConfig({ connect_timeout_ms: 0 })).toThrow(expect.objectContaining({ code: 'CONFIG_INVALID' }));
  });

  it('refuses an unknown feed naming the field', () => {
    expect(() => decodeBinanceRealtimeConfig({ feed: 'futures' })).toThrow(expect.objectContaining({ code: 'CONFIG_INVALID', data: expect.objectContaining({ fields: ['feed'] }) }));
  });
});
