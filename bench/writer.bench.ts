/**
 * Writer benchmark (`npm run bench:writer`): 1,000,000 one-minute bars across 1,000 symbols, 1% of them
 * re-deliveries or corrections of recent bars, into a DuckDB file in a temp dir with exact-once (upsert)
 * semantics, buffer_size 1,000. Baseline in the same run: a row-by-row Appender into the same columns with no
 * key (no upsert, duplicates kept). Besides the saturated runs (the producer writes as fast as the writer takes
 * bars), one paced run measures flush times when no backlog forms (1,000-row flushes). Each run has a process of
 * its own. Prints a table and rewrites the generated block of the `## Writer` section of docs/benchmarks.md.
 *
 * BENCH_BARS=n changes the input size; BENCH_NO_DOCS=1 only prints.
 */
import { execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DuckDBInstance, DuckDBTimestampValue, version } from '@duckdb/node-api';
import { isRealtimeError } from '../src/errors.ts';
import { DEFAULT_MAX_FLUSH_ROWS, DuckDBRealtimeWriter } from '../src/storage/duckdb-writer.ts';
import { BAR_COLUMNS, quoteIdent } from '../src/storage/schema.ts';
import { barStream, type BarStream } from './lib/bar-stream.ts';

const TOTAL = Number(process.env.BENCH_BARS ?? 1_000_000);
const SYMBOLS = 1_000;
const BATCH = 1_000;
/**
 * Bars per write call, as the session hands them over: the bars of one event-loop turn go to the writer as one
 * batch (src/session/writer-feed.ts), and one 64 KiB socket read holds about 100 Binance kline frames.
 */
const PER_CALL = 100;
const DUCKDB_VERSION = version();

interface Result {
  readonly name: string;
  readonly rows: number;
  readonly seconds: number;
  readonly flushes: number[];
  /** Rows per flush, mean (the baseline: per appender flush). */
  readonly rowsPerFlush: number;
  /** Closing after the last flush (the final CHECKPOINT for the writer), ms: work left outside `seconds`. */
  readonly closeMs: number;
  readonly tableRows: number;
  readonly note: string;
}

const percentile = (sorted: readonly number[], p: number): number =>
  sorted.length === 0 ? 0 : sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;

/** Between runs: let the file system finish the previous run's writes (its checkpoint, the deleted database). */
const settle = async (): Promise<void> => {
  try {
    execFileSync('sync', { stdio: 'ignore' });
  } catch {
    // No `sync` (Windows): the pause alone.
  }
  await new Promise((resolve) => setTimeout(resolve, 500));
};

const tempDb = (name: string): string => path.join(fs.mkdtempSync(path.join(os.tmpdir(), `bench-writer-${name}-`)), 'bench.duckdb');

/** Baseline: the plain Appender, row by row, into the same 13 columns without any key; a flush per 1,000 rows. */
const baseline = async (stream: BarStream): Promise<Result> => {
  const file = tempDb('baseline');
  const instance = await DuckDBInstance.create(file);
  const conn = await instance.connect();
  await conn.run(`CREATE TABLE bars (${BAR_COLUMNS.map((c) => `${quoteIdent(c.name)} ${c.type}`).join(', ')})`);
  const appender = await conn.createAppender('bars');
  const flushes: number[] = [];
  const started = performance.now();
  let batchStart = performance.now();
  let n = 0;
  for (const b of stream.bars) {
    appender.appendVarchar(`${b.provider}|${b.symbol}|${b.interval}|${b.openTime}`);
    appender.appendVarchar(b.provider);
    appender.appendVarchar(b.symbol);
    appender.appendVarchar(b.interval);
    appender.appendTimestamp(new DuckDBTimestampValue(BigInt(b.openTime) * 1000n));
    appender.appendDouble(b.open);
    appender.appendDouble(b.high);
    appender.appendDouble(b.low);
    appender.appendDouble(b.close);
    appender.appendDouble(b.volume);
    if (b.vwap === null) appender.appendNull(); else appender.appendDouble(b.vwap);
    if (b.tradeCount === null) appender.appendNull(); else appender.appendInteger(b.tradeCount);
    appender.appendTimestamp(new DuckDBTimestampValue(BigInt(Math.round(b.receivedAt)) * 1000n));
    appender.endRow();
    if (++n % BATCH === 0) {
      appender.flushSync();
      const now = performance.now();
      flushes.push(now - batchStart);
      batchStart = now;
    }
  }
  appender.flushSync();
  const seconds = (performance.now() - started) / 1000;
  appender.closeSync();
  const count = Number((await conn.runAndReadAll('SELECT count(*) FROM bars')).getRows()[0]![0]);
  const closing = performance.now();
  await conn.run('CHECKPOINT');
  const closeMs = performance.now() - closing;
  conn.closeSync();
  instance.closeSync();
  fs.rmSync(path.dirname(file), { recursive: true, force: true });
  return { name: 'baseline: row-by-row Appender, no key', rows: stream.bars.length, seconds, flushes, rowsPerFlush: BATCH, closeMs, tableRows: count,
    note: 'append only: duplicates and corrections become extra rows; time per 1,000 rows (append + flush)' };
};

/** One writer configuration of the benchmark. */
interface WriterRun {
  readonly name: string;
  readonly bufferSize: number;
  readonly duckdbConfig?: Record<string, string>;
  readonly maxFlushRows?: number;
  /** Bars per second the producer writes (a paced run: no backlog forms); unpaced: as fast as the writer takes them. */
  readonly pace?: number;
  /** Bars of the stream this run writes (default: all). */
  readonly bars?: number;
  /** Bars per call: `writeBatch` of this many (default {@link PER_CALL}); 1 writes bar by bar through `writeRealtime`. */
  readonly perCall?: number;
}

/** The writer, fed `perCall` bars per `writeBatch` (or bar by bar through `writeRealtime`), waiting on `whenWritable()` when the cap refuses a write. */
const writer = async (stream: BarStream, run: WriterRun): Promise<Result & { split: string; phases: string; distinct: number }> => {
  const file = tempDb('writer');
  const w = await DuckDBRealtimeWriter.open(
    { output_path: file, buffer_size: run.bufferSize, flush_interval_ms: 0, max_buffered_rows: Math.max(20_000, 4 * run.bufferSize) },
    { ...(run.duckdbConfig ? { duckdbConfig: run.duckdbConfig } : {}), ...(run.maxFlushRows !== undefined ? { maxFlushRows: run.maxFlushRows } : {}) },
  );
  const flushes: number[] = [];
  let flushedRows = 0;
  const split = { appended: 0, upserted: 0, skipped: 0, fallbacks: 0 };
  const ms = { prepare: 0, append: 0, upsert: 0, commit: 0 };
  w.on('writer.flushed', (e) => {
    flushes.push(e.durationMs);
    flushedRows += e.rows;
    const last = w.lastFlush!;
    split.appended += last.appended;
    split.upserted += last.upserted;
    split.skipped += last.skipped + (last.rows - last.distinct);
    if (last.fallback) split.fallbacks++;
    for (const k of Object.keys(ms) as (keyof typeof ms)[]) ms[k] += last.ms[k];
  });
  const bars = run.bars === undefined ? stream.bars : stream.bars.slice(0, run.bars);
  const perCall = run.perCall ?? PER_CALL;
  const started = performance.now();
  const write = async (end: number, i: number): Promise<number> => {
    while (i < end) {
      try {
        if (perCall === 1) {
          w.writeRealtime(bars[i]!);
          i++;
        } else {
          const next = Math.min(end, i + perCall);
          // A refused batch is taken by none of its bars: it is retried whole once there is room.
          w.writeBatch(bars.slice(i, next));
          i = next;
        }
      } catch (e) {
        if (!isRealtimeError(e) || e.code !== 'BUFFER_OVERFLOW') throw e;
        await w.whenWritable();
      }
    }
    return i;
  };
  if (run.pace === undefined) await write(bars.length, 0);
  else {
    // The bars due so far, then a 1 ms timer: the writer works in between, as with a live feed.
    for (let i = 0; i < bars.length;) {
      i = await write(Math.min(bars.length, Math.floor(((performance.now() - started) * run.pace) / 1000)), i);
      await new Promise((resolve) => setTimeout(resolve, 1));
    }
  }
  await w.flush();
  const seconds = (performance.now() - started) / 1000;
  const conn = await w.connect();
  const count = Number((await conn.runAndReadAll('SELECT count(*) FROM realtime_market_data')).getRows()[0]![0]);
  conn.closeSync();
  const closing = performance.now();
  await w.close();
  const closeMs = performance.now() - closing;
  fs.rmSync(path.dirname(file), { recursive: true, force: true });
  const n = flushes.length || 1;
  return { name: run.name, rows: bars.length, seconds, flushes, rowsPerFlush: flushedRows / n, closeMs, tableRows: count,
    distinct: new Set(bars.map((b) => `${b.symbol}|${b.openTime}`)).size,
    note: 'exact-once upsert; flush = dedupe + Appender (new keys) + staged UPDATE (changed keys) + COMMIT',
    split: `appended ${split.appended}, upserted ${split.upserted}, skipped ${split.skipped} (exact re-deliveries and duplicates within a flush), whole-flush fallbacks ${split.fallbacks}`,
    phases: (['prepare', 'append', 'upsert', 'commit'] as const).map((k) => `${k} ${((ms[k] * 1000) / Math.max(1, flushedRows)).toFixed(2)}`).join(', ') };
};

const row = (r: Result, base: Result): string[] => {
  const sorted = [...r.flushes].sort((a, b) => a - b);
  const rate = r.rows / r.seconds;
  // bench/run.ts reads columns 1 (bars/s) and 3 (p99): new columns go after them.
  return [r.name, Math.round(rate).toLocaleString('en-US'), percentile(sorted, 50).toFixed(1), percentile(sorted, 99).toFixed(1),
    (sorted.at(-1) ?? 0).toFixed(1), Math.round(r.rowsPerFlush).toLocaleString('en-US'), r.closeMs.toFixed(0),
    `${(rate / (base.rows / base.seconds)).toFixed(2)}×`, r.tableRows.toLocaleString('en-US')];
};

type RunResult = Result & { split?: string; phases?: string; distinct?: number; input: Omit<BarStream, 'bars'> };

/** The runs: the baseline, the writer as shipped, one variant per changed setting, and the paced run. */
const RUNS = (): (WriterRun | 'baseline')[] => {
  const paced = Math.min(TOTAL, 300_000);
  // Rows named `writer, ...` are the writer as shipped (bench/run.ts grades them against the issue's targets); the
  // `variant:` rows change one setting each, and the `paced:` row measures flush times without a backlog.
  return [
    'baseline',
    { name: `writer, defaults (buffer_size 1,000; under a backlog, flushes of up to ${DEFAULT_MAX_FLUSH_ROWS.toLocaleString('en-US')} rows)`, bufferSize: BATCH },
    { name: 'variant: one bar per call (writeRealtime)', bufferSize: BATCH, perCall: 1 },
    { name: 'variant: flushes of up to 8,192 rows', bufferSize: BATCH, maxFlushRows: 8_192 },
    { name: 'variant: one 1,000-row batch per flush (max_flush_rows 0)', bufferSize: BATCH, maxFlushRows: 0 },
    { name: 'variant: DuckDB\'s defaults (threads=2, checkpoint_threshold=16MB)', bufferSize: BATCH, duckdbConfig: { threads: '2', checkpoint_threshold: '16MB' } },
    { name: 'variant: buffer_size 10,000', bufferSize: 10 * BATCH },
    { name: `paced: defaults at 50,000 bars/s (first ${paced.toLocaleString('en-US')} bars, 1,000-row flushes)`, bufferSize: BATCH, pace: 50_000, bars: paced },
  ];
};

const RESULT = 'writer-bench-result ';

/** In a child process: one run, its result as one JSON line on stdout. */
const runOne = async (index: number): Promise<void> => {
  const spec = RUNS()[index];
  if (spec === undefined) throw new Error(`no run ${index}`);
  const stream = barStream({ total: TOTAL, symbols: SYMBOLS, repeatShare: 0.01 });
  const input = { distinctKeys: stream.distinctKeys, duplicates: stream.duplicates, corrections: stream.corrections };
  let r: RunResult;
  if (spec === 'baseline') r = { ...(await baseline(stream)), input };
  else {
    const w = await writer(stream, spec);
    if (w.tableRows !== w.distinct) throw new Error(`exact-once violated: ${w.tableRows} rows for ${w.distinct} keys`);
    r = { ...w, input };
  }
  process.stdout.write(`${RESULT}${JSON.stringify(r)}\n`);
};

/**
 * Each run in its own process: DuckDB instances closed earlier in the same process slowed the next run (a burst of
 * slow commits a few seconds in, 3–4 flushes of 60–95 ms, enough to move a p99), which a writer process that keeps
 * its one instance does not meet. The parent builds no bars (an idle process with a large fresh heap gets garbage
 * collected on background threads, which competed with the runs for the 2 cores).
 */
const inChild = (index: number): Promise<RunResult> => new Promise((resolve, reject) => {
  const child = spawn(process.execPath, [...process.execArgv, import.meta.filename], {
    stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, WRITER_BENCH_RUN: String(index) },
  });
  let out = '';
  child.stdout.setEncoding('utf8');
  child.stdout.on('data', (d: string) => { out += d; });
  child.on('exit', (code) => {
    const line = out.split('\n').find((l) => l.startsWith(RESULT));
    if (code !== 0 || !line) reject(new Error(`run ${index} exited ${code}`));
    else resolve(JSON.parse(line.slice(RESULT.length)) as RunResult);
  });
});

const main = async (): Promise<void> => {
  const load = () => os.loadavg().map((x) => x.toFixed(2)).join(' / ');
  const loadBefore = load();
  const all: RunResult[] = [];
  for (let i = 0; i < RUNS().length; i++) {
    if (i > 0) await settle();
    all.push(await inChild(i));
  }
  const [base, ...results] = all as [RunResult, ...RunResult[]];
  const stream = base.input;
  console.log(`input: ${TOTAL.toLocaleString('en-US')} bars, ${SYMBOLS} symbols, ${stream.distinctKeys.toLocaleString('en-US')} distinct keys, ` +
    `${stream.duplicates} re-deliveries, ${stream.corrections} corrections; load average ${loadBefore}`);
  const loadAfter = load();
  const header = ['run', 'bars/s', 'p50 flush ms', 'p99 flush ms', 'max flush ms', 'rows per flush', 'close ms', 'bars/s vs baseline', 'rows in table'];
  const table = [header, header.map(() => '---'), ...[base, ...results].map((r) => row(r, base))].map((r) => `| ${r.join(' | ')} |`).join('\n');
  const details = results.map((r) => `- ${r.name}: ms per 1,000 rows flushed: ${r.phases}; rows: ${r.split}.`).join('\n');
  console.log(table);
  console.log(details);
  console.log(`load average after: ${loadAfter}`);
  const cpus = os.cpus();
  const figures = [
    `Command: \`npm run bench:writer\` (bench/writer.bench.ts). Date: ${new Date().toISOString().slice(0, 10)}. ` +
    `Machine: ${cpus.length} × ${cpus[0]?.model.trim() ?? 'unknown CPU'}, ${Math.round(os.totalmem() / 2 ** 30)} GiB, ` +
    `${os.platform()} ${os.release()}, Node ${process.version}, DuckDB ${DUCKDB_VERSION}, file database in ${os.tmpdir()}. ` +
    `Load average (1/5/15 min) before ${loadBefore}, after ${loadAfter} (a shared machine: other jobs ran meanwhile).`, '',
    `Input: ${TOTAL.toLocaleString('en-US')} one-minute bars across ${SYMBOLS} symbols, ${stream.duplicates} re-deliveries and ` +
    `${stream.corrections} corrections of recent bars (1%), ${stream.distinctKeys.toLocaleString('en-US')} distinct keys. ` +
    `Each run in its own process. Writer: \`writeBatch\` of ${PER_CALL} bars per call (the session hands the bars of one event-loop turn over as one batch; ` +
    'the `one bar per call` variant uses `writeRealtime` per bar), flush_interval_ms 0, max_buffered_rows 20,000 (40,000 at ' +
    'buffer_size 10,000); the producer waits on `whenWritable()` at the cap. A flush is one transaction: one batch, or under a ' +
    'backlog several full batches (`rows per flush` is the mean); its time runs from hand-over to COMMIT. The baseline\'s times ' +
    'are per 1,000 appended rows (append + appender flush). `close ms`: closing after the last flush (the final CHECKPOINT), ' +
    'outside the bars/s figure. The paced run writes 50,000 bars/s, below capacity, so flushes are single 1,000-row batches.', '',
    table, '', details, '',
  ].join('\n');
  if (process.env.BENCH_NO_DOCS) return;
  writeFigures(figures);
};

const START = '<!-- writer-bench:start (generated by npm run bench:writer) -->';
const END = '<!-- writer-bench:end -->';

/** Rewrites the generated figures inside the `## Writer` section of docs/benchmarks.md; other text stays. */
const writeFigures = (figures: string): void => {
  const file = path.join(import.meta.dirname, '..', 'docs', 'benchmarks.md');
  const current = fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : '# Benchmarks\n';
  const block = `${START}\n${figures}\n${END}`;
  const start = current.indexOf(START);
  const end = current.indexOf(END);
  const next = start >= 0 && end > start
    ? current.slice(0, start) + block + current.slice(end + END.length)
    : `${current.trimEnd()}\n\n## Writer\n\n${block}\n`;
  fs.writeFileSync(file, next);
};

if (process.env.WRITER_BENCH_RUN !== undefined) await runOne(Number(process.env.WRITER_BENCH_RUN));
else await main();
