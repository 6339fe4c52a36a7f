#!/usr/bin/env node
/**
 * The `argo-realtime` command line. Commands are thin: each parses its options (commander) and calls the
 * library, so that everything the CLI does is also available programmatically. Exit codes: `exit-codes.ts`.
 */
import { createRequire } from 'node:module';
import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import { INTERVALS } from '../domain/interval.ts';
import { EXIT, EXIT_CODE_DOCS } from './exit-codes.ts';
// Each command loads its own modules when it runs: start-up (and `--help`) pays only for the parser.
import { redact } from '../secrets.ts';
import { createOutput, printError } from './output.ts';
import type { ObservabilityFlags } from './session-run.ts';

const seconds = (value: string): number => {
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0) throw new InvalidArgumentError('expected a positive number of seconds');
  return n;
};
const count = (value: string): number => {
  const n = Number(value);
  if (!Number.isInteger(n) || n <= 0) throw new InvalidArgumentError('expected a positive integer');
  return n;
};
const list = (value: string): string[] => value.split(',').map((s) => s.trim()).filter(Boolean);
const port = (value: string): number => {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 65_535) throw new InvalidArgumentError('expected a port number (0 picks a free one)');
  return n;
};

/** `--inspect[=port]`, `--trace <file>`, `--metrics <port>` on a session command. */
const observable = (command: Command): Command =>
  command
    .option('--inspect [port]', 'start the Stately inspector relay on loopback and attach every actor', port)
    .option('--trace <file>', 'write every actor\'s inspection events as JSON lines (see `trace summarize`)')
    .option('--metrics <port>', 'serve Prometheus metrics on 127.0.0.1:<port>/metrics', port);

const observeOf = (o: { inspect?: boolean | number; trace?: string; metrics?: number; live?: boolean }): ObservabilityFlags => ({
  ...(o.inspect !== undefined ? { inspect: o.inspect } : {}),
  ...(o.trace ? { trace: o.trace } : {}),
  ...(o.metrics !== undefined ? { metrics: o.metrics } : {}),
  ...(o.live ? { live: true } : {}),
});

const out = createOutput();
// The package's own package.json by self-reference (its `exports` lists it): same answer from src/ and dist/.
const { version } = createRequire(import.meta.url)('argo-realtime/package.json') as { version: string };

// A crash must not print a secret either: Node's default handler would write the raw stack.
const crash = (e: unknown) => {
  out.error(`argo-realtime crashed: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
  process.exit(EXIT.failure);
};
process.on('uncaughtException', crash);
process.on('unhandledRejection', crash);
// A reader that went away (`argo-realtime providers | head`) is not a failure: output stops, the command (a
// recording too) goes on and ends as it would have.
const quietOnClosedPipe = (e: NodeJS.ErrnoException) => {
  if (e.code === 'EPIPE' || e.code === 'ERR_STREAM_DESTROYED') return;
  crash(e);
};
process.stdout.on('error', quietOnClosedPipe);
process.stderr.on('error', quietOnClosedPipe);

const program = new Command('argo-realtime')
  .description('Realtime market data into DuckDB, and realtime trading sessions, as an XState actor system')
  .version(version, '-V, --version', 'print the version of argo-realtime')
  .showHelpAfterError()
  .configureOutput({ writeOut: (s) => out.raw(s), writeErr: (s) => process.stderr.write(redact(s)) })
  .exitOverride()
  .addHelpText('after', `\nExit codes:\n${EXIT_CODE_DOCS.map((e) => `  ${String(e.code).padStart(3)}  ${e.label}`).join('\n')}\n\nDocs: docs/configuration.md`);

observable(program
  .command('run')
  .description('run a session from a YAML config: stream bars, store them in DuckDB, run the strategy, trade')
  .requiredOption('-c, --config <file>', 'session config (YAML); see docs/configuration.md')
  .option('--duration <s>', 'stop gracefully after this many seconds (default: run until Ctrl-C / SIGTERM)', seconds)
  .option('--live', 'allow a live trading provider (binance-live, ibkr-live); its config must also say live: true')
  .option('--bus <url>', 'also publish every closed bar to NATS JetStream at this nats:// URL (docs/scale-out.md)')
  .option('--source <url>', 'run on bars from NATS JetStream at this nats:// URL instead of the venue socket'))
  .action(async (o: { config: string; duration?: number; inspect?: boolean | number; trace?: string; metrics?: number; live?: boolean; bus?: string; source?: string }) => {
    process.exitCode = await (await import('./run.ts')).runRun(out, { config: o.config, observe: observeOf(o), ...(o.duration !== undefined ? { durationS: o.duration } : {}), ...(o.bus ? { bus: o.bus } : {}), ...(o.source ? { source: o.source } : {}) });
  });

observable(program
  .command('record')
  .description('stream and store bars only (no strategy, no trading), from a config file or from flags')
  .option('-c, --config <file>', 'session config (YAML); flags below override its values')
  .option('--provider <name>', 'realtime provider (default binance-realtime)')
  .option('--symbols <list>', 'comma-separated symbols, e.g. BTCUSDT,ETHUSDT', list)
  .addOption(new Option('--interval <i>', 'bar interval (default 1m)').choices(INTERVALS))
  .option('--out <file>', 'DuckDB file (default ./data/realtime.duckdb)')
  .option('--table <name>', 'table name (default realtime_market_data)')
  .option('--feed <name>', 'the provider\'s feed (realtime_provider_config.feed), e.g. usdm or coinm for Binance futures')
  .option('--ws-url <url>', 'WebSocket base URL override (e.g. a local simulator)')
  .option('--rest-url <url>', 'REST base URL override (backfill, exchange info)')
  .option('--duration <s>', 'stop gracefully after this many seconds', seconds)
  .option('--bus <url>', 'also publish every closed bar to NATS JetStream at this nats:// URL (docs/scale-out.md)'))
  .action(async (o: { config?: string; provider?: string; symbols?: string[]; interval?: string; out?: string; table?: string; feed?: string; wsUrl?: string; restUrl?: string; duration?: number; inspect?: boolean | number; trace?: string; metrics?: number; bus?: string }) => {
    const { duration, inspect, trace, metrics, ...rest } = o;
    process.exitCode = await (await import('./run.ts')).runRecord(out, { ...rest, observe: observeOf({ inspect, trace, metrics }), ...(duration !== undefined ? { durationS: duration } : {}) });
  });

observable(program
  .command('demo')
  .description('offline demo: Binance simulator on loopback with faults, MA-cross strategy, paper broker, ./data/demo.duckdb')
  .option('--duration <s>', 'how long to run, in seconds', seconds, 20)
  .option('--seed <n>', 'simulator seed', (v) => Number.parseInt(v, 10), 42)
  .option('--db <file>', 'DuckDB file to (over)write', 'data/demo.duckdb'))
  .action(async (o: { duration: number; seed: number; db: string; inspect?: boolean | number; trace?: string; metrics?: number }) => {
    process.exitCode = await (await import('./demo.ts')).runDemo(out, { durationS: o.duration, seed: o.seed, db: o.db, observe: observeOf(o) });
  });

program
  .command('replay')
  .description('feed a recorded session through the session machine with the paper broker and a strategy (deterministic)')
  .requiredOption('--db <file>', 'recorded DuckDB file (opened read-only)')
  .option('--session <id>', 'only the bars this session received (default: every bar of the file)')
  .requiredOption('--strategy <path>', 'strategy module')
  .option('--strategy-config <json>', 'strategy config as JSON')
  .option('--speed <x>', 'max (default) or a factor such as 10x over recorded time')
  .option('--out <file>', 'output DuckDB file, must not exist (default: a new temp file)')
  .option('--flush-every <n>', 'bars between flushes of the output (default 1)', count)
  .option('--trace <file>', 'write inspection events as JSON lines')
  .option('--metrics <port>', 'serve Prometheus metrics on 127.0.0.1:<port>/metrics', port)
  .action(async (o: { db: string; session?: string; strategy: string; strategyConfig?: string; speed?: string; out?: string; flushEvery?: number; trace?: string; metrics?: number }) => {
    process.exitCode = await (await import('./replay.ts')).runReplay(out, o);
  });

program
  .command('export')
  .description('write recorded bars as Hive-partitioned Parquet (date=/provider=/interval=, UTC times); re-running never duplicates')
  .option('--db <file>', 'recorded DuckDB file (opened read-only)')
  .option('--source <url>', 'instead of --db: the bus, nats://host:port (the bars of its JetStream stream)')
  .option('--config <file>', 'with --source: a config file whose bus: section gives the credentials (from the environment), stream and prefix')
  .option('--bus-stream <name>', 'with --source: the JetStream stream (default ARGO_BARS)')
  .option('--subject-prefix <prefix>', 'with --source: the bars\' subject prefix (default argo.bars)')
  .requiredOption('--out <dir>', 'output directory (with --db, partitions already there are merged, not duplicated)')
  .option('--table <name>', 'bar table (default realtime_market_data)')
  .option('--provider <list>', 'only these providers, comma-separated', list)
  .option('--interval <list>', 'only these intervals, comma-separated', list)
  .option('--symbols <list>', 'only these symbols, comma-separated', list)
  .option('--from <time>', 'bars opening at or after: a UTC date (2026-01-31) or an ISO time with Z or an offset')
  .option('--to <time>', 'bars opening before (same forms as --from)')
  .option('--json', 'print what was written as JSON')
  .action(async (o: { db?: string; source?: string; config?: string; busStream?: string; subjectPrefix?: string; out: string; table?: string; provider?: string[]; interval?: string[]; symbols?: string[]; from?: string; to?: string; json?: boolean }) => {
    process.exitCode = await (await import('./export.ts')).runExport(out, o);
  });

program
  .command('risk')
  .description('the pre-trade risk engine of a recorded session (see docs/risk.md)')
  .command('reset')
  .description('re-arm the kill switch of a stopped session: the next run with the same session id starts armed')
  .requiredOption('--db <file>', 'DuckDB file of the session')
  .requiredOption('--session <id>', 'session id')
  .action(async (o: { db: string; session: string }) => {
    process.exitCode = await (await import('./risk.ts')).runRiskReset(out, o);
  });

program
  .command('trace')
  .description('work with trace files written by --trace')
  .command('summarize')
  .description('print the state transitions per actor over time: reconnects, flushes, orders')
  .argument('<file>', 'trace file (JSON lines)')
  .action(async (file: string) => {
    process.exitCode = await (await import('./replay.ts')).runTraceSummarize(out, file);
  });

program
  .command('providers')
  .description('list realtime and trading providers with metadata, availability and config keys')
  .option('--json', 'machine-readable output, with each config as JSON Schema')
  .action(async (o: { json?: boolean }) => {
    process.exitCode = (await import('./providers.ts')).runProviders(out, { json: o.json === true });
  });

program
  .command('schema')
  .description('print the JSON Schema of the config file (for editors: yaml-language-server, VS Code)')
  .action(async () => {
    out.line(JSON.stringify((await import('../config/json-schema.ts')).configFileJsonSchema(), null, 2));
    process.exitCode = EXIT.ok;
  });

program
  .command('query')
  .description('run one read-only SELECT over a recorded DuckDB file and print the result')
  .requiredOption('--db <file>', 'DuckDB file, e.g. data/realtime.duckdb')
  .argument('<sql>', 'one SELECT statement')
  .option('--json', 'print rows as a JSON array')
  .option('--max-rows <n>', 'most rows to print', count, 10_000)
  .option('--max-bytes <n>', 'most bytes of result values', count, 64 * 1024 * 1024)
  .option('--timeout <ms>', 'interrupt the query after this many ms', count, 30_000)
  .action(async (sql: string, o: { db: string; json?: boolean; maxRows: number; maxBytes: number; timeout: number }) => {
    process.exitCode = await (await import('./query.ts')).runQuery(out, {
      db: o.db, sql, json: o.json === true, maxRows: o.maxRows, maxBytes: o.maxBytes, timeoutMs: o.timeout,
    });
  });

try {
  await program.parseAsync(process.argv);
} catch (e) {
  if (e instanceof CommanderError) {
    // --help and --version end here with code 0; usage errors (already printed) are configuration errors.
    process.exitCode = e.exitCode === 0 ? EXIT.ok : EXIT.config;
  } else {
    printError(out, e);
    process.exitCode = EXIT.failure;
  }
}
// Nothing should outlive a command; if a handle (socket, worker, timer) does, do not hang the shell.
setTimeout(() => process.exit(), 2_000).unref();
