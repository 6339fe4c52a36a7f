/**
 * The `bus:` section of the config file: where the NATS JetStream bus is, which stream and subjects carry the
 * bars, how many bars a recorder holds while the bus is down, and the fleet's lease settings. Credentials come
 * from the environment only (`password: ${NATS_PASSWORD}`); a literal one is refused by the loader.
 */
import * as Schema from 'effect/Schema';
import { decodeConfig, optional, PositiveInt, withDefault } from '../schema/schema-tools.ts';

/** One or more nats:// URLs, comma-separated (the members of a cluster). */
const NatsUrls = Schema.String.check(Schema.isPattern(/^\s*(nats|tls):\/\/[^\s,]+(\s*,\s*(nats|tls):\/\/[^\s,]+)*\s*$/));

/** A NATS subject token sequence (no wildcards, no empty tokens). */
const SubjectPrefix = Schema.String.check(Schema.isPattern(/^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*$/));

/** `bus:` */
export const BusSectionSchema = Schema.Struct({
  url: NatsUrls.annotate({ description: 'NATS server URL(s), e.g. nats://127.0.0.1:4222 or several comma-separated (a cluster)' }),
  stream: withDefault(Schema.String.check(Schema.isPattern(/^[A-Za-z0-9_-]{1,64}$/)), 'ARGO_BARS', 'JetStream stream holding the bars (created when missing)'),
  subject_prefix: withDefault(SubjectPrefix, 'argo.bars', 'Bars are published to <subject_prefix>.<provider>.<interval>.<SYMBOL>'),
  mode: withDefault(Schema.Literals(['publish', 'consume']), 'publish', 'publish: record bars to the bus; consume: run the session on bars read from the bus (`run --source`)'),
  user: optional(Schema.String, 'NATS user name'),
  password: optional(Schema.String, 'NATS password; only as ${VAR} from the environment'),
  token: optional(Schema.String, 'NATS token; only as ${VAR} from the environment'),
  replicas: withDefault(PositiveInt, 1, 'Replicas of the stream when this recorder creates it (3 in a 3-node cluster)'),
  duplicate_window_s: withDefault(PositiveInt, 3_600, 'JetStream de-duplication window of a created stream, in seconds'),
  max_held_bars: withDefault(PositiveInt, 100_000, 'Bars held in memory while the bus is down; past it new bars are refused and reported as a known gap'),
  max_in_flight: withDefault(PositiveInt, 256, 'Publishes awaiting their JetStream ack at once'),
  publish_timeout_ms: withDefault(PositiveInt, 5_000, 'Wait for one publish ack before the bar is retried'),
  lease_ttl_ms: withDefault(PositiveInt, 10_000, 'Fleet: a stream lease expires this long after its recorder stopped renewing it'),
  parquet_dir: optional(Schema.String.check(Schema.isMinLength(1)), 'Roll the bus\'s bars to Hive-partitioned Parquet under this directory (date=/provider=/interval=), one file set per window; in a fleet a roll lease makes one recorder roll each window'),
  parquet_window_minutes: withDefault(PositiveInt, 60, 'Parquet roll window (UTC-aligned), minutes'),
  parquet_delay_s: withDefault(PositiveInt, 300, 'A window is rolled this long after it closed, so late (backfilled) bars are in it'),
  fleet: optional(Schema.String.check(Schema.isPattern(/^[A-Za-z0-9_-]{1,64}$/)), 'Fleet name: recorders with the same fleet share the symbols through leases in the KV bucket argo_leases_<fleet>'),
});

/** A decoded `bus:` section. */
export type BusConfig = typeof BusSectionSchema.Type;

/** Decodes a `bus:` section on its own (the CLI's `--bus` builds one); throws CONFIG_INVALID. */
export const decodeBusConfig = (input: unknown, where = 'bus'): BusConfig => decodeConfig(BusSectionSchema, input, where);
