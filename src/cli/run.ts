/**
 * `argo-realtime run --config <file> [--duration <s>]`: a full session (market data, storage, strategy, trading)
 * from a YAML file; and `record`: the same without strategy and trading, configured by the file or by flags.
 */
import pc from 'picocolors';
import { loadConfigFile } from '../config/load.ts';
import { configIssues } from '../config/issues.ts';
import { decodeSessionConfig, type SessionConfig } from '../config/session-config.ts';
import { isRealtimeError, realtimeError } from '../errors.ts';
import { withBusFlags } from './bus-flags.ts';
import { EXIT, exitCodeFor, type ExitCode } from './exit-codes.ts';
import { printError, type Output } from './output.ts';
import { runSession, type ObservabilityFlags } from './session-run.ts';
import { displayPath, printSummary } from './summary.ts';

/** Options of `run`. */
export interface RunOptions {
  readonly config: string;
  readonly durationS?: number;
  readonly observe?: ObservabilityFlags;
  /** `--bus nats://…`: publish every closed bar to the bus. */
  readonly bus?: string;
  /** `--source nats://…`: run on bars from the bus instead of the venue. */
  readonly source?: string;
}

const describeConfig = (c: SessionConfig): string =>
  `${c.bus?.mode === 'consume' ? `bus ${c.bus.stream}` : c.realtimeProvider} ${c.symbols.join(', ')} ${c.interval} → ` +
  (c.noStorage ? `bus ${c.bus!.stream} only (no DuckDB file)` : displayPath(c.storage.output_path) + (c.bus?.mode === 'publish' ? ` and bus ${c.bus.stream}` : '')) +
  (c.strategy ? `; strategy ${displayPath(c.strategy.path)} trading through ${c.tradingProvider}` : '; recording only (no strategy)');

/** Runs a session to its end and prints the summary. */
const runAndSummarise = async (out: Output, label: string, config: SessionConfig, durationS: number | undefined, observe: ObservabilityFlags = {}, outputKey?: string): Promise<ExitCode> => {
  out.line(`${pc.bold(`argo-realtime ${label}`)}: ${describeConfig(config)}${durationS ? ` for ${durationS} s` : '; Ctrl-C stops gracefully'}`);
  const result = await runSession({ out, config, observe, ...(durationS !== undefined ? { durationS } : {}), ...(outputKey ? { outputKey } : {}) });
  if (result.summary) await printSummary(out, result.summary);
  // Bars the session accepted but could not persist: never a success, whatever else happened.
  const unpersisted = result.summary?.unpersisted ?? [];
  if (unpersisted.length > 0) {
    printError(out, realtimeError('BARS_UNPERSISTED', `${unpersisted.reduce((n, r) => n + r.bars, 0)} bars of ${new Set(unpersisted.map((r) => `${r.symbol} ${r.interval}`)).size} stream(s) ` +
      'are not in the file (ranges listed under NOT SAVED); the next start on this file fetches them', { ranges: unpersisted.map((r) => ({ ...r })) }));
    if (result.code === EXIT.ok) return EXIT.failure;
  }
  return result.code;
};

/** `run`. */
export const runRun = async (out: Output, options: RunOptions): Promise<ExitCode> => {
  let config: SessionConfig;
  try {
    config = withBusFlags(loadConfigFile(options.config), { ...(options.bus ? { bus: options.bus } : {}), ...(options.source ? { source: options.source } : {}) });
  } catch (e) {
    printError(out, e);
    return exitCodeFor(e);
  }
  return runAndSummarise(out, 'run', config, options.durationS, options.observe);
};

/** Options of `record`: a config file, or flags, or a file with some values overridden by flags. */
export interface RecordOptions {
  readonly config?: string;
  readonly provider?: string;
  readonly symbols?: readonly string[];
  readonly interval?: string;
  readonly out?: string;
  readonly table?: string;
  /** `realtime_provider_config.feed` (Binance `spot` / `usdm` / `coinm`, Polygon's market). */
  readonly feed?: string;
  readonly wsUrl?: string;
  readonly restUrl?: string;
  readonly durationS?: number;
  readonly observe?: ObservabilityFlags;
  /** `--bus nats://…`: publish every closed bar to the bus (without `--out`: to the bus only, no DuckDB file). */
  readonly bus?: string;
}

/** Which flag sets which config field, to name the flag in errors. */
const FLAG_OF: Readonly<Record<string, string>> = {
  'session.realtime_provider': '--provider',
  'session.symbols': '--symbols',
  'session.interval': '--interval',
  'session.storage_config.output_path': '--out',
  'session.storage_config.table_name': '--table',
  'session.realtime_provider_config.feed': '--feed',
  'session.realtime_provider_config.ws_url': '--ws-url',
  'session.realtime_provider_config.rest_url': '--rest-url',
  'bus.url': '--bus',
};

/** Builds the record configuration from flags, over the file's values when `--config` is given. */
export const recordConfig = (o: RecordOptions, notice: (text: string) => void = () => {}): SessionConfig => {
  let base: SessionConfig | undefined;
  if (o.config) {
    base = loadConfigFile(o.config);
    if (base.strategy) notice(`record streams and stores only: the strategy section of ${o.config} is ignored (use \`run\` to trade)`);
  } else if (!o.symbols?.length) {
    throw realtimeError('CONFIG_INVALID', 'record needs --config <file>, or --symbols (with --provider, --interval, --out)', { fields: ['session.symbols'] });
  }
  const urls = { ...(o.feed ? { feed: o.feed } : {}), ...(o.wsUrl ? { ws_url: o.wsUrl } : {}), ...(o.restUrl ? { rest_url: o.restUrl } : {}) };
  const raw = {
    session: {
      ...(base?.id ? { id: base.id } : {}),
      realtime_provider: o.provider ?? base?.realtimeProvider ?? 'binance-realtime',
      realtime_provider_config: { ...(base?.realtimeProviderConfig ?? {}), ...urls },
      // `record --bus` without --out (and a file without storage_config) records to the bus only.
      ...((base ? base.noStorage : o.bus) && !o.out && !o.table ? {} : { storage_config: { ...(base?.storage ?? {}), ...(o.out ? { output_path: o.out } : {}), ...(o.table ? { table_name: o.table } : {}) } }),
      symbols: o.symbols ?? base?.symbols,
      interval: o.interval ?? base?.interval ?? '1m',
      ...(base ? { strategy_queue_size: base.strategyQueueSize } : {}),
    },
    ...(o.bus || base?.bus ? { bus: { ...(base?.bus ?? {}), ...(o.bus ? { url: o.bus, mode: 'publish' } : {}) } } : {}),
  };
  const where = o.config ? `${o.config} with command-line overrides` : 'command line';
  try {
    return decodeSessionConfig(raw, where);
  } catch (e) {
    if (!isRealtimeError(e) || e.code !== 'CONFIG_INVALID') throw e;
    const issues = configIssues(e, raw, where);
    const lines = issues.map((i) => `${FLAG_OF[i.path] ?? i.path}: ${i.message}`);
    throw realtimeError('CONFIG_INVALID', `${where}: ${lines.join('\n')}`, { fields: issues.map((i) => i.path) });
  }
};

/** `record`. */
export const runRecord = async (out: Output, options: RecordOptions): Promise<ExitCode> => {
  let config: SessionConfig;
  try {
    config = recordConfig(options, (text) => out.error(pc.yellow(text)));
  } catch (e) {
    printError(out, e);
    return exitCodeFor(e);
  }
  return runAndSummarise(out, 'record', config, options.durationS, options.observe, options.out ? '--out' : undefined);
};
