/**
 * Which market data provider a session with a `bus:` section runs on: the venue provider wrapped by a recorder's
 * publisher, or the bus itself. Loaded by the session only when a bus is configured (it brings the NATS client).
 */
import type { BusConfig } from './config.ts';
import type { RealtimeProvider } from '../providers/realtime-provider.ts';
import { barProviderFor } from '../providers/registry.ts';
import { BusRecorderProvider } from './recorder-provider.ts';
import { BusSourceProvider } from './source-provider.ts';

/** The session's market data provider given its `bus:` section; `create` builds the venue provider. */
export const sessionProvider = (config: { readonly bus?: BusConfig; readonly realtimeProvider: string; readonly realtimeProviderConfig: Record<string, unknown> }, sessionId: string, create: () => RealtimeProvider): RealtimeProvider => {
  if (!config.bus) return create();
  if (config.bus.mode === 'consume') return new BusSourceProvider(config.bus, sessionId, barProviderFor(config.realtimeProvider, config.realtimeProviderConfig));
  return new BusRecorderProvider(create(), config.bus, sessionId);
};
