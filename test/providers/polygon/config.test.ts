/** Polygon configuration: YAML shape and defaults, field-naming errors that never show the key, registry and session wiring. */
import { describe, expect, it } from 'vitest';
import { parseConfigText } from '../../../src/config/load.ts';
import { decodeSessionConfig } from '../../../src/config/session-config.ts';
import { isRealtimeError, type RealtimeError } from '../../../src/errors.ts';
import { decodePolygonRealtimeConfig } from '../../../src/providers/polygon/config.ts';
import { PolygonRealtimeProvider } from '../../../src/providers/polygon/index.ts';
import { createRealtimeProvider, realtimeProviderInfo } from '../../../src/providers/registry.ts';

const KEY = 'pk_live_4f9b2c7e1d';
const failure = (fn: () => unknown): RealtimeError => {
  try {
    fn();
  } catch (e) {
    if (isRealtimeError(e)) return e;
    throw e;
  }
  throw new Error('expected a failure');
};

const yaml = (providerConfig: string) => `session:
  realtime_provider: polygon-realtime
  realtime_provider_config:
${providerConfig}
  symbols: [AAPL, MSFT]
  interval: 5m
`;

describe('Polygon configuration', () => {
  it('decodes the seed\'s example with defaults for every other key', () => {
    const c = decodePolygonRealtimeConfig({ api_key: KEY, feed: 'stocks', buffer_size: 100, reconnect_attempts: 5, reconnect_delay_ms: 5000 });
    expect(c).toMatchObject({ api_key: KEY, feed: 'stocks', delayed: false, buffer_size: 100, reconnect_attempts: 5, reconnect_delay_ms: 5000, backfill: true, correction_window_ms: 900_000, max_evictions: 5 });
  });

  it('names the field of a bad value and never shows the key', () => {
    const bad = failure(() => decodePolygonRealtimeConfig({ api_key: KEY, feed: 'futures', reconect_attempts: 3 }));
    expect(bad.code).toBe('CONFIG_INVALID');
    expect(bad.message).toMatch(/feed/);
    expect(bad.message).toMatch(/reconect_attempts/);
    expect(JSON.stringify(bad.toJSON())).not.toContain(KEY);
    expect(failure(() => decodePolygonRealtimeConfig({ feed: 'stocks' })).message).toMatch(/api_key/);
  });

  it('is validated inside a session config with the full field path, from YAML with the key from the environment', () => {
    const ok = parseConfigText(yaml('    api_key: ${POLYGON_API_KEY}\n    feed: crypto'), { file: 'p.yaml', baseDir: '.', env: { POLYGON_API_KEY: KEY } });
    expect(ok.realtimeProviderConfig).toEqual({ api_key: KEY, feed: 'crypto' });
    const e = failure(() => decodeSessionConfig({ session: { realtime_provider: 'polygon-realtime', realtime_provider_config: { api_key: KEY, stale_after_ms: -1 }, symbols: ['AAPL'] } }));
    expect(e.data?.fields).toEqual(['session.realtime_provider_config.stale_after_ms']);
    expect(e.message).not.toContain(KEY);
    expect(failure(() => parseConfigText(yaml(`    api_key: ${KEY}`), { file: 'p.yaml', baseDir: '.', env: {} })).message).not.toContain(KEY);
  });

  it('is available in the registry with its JSON Schema, and the registry creates it from YAML-shaped config', () => {
    const info = realtimeProviderInfo().find((p) => p.name === 'polygon-realtime')!;
    expect(info).toMatchObject({ available: true, requiresAuth: true, supportedFeeds: ['stocks', 'options', 'forex', 'crypto', 'indices'] });
    const schema = info.configSchema as { properties: Record<string, unknown>; required: string[] };
    expect(schema.required).toEqual(['api_key']);
    expect(Object.keys(schema.properties)).toEqual(expect.arrayContaining(['api_key', 'feed', 'delayed', 'ws_url', 'rest_url', 'aggregate_close_grace_ms']));
    const provider = createRealtimeProvider('polygon-realtime', { api_key: KEY, feed: 'forex', delayed: true });
    expect(provider).toBeInstanceOf(PolygonRealtimeProvider);
    expect(provider.name).toBe('polygon-realtime');
    expect((provider as PolygonRealtimeProvider).config).toMatchObject({ feed: 'forex', delayed: true });
    expect(failure(() => createRealtimeProvider('polygon-realtime', { feed: 'stocks' })).code).toBe('CONFIG_INVALID');
  });
});
