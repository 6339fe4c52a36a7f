/**
 * The bus's metric families (in the shape `src/observability/metrics.ts` renders): for a recorder, bars
 * published, duplicates, held bars, ack lag, refused bars (known gaps) and its fleet leases; for a strategy host,
 * bars received and acknowledged, messages not yet delivered (consumer lag) and the receive → host lag.
 */
import type { SessionBusStats } from './session-bus.ts';

type Labels = Readonly<Record<string, string>>;

/** One metric family with its samples. */
export interface BusMetricFamily {
  readonly name: string;
  readonly help: string;
  readonly type: 'gauge' | 'counter';
  readonly samples: readonly (readonly [Labels, number])[];
}

/** The families of a session's bus figures; every series carries the session's labels. */
export const busMetricFamilies = (bus: SessionBusStats, labels: Labels): BusMetricFamily[] => {
  const one = (v: number) => [[labels, v] as const];
  const g = (name: string, help: string, samples: readonly (readonly [Labels, number])[]): BusMetricFamily => ({ name, help, type: 'gauge', samples });
  const c = (name: string, help: string, samples: readonly (readonly [Labels, number])[]): BusMetricFamily => ({ name, help, type: 'counter', samples });
  if (bus.role === 'consume') {
    return [
      c('argo_bus_received_total', 'Bar messages received from the bus.', one(bus.received)),
      c('argo_bus_acked_total', 'Bar messages acknowledged (the strategy and the event log have them).', one(bus.acked)),
      g('argo_bus_unacked', 'Bars delivered to the session and not yet acknowledged.', one(bus.unacked)),
      g('argo_bus_consumer_pending', 'Messages JetStream has not delivered to this session yet (consumer lag).', one(bus.pending)),
      g('argo_bus_lag_seconds', 'Now minus the recorder\'s receive time of the last bar.', one(bus.lagMs / 1000)),
      c('argo_bus_redeliveries_skipped_total', 'Redelivered messages this session already had.', one(bus.redeliveriesSkipped)),
      c('argo_bus_malformed_total', 'Messages that were not valid bars.', one(bus.malformed)),
    ];
  }
  const families = [
    g('argo_bus_connected', '1 while the NATS connection is up.', one(bus.connected ? 1 : 0)),
    c('argo_bus_published_total', 'Bars JetStream stored.', one(bus.published)),
    c('argo_bus_duplicates_total', 'Bars JetStream already had (message id within the duplicate window).', one(bus.duplicates)),
    g('argo_bus_held_bars', 'Bars held until JetStream acknowledges them.', one(bus.held)),
    g('argo_bus_oldest_held_seconds', 'Age of the oldest held bar.', one(bus.oldestHeldMs / 1000)),
    g('argo_bus_ack_lag_seconds', 'Receive to JetStream ack time of the last acknowledged bar.', one(bus.lagMs / 1000)),
    c('argo_bus_refused_total', 'Bars refused because the hold was full (known gaps).', one(bus.refused)),
    c('argo_bus_publish_retries_total', 'Publishes retried after a failure or timeout.', one(bus.retries)),
  ];
  if (bus.repaired) {
    families.push(
      g('argo_bus_gaps_open', 'Known gaps not yet repaired (streams with refused bars).', one(bus.gaps.length)),
      c('argo_bus_gaps_repaired_total', 'Known gaps fetched from REST and published while running.', one(bus.repaired.gaps)),
      c('argo_bus_gap_bars_repaired_total', 'Bars fetched from REST for known gaps.', one(bus.repaired.bars)),
    );
  }
  if (bus.leases) {
    families.push(
      g('argo_bus_leases_held', 'Streams this recorder holds a fleet lease on.', one(bus.leases.held.length)),
      g('argo_bus_fleet_recorders', 'Recorders alive in the fleet.', one(bus.leases.liveRecorders)),
      c('argo_bus_lease_takeovers_total', 'Leases acquired (start, rebalance or takeover).', one(bus.leases.takeovers)),
      c('argo_bus_lease_releases_total', 'Leases given back or lost.', one(bus.leases.released)),
    );
  }
  return families;
};
