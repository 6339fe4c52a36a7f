/**
 * Writer benchmark (`npm run bench:writer`): 1,000,000 one-minute bars across 1,000 symbols, 1% of them
 * re-deliveries or corrections of recent bars, into a DuckDB file in a temp dir with exact-once (upsert)
 * semantics, in 1,000-row flushes. Baseline in the same run: a row-by-row Appender into the same columns with no
 * key (no upsert, duplicates kept). Prints a table and rewrites the `## Writer` section of docs/benchmarks.md.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DuckDBInstance, DuckDBTimestampValue, version } from '@duckdb/node-api';
import { isRealtimeError } from '../src/errors.ts';
import { DuckDBRealtimeWriter } from '../src/storage/duckdb-writer.ts';
import { BAR_COLUMNS, quoteIdent } from '../src/storage/schema.ts';
import { barStream, type BarStream } from './lib/bar-stream.ts';

const TOTAL = Number(process.env.BENCH_BARS ?? 1_000_000);
const SYMBOLS = 1_000;
const BATCH = 1_000;
const DUCKDB_VERSION = version();

interface Result {
  readonly name: string;
  readonly rows: number;
  readonly seconds: number;
  readonly flushes: number[];
  readonly tableRows: number;
  readonly note: string;
}

const percentile = (sorted: readonly number[], p: number): number =>
  sorted.length === 0 ? 0 : sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;

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
  conn.closeSync();
  instance.closeSync();
  fs.rmSync(path.dirname(file), { recursive: true, force: true });
  return { name: 'baseline: row-by-row Appender, no key', rows: stream.bars.length, seconds, flushes, tableRows: count,
    note: 'append only: duplicates and corrections become extra rows; time per 1,000 rows (append + flush)' };
};

/** One writer configuration of the benchmark. */
interface WriterRun {
  readonly name: string;
  readonly bufferSize: number;
  readonly duckdbConfig?: Record<string, string>;
}

/** The writer, fed bar by bar through `writeRealtime`, waiting on `whenWritable()` when the cap refuses a write. */
const writer = async (stream: BarStream, run: WriterRun): Promise<Result & { split: string; phases: string }> => {
  const file = tempDb('writer');
  const w = await DuckDBRealtimeWriter.open(
    { output_path: file, buffer_size: run.bufferSize, flush_interval_ms: 0, max_buffered_rows: Math.max(20_000, 4 * run.bufferSize) },
    run.duckdbConfig ? { duckdbConfig: run.duckdbConfig } : {},
  );
  const flushes: number[] = [];
  const split = { appended: 0, upserted: 0, skipped: 0, fallbacks: 0 };
  const ms = { prepare: 0, append: 0, upsert: 0, commit: 0 };
  w.on('writer.flushed', (e) => {
    flushes.push(e.durationMs);
    const last = w.lastFlush!;
    split.appended += last.appended;
    split.upserted += last.upserted;
    split.skipped += last.skipped + (last.rows - last.distinct);
    if (last.fallback) split.fallbacks++;
    for (const k of Object.keys(ms) as (keyof typeof ms)[]) ms[k] += last.ms[k];
  });
  const bars = stream.bars;
  const started = performance.now();
  for (let i = 0; i < bars.length;) {
    try {
      w.writeRealtime(bars[i]!);
      i++;
    } catch (e) {
      if (!isRealtimeError(e) || e.code !== 'BUFFER_OVERFLOW') throw e;
      await w.whenWritable();
    }
  }
  await w.flush();
  const seconds = (performance.now() - started) / 1000;
  const conn = await w.connect();
  const count = Number((await conn.runAndReadAll('SELECT count(*) FROM realtime_market_data')).getRows()[0]![0]);
  conn.closeSync();
  await w.close();
  fs.rmSync(path.dirname(file), { recursive: true, force: true });
  const n = flushes.length || 1;
  return { name: run.name, rows: bars.length, seconds, flushes, tableRows: count,
    note: 'exact-once upsert; flush = dedupe + Appender (new keys) + staged ON CONFLICT upsert (changed keys) + COMMIT',
    split: `appended ${split.appended}, upserted ${split.upserted}, skipped ${split.skipped} (exact re-deliveries and in-batch duplicates), whole-batch fallbacks ${split.fallbacks}`,
    phases: `prepare ${(ms.prepare / n).toFixed(1)}, append ${(ms.append / n).toFixed(1)}, upsert ${(ms.upsert / n).toFixed(1)}, commit ${(ms.commit / n).toFixed(1)}` };
};

const row = (r: Result): string[] => {
  const sorted = [...r.flushes].sort((a, b) => a - b);
  return [r.name, Math.round(r.rows / r.seconds).toLocaleString('en-US'), percentile(sorted, 50).toFixed(1),
    percentile(sorted, 99).toFixed(1), (sorted.at(-1) ?? 0).toFixed(1), r.tableRows.toLocaleString('en-US')];
};

const main = async (): Promise<void> => {
  const stream = barStream({ total: TOTAL, symbols: SYMBOLS, repeatShare: 0.01 });
  const load = () => os.loadavg().map((x) => x.toFixed(2)).join(' / ');
  const loadBefore = load();
  console.log(`input: ${TOTAL.toLocaleString('en-US')} bars, ${SYMBOLS} symbols, ${stream.distinctKeys.toLocaleString('en-US')} distinct keys, ` +
    `${stream.duplicates} re-deliveries, ${stream.corrections} corrections; load average ${loadBefore}`);
  const base = await baseline(stream);
  const runs: WriterRun[] = [
    { name: 'writer, defaults (buffer_size 1,000)', bufferSize: BATCH },
    { name: 'writer, threads=1, checkpoint_threshold=1GB', bufferSize: BATCH, duckdbConfig: { threads: '1', checkpoint_threshold: '1GB' } },
    { name: 'writer, defaults, buffer_size 10,000', bufferSize: 10 * BATCH },
  ];
  const results = [];
  for (const run of runs) {
    const r = await writer(stream, run);
    if (r.tableRows !== stream.distinctKeys) throw new Error(`exact-once violated: ${r.tableRows} rows for ${stream.distinctKeys} keys`);
    results.push(r);
  }
  const loadAfter = load();
  const header = ['run', 'bars/s', 'p50 flush ms', 'p99 flush ms', 'max flush ms', 'rows in table'];
  const table = [header, header.map(() => '---'), ...[base, ...results].map(row)].map((r) => `| ${r.join(' | ')} |`).join('\n');
  const details = results.map((r) => `- ${r.name}: mean ms per flush: ${r.phases}; rows: ${r.split}.`).join('\n');
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
    'Writer: `writeRealtime` per bar, flush_interval_ms 0, the producer waits on `whenWritable()` at the cap. ' +
    'Flush times are per batch (1,000 rows unless stated); the baseline\'s are per 1,000 appended rows (append + flush).', '',
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

await main();
