/**
 * Public surface of the bus (docs/scale-out.md): the `bus:` config, the JetStream publisher and the providers a
 * recorder and a strategy host run on, fleet leases, and Parquet history from the stream.
 */
export { BusSectionSchema, decodeBusConfig, type BusConfig } from './config.ts';
export { connectBus, ensureBarStream } from './connection.ts';
export { BusPublisher, type BusPublisherOptions, type BusPublisherStats } from './publisher.ts';
export { BusRecorderProvider } from './recorder-provider.ts';
export { BusSourceProvider, type BusCheckpoint, type BusSourceStats } from './source-provider.ts';
export { FleetLeases, type LeaseStats } from './leases.ts';
export { planLeases, type LeasePlan, type LeaseView } from './lease-plan.ts';
export { ParquetRoller, rollBusToParquet, type ParquetRollResult } from './parquet-roll.ts';
export { barSubject, messageIdOf, subjectOf } from './subjects.ts';
export { decodeBar, encodeBar, type BarMessage } from './bar-message.ts';
export type { SessionBusStats } from './session-bus.ts';
