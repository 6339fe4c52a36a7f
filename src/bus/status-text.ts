/** The bus's part of the CLI status: held bars and ack lag (recorder), consumer lag (strategy host), leases. */
import type { SessionBusStats } from './session-bus.ts';

/** `key=value` words for the status line and the status block. */
export const busStatusText = (bus: SessionBusStats): string => {
  if (bus.role === 'consume') {
    return `bus consume received=${bus.received} acked=${bus.acked} unacked=${bus.unacked} pending=${bus.pending} lag_ms=${bus.lagMs}`;
  }
  const words = [`bus ${bus.connected ? 'up' : 'DOWN'}`, `published=${bus.published}`, `duplicates=${bus.duplicates}`, `held=${bus.held}`, `ack_lag_ms=${bus.lagMs}`];
  if (bus.refused) words.push(`refused=${bus.refused} (known gaps)`);
  if (bus.leases) words.push(`leases=${bus.leases.held.length} recorders=${bus.leases.liveRecorders}`);
  return words.join(' ');
};
