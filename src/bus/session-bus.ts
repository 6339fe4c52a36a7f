/**
 * The few points where a session meets the bus, kept here so that `session.ts` only calls them: the checkpoint
 * logged before each flush and acknowledged after it, the restore on resume, and the stats. Which provider a
 * session runs on is `session-provider.ts`, loaded only when a `bus:` section is configured; this module tells
 * the bus providers by their `busRole`, so that a session without a bus loads no bus class and no NATS client.
 */
import type { RealtimeProvider } from '../providers/realtime-provider.ts';
import type { GapRepairStats } from './gap-repair.ts';
import type { LeaseStats } from './leases.ts';
import type { BusPublisherStats } from './publisher.ts';
import type { BusRecorderProvider } from './recorder-provider.ts';
import type { BusCheckpoint, BusSourceProvider, BusSourceStats } from './source-provider.ts';

/** Bus figures of a session: its publisher (a recorder) or its consumers (a strategy host). */
export type SessionBusStats =
  | ({ readonly role: 'publish'; readonly leases?: LeaseStats; readonly repaired?: GapRepairStats } & BusPublisherStats)
  | ({ readonly role: 'consume' } & BusSourceStats);

const role = (provider: RealtimeProvider): unknown => (provider as { readonly busRole?: unknown }).busRole;
const isSource = (provider: RealtimeProvider): provider is BusSourceProvider => role(provider) === 'consume';
const isRecorder = (provider: RealtimeProvider): provider is BusRecorderProvider => role(provider) === 'publish';

/**
 * Before a flush: logs what a bus source delivered to the strategy and writer (`done` bars) and returns the
 * acknowledgement to run once the flush made that log entry durable.
 */
export const busCheckpoint = (provider: RealtimeProvider, done: number, record: (type: string, event: Record<string, unknown>) => void): (() => void) | undefined => {
  if (!isSource(provider)) return undefined;
  const checkpoint = provider.checkpoint(done);
  if (!checkpoint) return undefined;
  record('bus:checkpoint', { ...checkpoint });
  return () => provider.commit(checkpoint);
};

/** True when the session reads its bars from the bus: it resumes from its logged checkpoints, not from the bar table. */
export const isBusSource = (provider: RealtimeProvider): boolean => isSource(provider);

/** On resume: hands the checkpoints an earlier run logged to a bus source. */
export const busRestore = (provider: RealtimeProvider, earlier: readonly { readonly type: string; readonly payload: Record<string, unknown> }[]): void => {
  if (!isSource(provider)) return;
  provider.restore(earlier.filter((r) => r.type === 'bus:checkpoint').map((r) => r.payload as unknown as BusCheckpoint));
};

/** Waits until a recorder's held bars are acknowledged by the bus (no-op otherwise). */
export const busFlush = async (provider: RealtimeProvider): Promise<void> => {
  if (isRecorder(provider)) await provider.bus?.flush();
};

/** The session's bus figures, or undefined without a bus. */
export const busStats = (provider: RealtimeProvider): SessionBusStats | undefined => {
  if (isSource(provider)) return { role: 'consume', ...provider.busStats() };
  if (isRecorder(provider) && provider.bus) {
    return { role: 'publish', ...provider.bus.stats(), ...(provider.fleet ? { leases: provider.fleet.stats() } : {}), ...(provider.repair ? { repaired: provider.repair.stats() } : {}) };
  }
  return undefined;
};
