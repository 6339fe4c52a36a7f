/**
 * `argo-realtime export --source nats://… --out <dir>`: the bus's bars as Hive-partitioned Parquet in the same
 * layout as a DuckDB export (`date=…/provider=…/interval=…`), read back from the JetStream stream with a
 * correction replacing the bar it corrects (`rollBusToParquet`). See docs/scale-out.md.
 */
import pc from 'picocolors';
import { decodeBusConfig } from '../bus/config.ts';
import { connectBus } from '../bus/connection.ts';
import { rollBusToParquet } from '../bus/parquet-roll.ts';
import { realtimeError } from '../errors.ts';
import { partitionPath } from '../storage/hive-layout.ts';
import { EXIT, exitCodeFor, type ExitCode } from './exit-codes.ts';
import { parseUtcTime } from './export.ts';
import { printError, type Output } from './output.ts';
import { displayPath } from './summary.ts';
import { checkWritable } from './writable.ts';

/** Options of `export --source`. */
export interface BusExportCommandOptions {
  readonly source: string;
  readonly out: string;
  /** A config file whose `bus:` section is the base (credentials from the environment, stream, subject prefix). */
  readonly config?: string;
  readonly busStream?: string;
  readonly subjectPrefix?: string;
  readonly from?: string;
  readonly to?: string;
  readonly json?: boolean;
}

/** `export --source`: prints the partitions written; resolves to the exit code. */
export const runBusExport = async (out: Output, o: BusExportCommandOptions): Promise<ExitCode> => {
  try {
    checkWritable(o.out, '--out', { directory: true });
    // Credentials only ever come from a config file's bus section, whose secrets are ${VAR}s of the environment.
    const base = o.config ? (await import('../config/load.ts')).loadConfigFile(o.config).bus : undefined;
    if (o.config && !base) throw realtimeError('CONFIG_INVALID', `--config ${o.config}: the file has no bus: section`, { fields: ['bus'] });
    let config;
    try {
      config = decodeBusConfig({ ...(base ?? {}), url: o.source, mode: 'consume', ...(o.busStream ? { stream: o.busStream } : {}), ...(o.subjectPrefix ? { subject_prefix: o.subjectPrefix } : {}) }, '--source');
    } catch {
      throw realtimeError('CONFIG_INVALID', `--source ${o.source}${o.busStream ? ` --bus-stream ${o.busStream}` : ''}${o.subjectPrefix ? ` --subject-prefix ${o.subjectPrefix}` : ''}: expected nats:// URL(s), a stream name of letters, digits, _ and -, and a subject prefix of dot-separated tokens`, { fields: ['--source', '--bus-stream', '--subject-prefix'] });
    }
    const window = { ...(o.from ? { fromMs: parseUtcTime('--from', o.from) } : {}), ...(o.to ? { toMs: parseUtcTime('--to', o.to) } : {}) };
    const nc = await connectBus(config, 'argo-realtime export');
    let r;
    try {
      r = await rollBusToParquet(nc, config, o.out, window);
    } finally {
      await nc.close().catch(() => undefined);
    }
    if (o.json) {
      out.line(JSON.stringify({ dir: o.out, stream: config.stream, ...r, toMs: o.to ? r.toMs : null }, null, 2));
      return EXIT.ok;
    }
    const dir = displayPath(o.out);
    out.line(`${pc.bold('export')} of bus stream ${config.stream}: ${r.rows} bars (from ${r.messages} messages) into ${r.partitions.length} partition(s) under ${dir}`);
    for (const p of r.partitions) out.line(pc.dim(`  ${partitionPath(p)}: ${p.rows} rows`));
    if (r.partitions.length === 0) out.line(pc.yellow('  no bar matched: nothing written'));
    else {
      out.line();
      out.line(pc.bold('read it'));
      out.line(`  duckdb -c "SELECT provider, \\"interval\\", symbol, count(*) FROM read_parquet('${dir}/**/*.parquet', hive_partitioning = true) GROUP BY ALL"`);
    }
    return EXIT.ok;
  } catch (e) {
    printError(out, e);
    return exitCodeFor(e);
  }
};
