/**
 * The few points where a session meets the bus, kept here so that `session.ts` only calls them: which provider
 * a session runs on (a venue provider, the same wrapped by a recorder's publisher, or the bus itself), the
 * checkpoint logged before each flush and acknowledged after it, the restore on resume, and the stats.
 */
import type { BusConfig } from './config.ts';
import type { RealtimeProvider } from '../providers/realtime-provider.ts';
import type { GapRepairStats } from './gap-repair.ts';
import type { LeaseStats } from './leases.ts';
import type { BusPublisherStats } from './publisher.ts';
import { barProviderFor } from '../providers/registry.ts';
import { BusRecorderProvider } from './recorder-provider.ts';
import { BusSourceProvider, type BusCheckpoint, type BusSourceStats } from './source-provider.ts';

/** Bus figures of a session: its publisher (a recorder) or its consumers (a strategy host). */
export type SessionBusStats =
  | ({ readonly role: 'publish'; readonly leases?: LeaseStats; readonly repaired?: GapRepairStats } & BusPublisherStats)
  | ({ readonly role: 'consume' } & BusSourceStats);

/** The session's market data provider given its `bus:` section; `create` builds the venue provider. */
export const sessionProvider = (config: { readonly bus?: BusConfig; readonly realtimeProvider: string; readonly realtimeProviderConfig: Record<string, unknown> }, sessionId: string, create: () => RealtimeProvider): RealtimeProvider => {
  if (!config.bus) return create();
  if (config.bus.mode === 'consume') return new BusSourceProvider(config.bus, sessionId, barProviderFor(config.realtimeProvider, config.realtimeProviderConfig));
  return new BusRecorderProvider(create(), config.bus, sessionId);
};

/**
 * Before a flush: logs what a bus source delivered to the strategy and writer (`done` bars) and returns the
 * acknowledgement to run once the flush made that log entry durable.
 */
export const busCheckpoint = (provider: RealtimeProvider, done: number, record: (type: string, event: Record<string, unknown>) => void): (() => void) | undefined => {
  if (!(provider instanceof BusSourceProvider)) return undefined;
  const checkpoint = provider.checkpoint(done);
  if (!checkpoint) return undefined;
  record('bus:checkpoint', { ...checkpoint });
  return () => provider.commit(checkpoint);
};

/** True when the session reads its bars from the bus: it resumes from its logged checkpoints, not from the bar table. */
export const isBusSource = (provider: RealtimeProvider): boolean => provider instanceof BusSourceProvider;

/** On resume: hands the checkpoints an earlier run logged to a bus source. */
export const busRestore = (provider: RealtimeProvider, earlier: readonly { readonly type: string; readonly payload: Record<string, unknown> }[]): void => {
  if (!(provider instanceof BusSourceProvider)) return;
  provider.restore(earlier.filter((r) => r.type === 'bus:checkpoint').map((r) => r.payload as unknown as BusCheckpoint));
};

/** Waits until a recorder's held bars are acknowledged by the bus (no-op otherwise). */
export const busFlush = async (provider: RealtimeProvider): Promise<void> => {
  if (provider instanceof BusRecorderProvider) await provider.bus?.flush();
};

/** The session's bus figures, or undefined without a bus. */
export const busStats = (provider: RealtimeProvider): SessionBusStats | undefined => {
  if (provider instanceof BusSourceProvider) return { role: 'consume', ...provider.busStats() };
  if (provider instanceof BusRecorderProvider && provider.bus) {
    return { role: 'publish', ...provider.bus.stats(), ...(provider.fleet ? { leases: provider.fleet.stats() } : {}), ...(provider.repair ? { repaired: provider.repair.stats() } : {}) };
  }
  return undefined;
};
