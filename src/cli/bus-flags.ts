/**
 * `--bus nats://…` (record and run: publish the recorded bars) and `--source nats://…` (run: consume bars from
 * the bus instead of a venue socket) applied over a loaded config's `bus:` section.
 */
import type { SessionConfig } from '../config/session-config.ts';
import { realtimeError } from '../errors.ts';
import { decodeBusConfig } from '../bus/config.ts';

/** The two bus flags. */
export interface BusFlags {
  readonly bus?: string;
  readonly source?: string;
}

/** Returns `config` with the flags applied; CONFIG_INVALID when both are given or a URL is not nats://. */
export const withBusFlags = (config: SessionConfig, flags: BusFlags): SessionConfig => {
  if (flags.bus === undefined && flags.source === undefined) return config;
  if (flags.bus !== undefined && flags.source !== undefined) {
    throw realtimeError('CONFIG_INVALID', '--bus (publish) and --source (consume) exclude each other: a session records to the bus or runs on it', { fields: ['bus.mode'] });
  }
  const url = (flags.bus ?? flags.source)!;
  const mode = flags.source !== undefined ? 'consume' : 'publish';
  try {
    return { ...config, bus: decodeBusConfig({ ...(config.bus ?? {}), url, mode }, flags.bus !== undefined ? '--bus' : '--source') };
  } catch (e) {
    throw realtimeError('CONFIG_INVALID', `${flags.bus !== undefined ? '--bus' : '--source'} ${url}: expected one or more nats:// URLs, comma-separated`, { fields: ['bus.url'] });
  }
};
