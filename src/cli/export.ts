/**
 * `argo-realtime export --db <file> --out <dir>`: the recorded bars as Hive-partitioned Parquet
 * (`date=…/provider=…/interval=…/data.parquet`, UTC timestamps), incremental: exporting again rewrites the
 * partitions it touches without duplicating a row; `--source nats://…` exports the bus's bars instead
 * (`export-bus.ts`). See docs/configuration.md and `src/storage/parquet-export.ts`.
 */
import pc from 'picocolors';
import { realtimeError } from '../errors.ts';
import { partitionPath } from '../storage/hive-layout.ts';
import { exportBars, type BarExportOptions } from '../storage/parquet-export.ts';
import { EXIT, exitCodeFor, type ExitCode } from './exit-codes.ts';
import { printError, type Output } from './output.ts';
import { displayPath } from './summary.ts';
import { checkWritable } from './writable.ts';

/** Options of `export`. */
export interface ExportCommandOptions {
  /** The recorded DuckDB file; or `source`, the bus (exactly one of the two). */
  readonly db?: string;
  readonly source?: string;
  /** With `source`: a config file whose `bus:` section gives the credentials (from the environment) and names. */
  readonly config?: string;
  readonly busStream?: string;
  readonly subjectPrefix?: string;
  readonly out: string;
  readonly table?: string;
  readonly provider?: readonly string[];
  readonly interval?: readonly string[];
  readonly symbols?: readonly string[];
  /** `YYYY-MM-DD` (UTC midnight) or an ISO time with `Z` or an offset. */
  readonly from?: string;
  readonly to?: string;
  readonly json?: boolean;
}

/** Parses `--from` / `--to`: a UTC date, or an ISO time that says its offset (a bare local time would be ambiguous). */
export const parseUtcTime = (flag: string, text: string): number => {
  const date = /^\d{4}-\d{2}-\d{2}$/.test(text);
  const zoned = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$/.test(text);
  const t = date || zoned ? Date.parse(date ? `${text}T00:00:00Z` : text) : Number.NaN;
  if (!Number.isFinite(t)) {
    throw realtimeError('CONFIG_INVALID', `${flag}: expected a UTC date (2026-01-31) or an ISO time with Z or an offset (2026-01-31T12:00:00Z), got ${JSON.stringify(text)}`, { fields: [flag] });
  }
  return t;
};

/** `export`: prints the partitions written; resolves to the exit code. */
export const runExport = async (out: Output, o: ExportCommandOptions): Promise<ExitCode> => {
  try {
    if ((o.db === undefined) === (o.source === undefined)) {
      throw realtimeError('CONFIG_INVALID', 'export: give either --db <file> (a recorded DuckDB file) or --source nats://… (the bus), not both or neither', { fields: ['--db', '--source'] });
    }
    if (o.source !== undefined) {
      const dbOnly = (['table', 'provider', 'interval', 'symbols'] as const).filter((k) => o[k] !== undefined);
      if (dbOnly.length) throw realtimeError('CONFIG_INVALID', `export --source: ${dbOnly.map((k) => `--${k}`).join(', ')} apply to --db exports only (the bus export writes the whole stream, or --from/--to)`, { fields: dbOnly.map((k) => `--${k}`) });
      const { source, busStream, subjectPrefix, from, to, json, config } = o;
      return await (await import('./export-bus.ts')).runBusExport(out, { source, out: o.out, ...(config ? { config } : {}), ...(busStream ? { busStream } : {}), ...(subjectPrefix ? { subjectPrefix } : {}), ...(from ? { from } : {}), ...(to ? { to } : {}), ...(json ? { json } : {}) });
    }
    const db = o.db!;
    checkWritable(o.out, '--out', { directory: true });
    const options: BarExportOptions = {
      ...(o.table ? { table: o.table } : {}),
      ...(o.provider?.length ? { providers: o.provider } : {}),
      ...(o.interval?.length ? { intervals: o.interval } : {}),
      ...(o.symbols?.length ? { symbols: o.symbols } : {}),
      ...(o.from ? { from: parseUtcTime('--from', o.from) } : {}),
      ...(o.to ? { to: parseUtcTime('--to', o.to) } : {}),
    };
    const r = await exportBars(db, o.out, options);
    if (o.json) {
      out.line(JSON.stringify(r, null, 2));
      return EXIT.ok;
    }
    const dir = displayPath(r.dir);
    out.line(`${pc.bold('export')} of ${db}: ${r.exported} bars into ${r.partitions.length} partition(s) under ${dir}`);
    for (const p of r.partitions) {
      const kept = p.rows - p.exported;
      out.line(pc.dim(`  ${partitionPath(p)}: ${p.rows} rows${kept > 0 ? ` (${kept} kept from an earlier export)` : ''}`));
    }
    if (r.partitions.length === 0) out.line(pc.yellow('  no bar matched: nothing written'));
    else {
      out.line();
      out.line(pc.bold('read it'));
      out.line(`  duckdb -c "SELECT provider, \\"interval\\", symbol, count(*) FROM read_parquet('${dir}/**/*.parquet', hive_partitioning = true) GROUP BY ALL"`);
      out.line(`  python3 -c "import pyarrow.dataset as ds; print(ds.dataset('${dir}', partitioning='hive').to_table().num_rows)"`);
    }
    return EXIT.ok;
  } catch (e) {
    printError(out, e);
    return exitCodeFor(e);
  }
};
