/**
 * The benchmark suite (`npm run bench`): ingest, latency, writer, memory, reconnect and start-up, each in its own
 * child process(es) against the Binance simulator in its own process, each figure next to a baseline measured in
 * the same run (the machines are shared and noisy: ratios travel, absolute numbers do not). Prints one table
 * (figure, baseline, ratio, target, pass/fail) and rewrites this suite's sections of docs/benchmarks.md (the
 * writer benchmark rewrites its own `## Writer` section; text outside the generated blocks is kept).
 *
 *   npm run bench                                  # everything, a few minutes (memory soak: 60 s)
 *   npm run bench -- --only ingest,latency         # a subset (the doc keeps the other sections' last figures)
 *   npm run bench -- --only memory --soak-s 300    # the issue's full 5-minute soak
 *   npm run bench -- --no-docs                     # print only
 *
 * Other flags: --ingest-s 5 (streaming per ingest run), --latency-s 10, --startup-runs 5, --reconnect-drops 10,
 * --isolation-s 20, --bus-bars 100000 --bus-symbols 10 --bus-latency-s 10 (bus: needs nats-server on the PATH).
 * --peer-messages 200000 --peer-runs 3 --peer-symbols 10,1000 (peers: install them first, npm run bench:peers:install),
 * --rss-symbols 1000, --peer-results <file> (render the peers section again from the results file a run wrote).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { execFileSync } from 'node:child_process';
import type { IngestResult } from './ingest.bench.ts';
import type { IsolationCostResult, IsolationHostResult } from './isolation.bench.ts';
import type { LatencyResult } from './latency.bench.ts';
import type { MemoryResult } from './memory.bench.ts';
import type { ReconnectResult } from './reconnect.bench.ts';
import type { StartupResult } from './startup.bench.ts';
import type { RssResult } from './rss.bench.ts';
import { flags, runChild } from './support/common.ts';
import { MIXES } from './support/mix.ts';
import { MISBEHAVIOURS } from './fixtures/hostile.strategy.ts';
import { peersSection } from './support/peers-section.ts';
import { busSection } from './support/bus-section.ts';

const NAMES = ['ingest', 'latency', 'writer', 'memory', 'reconnect', 'startup', 'peers', 'rss', 'isolation', 'bus'] as const;
type Name = (typeof NAMES)[number];

/** One row of the summary table. */
interface Row {
  readonly benchmark: string;
  readonly figure: string;
  readonly baseline: string;
  readonly ratio: string;
  readonly target: string;
  readonly result: 'pass' | 'FAIL' | 'info';
}

/** What a benchmark contributes: summary rows and its doc section. */
interface Section {
  readonly name: Name;
  readonly rows: Row[];
  readonly markdown: string;
}

const here = (file: string): string => fileURLToPath(new URL(file, import.meta.url));
const ROOT = here('..');
const DOC = path.join(ROOT, 'docs', 'benchmarks.md');

const int = (n: number): string => Math.round(n).toLocaleString('en-US');
const ms = (n: number): string => (n >= 100 ? n.toFixed(0) : n >= 10 ? n.toFixed(1) : n.toFixed(2));
const pct = (n: number): string => `${(n * 100).toFixed(1)}%`;
const x = (n: number): string => `${n.toFixed(2)}×`;
const verdict = (ok: boolean): 'pass' | 'FAIL' => (ok ? 'pass' : 'FAIL');
const table = (header: readonly string[], rows: readonly (readonly string[])[]): string =>
  [header, header.map(() => '---'), ...rows].map((r) => `| ${r.join(' | ')} |`).join('\n');

const load = (): string => os.loadavg().map((l) => l.toFixed(2)).join(' / ');
const machine = (): string => {
  const cpus = os.cpus();
  let duckdb = '';
  try {
    duckdb = execFileSync(process.execPath, ['-e', "import('@duckdb/node-api').then((m) => console.log(m.version()))"], { cwd: ROOT, encoding: 'utf8' }).trim();
  } catch {
    duckdb = 'unknown';
  }
  return `${cpus.length} × ${cpus[0]?.model.trim() ?? 'unknown CPU'}, ${Math.round(os.totalmem() / 2 ** 30)} GiB RAM, ` +
    `${os.platform()} ${os.release()}, Node ${process.version}, DuckDB ${duckdb}`;
};
const stamp = (command: string, before: string): string =>
  `Run ${new Date().toISOString().replace('T', ' ').slice(0, 16)} UTC on ${machine()}. Load average (1/5/15 min) before ${before}, ` +
  `after ${load()} (shared machine). Command: \`${command}\`.`;

// ---------------------------------------------------------------------------------------------------------------
// 1. Ingest

const ingestSection = async (seconds: number): Promise<Section> => {
  const before = load();
  const script = here('./ingest.bench.ts');
  const results: { base: IngestResult; pipe: IngestResult }[] = [];
  for (const mix of [MIXES.closed, MIXES.updates]) {
    for (const symbols of [100, 1000]) {
      const args = (mode: string) => ['--mode', mode, '--mix', mix.name, '--symbols', String(symbols), '--seconds', String(seconds)];
      log(`ingest: ${mix.name} mix, ${symbols} symbols: baseline`);
      const base = await runChild<IngestResult>(script, args('baseline'));
      log(`ingest: ${mix.name} mix, ${symbols} symbols: pipeline`);
      const pipe = await runChild<IngestResult>(script, args('pipeline'));
      results.push({ base, pipe });
    }
  }
  const rows: Row[] = results.map(({ base, pipe }) => {
    const ratio = pipe.endToEndRate / base.receiveRate;
    const complete = pipe.rows === pipe.closedBars && pipe.keys === pipe.closedBars;
    return {
      benchmark: `1. ingest, ${pipe.mix} mix, ${int(pipe.symbols)} symbols: msg/s, all bars durable`,
      figure: int(pipe.endToEndRate), baseline: int(base.receiveRate), ratio: x(ratio), target: '≥ 0.60×, every bar persisted',
      result: verdict(ratio >= 0.6 && complete),
    };
  });
  const detail = table(
    ['mix', 'symbols', 'run', 'msg/s received', 'msg/s end to end', 'closed bars/s', 'frames', 'closed bars', 'rows (distinct keys)', 'sim CPU', 'client CPU', 'sim waited for client', 'strategy skipped', 'writer flushes (mean ms)'],
    results.flatMap(({ base, pipe }) => [base, pipe].map((r) => [
      r.mix, int(r.symbols), r.mode, int(r.receiveRate), r.mode === 'pipeline' ? int(r.endToEndRate) : '—',
      int((r.endToEndRate * r.closedBars) / r.frames), int(r.frames), int(r.closedBars),
      r.rows === undefined ? '—' : `${int(r.rows)} (${int(r.keys!)})${r.rows === r.closedBars ? '' : ' **missing rows**'}`,
      pct(r.simCpu), pct(r.clientCpu), pct(r.simStalledShare), r.strategy ? int(r.strategy.skipped) : '—',
      r.writer ? `${int(r.writer.flushes)} (${ms(r.writer.averageFlushMs)})` : '—',
    ])),
  );
  const simBound = results.filter(({ base }) => base.simCpu > 0.9).map(({ base }) => `${base.mix}/${base.symbols}`);
  const markdown = [
    '## 1. Ingest', '',
    stamp(`npm run bench -- --only ingest --ingest-s ${seconds}`, before), '',
    'The simulator runs in its own process (bench/support/sim-host.ts: the project\'s `startBinanceSimulator`, paused, stepped by the host) and ' +
    'pushes kline frames as fast as the client drains them: it steps the market while fewer than 20,000 frames are unacknowledged ' +
    '(the client reports its count every 5 ms), so neither side buffers without bound. The frames one step sends to a socket leave in one ' +
    'write (cork): the stock write path makes one `writev` per frame, which profiled at ~70% of the simulator\'s time and capped it below what a ' +
    'bare client drains. Two mixes: ' + Object.values(MIXES).map((m) => `**${m.name}** (${m.description})`).join('; ') + '. ' +
    `Each run streams ${seconds} s; rates are measured after a 1 s warm-up.`, '',
    '- **baseline**: a bare `ws` client doing only `JSON.parse` (bench/ingest.bench.ts `--mode baseline`).',
    '- **pipeline**: `createRealtimeSession` with the Binance provider, the no-op strategy (bench/fixtures/noop.strategy.ts) in its worker, ' +
    'paper trading, and the DuckDB writer with its defaults (file, upserts, durable: `buffer_size` 100, `flush_interval_ms` 1000, WAL). ' +
    '**Counted**: every kline frame (closed bars and in-progress updates; the provider decodes and validates updates, then drops them since ' +
    '`emit_updates` is off). "End to end" runs until the last bar is durable (`session.flush()` after the last frame); then the session stops ' +
    'and the table is counted: every closed bar the simulator sent must be there, once.',
    '', detail, '',
    simBound.length ? `The simulator used > 90% of a core in the baseline runs ${simBound.join(', ')}: there the baseline is bounded by the simulator, not by the client (its ratio overstates the pipeline).` : '',
  ].join('\n');
  return { name: 'ingest', rows, markdown };
};

// ---------------------------------------------------------------------------------------------------------------
// 2. Latency

const latencySection = async (seconds: number): Promise<Section> => {
  const before = load();
  const script = here('./latency.bench.ts');
  const args = (mode: string) => ['--mode', mode, '--rate', '5000', '--symbols', '10', '--seconds', String(seconds)];
  log('latency: baseline');
  const base = await runChild<LatencyResult>(script, args('baseline'));
  log('latency: pipeline');
  const pipe = await runChild<LatencyResult>(script, args('pipeline'));
  const three = (s: LatencyResult['toStrategy']): string => `${ms(s.p50)} / ${ms(s.p99)} / ${ms(s.max)}`;
  const durableTarget = pipe.flushIntervalMs + 50;
  const rows: Row[] = [
    {
      benchmark: '2. latency at 5,000 msg/s: frame → processData, p99 ms', figure: ms(pipe.toStrategy.p99), baseline: ms(base.toStrategy.p99),
      ratio: x(pipe.toStrategy.p99 / base.toStrategy.p99), target: '< 2 ms', result: verdict(pipe.toStrategy.p99 < 2),
    },
    {
      benchmark: '2. latency at 5,000 msg/s: frame → durable in DuckDB, p99 ms', figure: ms(pipe.toDurable.p99), baseline: ms(base.toDurable.p99),
      ratio: x(pipe.toDurable.p99 / base.toDurable.p99), target: `< ${durableTarget} ms (flush interval + 50)`,
      result: verdict(pipe.toDurable.p99 < durableTarget && pipe.notDurableAtEnd === 0),
    },
  ];
  const detail = table(
    ['run', 'frame → strategy p50 / p99 / max ms', 'frame → durable p50 / p99 / max ms', 'closed bars measured', 'not durable', 'event-loop delay p50 / p99 / max ms', 'strategy queue p50 / p99 / max', 'client CPU'],
    [base, pipe].map((r) => [r.mode, three(r.toStrategy), three(r.toDurable), int(r.closedBars), int(r.notDurableAtEnd),
      `${ms(r.eventLoopDelay.p50)} / ${ms(r.eventLoopDelay.p99)} / ${ms(r.eventLoopDelay.max)}`,
      r.queueDepth ? `${int(r.queueDepth.p50)} / ${int(r.queueDepth.p99)} / ${int(r.queueDepth.max)}` : '—', pct(r.clientCpu)]),
  );
  const markdown = [
    '## 2. Latency', '',
    stamp(`npm run bench -- --only latency --latency-s ${seconds}`, before), '',
    `5,000 messages/s, steady: 10 symbols, 1s bars, 250 market steps per second evenly spaced (each step: a closed bar and an update per ` +
    `stream, so 2,500 closed bars/s, in bursts of 10 every 4 ms). ${seconds} s measured after a 2 s warm-up; a bar counts when its frame ` +
    'arrived in the window. "Frame arrival" is `bar.receivedAt`, set in the socket\'s message handler; the benchmark gives the provider a ' +
    'sub-millisecond wall clock (`providerDeps.clock`) and the worker reads the same clock (`performance.timeOrigin + performance.now()`).',
    '',
    '- **pipeline → strategy**: bench/fixtures/latency.strategy.ts computes now − `receivedAt` in `processData` and reports the samples in ' +
    'batches of 100 through `api.mark` (one event-log entry per 100 bars, so the probe adds little).',
    '- **pipeline → durable**: the session\'s writer (`DuckDBRealtimeWriter.open` wrapped by the benchmark) reports `writer.flushed` with the ' +
    `durable sequence number; a row is durable at the first such event that covers it. Writer defaults: flush_interval_ms ${pipe.flushIntervalMs}, ` +
    `buffer_size ${pipe.bufferSize}.`,
    '- **baseline**: a bare `ws` client: `JSON.parse`, each closed bar posted to a bare worker thread that answers now − arrival ' +
    '(fire and forget, no one-bar-at-a-time hand-off), and appended with a DuckDB Appender to the same columns and key, flushed on the ' +
    'writer\'s triggers (100 rows or 1 s).',
    '', detail, '',
    pipe.strategyRoundTrip ? `Host-measured strategy round trip per bar (bar sent to the worker → outcome back): p50 ${ms(pipe.strategyRoundTrip.p50)} ms, ` +
      `p99 ${ms(pipe.strategyRoundTrip.p99)} ms, max ${ms(pipe.strategyRoundTrip.max)} ms; bars skipped by the strategy queue: ${int(pipe.skipped ?? 0)}.` : '',
  ].join('\n');
  return { name: 'latency', rows, markdown };
};

// ---------------------------------------------------------------------------------------------------------------
// 3. Writer (bench/writer.bench.ts, owned by the writer; it rewrites its own section)

const writerSection = async (): Promise<Section> => {
  const before = load();
  log('writer: npm run bench:writer (1,000,000 bars; it writes its own ## Writer section)');
  const output = await new Promise<string>((resolve, reject) => {
    let out = '';
    import('node:child_process').then(({ spawn }) => {
      const child = spawn(process.execPath, [here('./writer.bench.ts')], { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, ...(noDocs ? { BENCH_NO_DOCS: '1' } : {}) } });
      child.stdout.setEncoding('utf8');
      child.stdout.on('data', (d: string) => { out += d; process.stdout.write(d); });
      child.on('exit', (code) => (code === 0 ? resolve(out) : reject(new Error(`writer.bench.ts exited ${code}`))));
    }, reject);
  });
  const lines = output.split('\n').filter((l) => l.startsWith('| ') && !l.startsWith('| ---') && !l.startsWith('| run '));
  const cells = lines.map((l) => l.split('|').slice(1, -1).map((c) => c.trim()));
  const num = (s: string | undefined): number => Number((s ?? '').replace(/,/g, ''));
  const base = cells.find((c) => c[0]!.startsWith('baseline'));
  const writers = cells.filter((c) => c[0]!.startsWith('writer'));
  const rows: Row[] = [];
  if (base) {
    for (const w of writers) {
      const rate = num(w[1]);
      rows.push({
        benchmark: `3. writer: ${w[0]}, bars/s (p99 flush ms)`, figure: `${w[1]} (${w[3]})`, baseline: `${base[1]} (${base[3]})`,
        ratio: x(rate / num(base[1])), target: '≥ 150,000 bars/s, p99 flush < 50 ms',
        result: verdict(rate >= 150_000 && num(w[3]) < 50),
      });
    }
  }
  const markdown = [
    '## 3. Writer', '',
    stamp('npm run bench -- --only writer (runs npm run bench:writer)', before), '',
    'The writer\'s own benchmark (bench/writer.bench.ts, 1,000,000 bars across 1,000 symbols with 1% re-deliveries and corrections, exact-once ' +
    'upserts), run as is; its figures, its baseline (row-by-row Appender into the same columns without a key) and its analysis are in the ' +
    '[Writer](#writer) section below, which that benchmark writes. Summary rows: bars/s and p99 flush time per 1,000-row batch against the ' +
    'baseline\'s, with the writer issue\'s targets (≥ 150,000 bars/s, p99 < 50 ms).',
  ].join('\n');
  return { name: 'writer', rows, markdown };
};

// ---------------------------------------------------------------------------------------------------------------
// 4. Memory

const memorySection = async (soakS: number): Promise<Section> => {
  const before = load();
  log(`memory: ${soakS} s soak at 20,000 msg/s`);
  const args = ['--rate', '20000', '--symbols', '1000', '--soak-s', String(soakS), '--mix', 'updates'];
  // (the heap start is measured after the session started, so module loading is not in the growth)
  const r = await runChild<MemoryResult>(here('./memory.bench.ts'), args, ['--expose-gc']);
  const rows: Row[] = [
    {
      benchmark: `4. memory: RSS growth after warm-up (${soakS} s at 20,000 msg/s), MB`, figure: `${int(r.rssEndMb)} (${pct(r.rssGrowth)})`,
      baseline: `${int(r.rssAfterWarmMb)} after warm-up`, ratio: x(r.rssEndMb / r.rssAfterWarmMb), target: '< 1.10× (growth < 10%)',
      result: verdict(r.rssGrowth < 0.1),
    },
    {
      benchmark: '4. memory: heap after the stream stopped (full GC), MB', figure: r.heapAfterStopMb.toFixed(1),
      baseline: `${r.heapStartMb.toFixed(1)} before the stream`, ratio: x(r.heapReturn), target: '≤ 1.10× (back to the start)',
      result: r.gcAvailable ? verdict(r.heapReturn <= 1.1) : 'info',
    },
  ];
  const every = Math.max(1, Math.floor(r.samples.length / 12));
  const timeline = table(
    ['s', 'RSS MB', 'heap total MB', 'heap used MB', 'external MB', 'frames', 'writer buffered', 'strategy queued'],
    r.samples.filter((_, i) => i % every === 0 || i === r.samples.length - 1).map((s) => [
      s.t.toFixed(0), int(s.rss), int(s.heapTotal), int(s.heapUsed), int(s.external), int(s.frames), int(s.writerBuffered), int(s.strategyQueued),
    ]),
  );
  const markdown = [
    '## 4. Memory', '',
    stamp(`npm run bench -- --only memory --soak-s ${soakS}`, before), '',
    `The pipeline of benchmark 1 (no-op strategy, writer defaults) under a steady 20,000 messages/s for ${soakS} s ` +
    `(\`--soak-s 300\` is the issue's full 5-minute soak; the default run is shorter to keep the suite to a few minutes): 1,000 symbols in the ` +
    `**updates** mix (${MIXES.updates.description}), i.e. ≈ 645 closed bars/s. The process runs with \`--expose-gc\`. RSS: median of the five ` +
    `samples after the warm-up (${r.warmS} s) against the median of the last five. Heap: \`heapUsed\` after a full GC once the session runs and ` +
    'before the stream starts (the baseline), and again after the stream stopped and everything received was flushed and handed to the strategy.',
    '',
    `Achieved ${int(r.achievedRate)} msg/s; ${int(r.framesReceived)} of ${int(r.framesExpected)} frames decoded; ${int(r.rows)} rows written; ` +
    `strategy bars skipped ${int(r.strategySkipped)}; writer overflows ${int(r.writerOverflow)}. RSS peak ${int(r.rssPeakMb)} MB, heap peak ${int(r.heapPeakMb)} MB. ` +
    `Heap growth by V8 space between the two full-GC measurements (MB): ${Object.entries(r.heapSpaceGrowthMb).map(([k, v]) => `${k} ${v >= 0 ? '+' : ''}${v.toFixed(1)}`).join(', ') || 'none'}. ` +
    `After the stream: RSS ${int(r.rssAfterStopMb)} MB; DuckDB's \`duckdb_memory()\` (MB): ${Object.entries(r.duckdbMemoryMb).map(([k, v]) => `${k} ${v.toFixed(1)}`).join(', ') || 'unavailable'}.`,
    '', timeline,
  ].join('\n');
  return { name: 'memory', rows, markdown };
};

// ---------------------------------------------------------------------------------------------------------------
// 5. Reconnect

const reconnectSection = async (drops: number): Promise<Section> => {
  const before = load();
  log('reconnect');
  const r = await runChild<ReconnectResult>(here('./reconnect.bench.ts'), ['--symbols', '10', '--drops', String(drops), '--missed', '60']);
  const rows: Row[] = [
    {
      benchmark: '5. reconnect: socket dropped → first frame on the new socket, ms (p50, max)', figure: `${ms(r.toFirstFrame.p50)}, ${ms(r.toFirstFrame.max)}`,
      baseline: `${ms(r.baselineToFirstFrame.p50)}, ${ms(r.baselineToFirstFrame.max)}`, ratio: x(r.toFirstFrame.p50 / r.baselineToFirstFrame.p50),
      target: '< 100 ms', result: verdict(r.toFirstFrame.max < 100),
    },
    {
      benchmark: '5. reconnect: socket dropped → first bar delivered to the session, ms (p50, max)', figure: `${ms(r.toFirstBar.p50)}, ${ms(r.toFirstBar.max)}`,
      baseline: `${ms(r.baselineToFirstFrame.p50)}, ${ms(r.baselineToFirstFrame.max)}`, ratio: x(r.toFirstBar.p50 / r.baselineToFirstFrame.p50),
      target: '< 100 ms', result: verdict(r.toFirstBar.max < 100),
    },
    {
      benchmark: `5. backfill: ${r.missedBars} missed bars (60 per stream): first frame on the new socket → all delivered, ms`, figure: ms(r.backfillMs),
      baseline: `${ms(r.baselineBackfillRestMs)} (bare REST)`, ratio: x(r.backfillMs / r.baselineBackfillRestMs), target: '— (reported)', result: 'info',
    },
  ];
  const detail = table(
    ['measure', 'p50', 'p99', 'max', 'n'],
    ([['sim drops → client sees the close', r.dropToClose], ['close → first kline frame on the new socket', r.toFirstFrame],
      ['close → first bar delivered to the session', r.toFirstBar], ['baseline: close → first kline frame (bare ws, reconnect at once)', r.baselineToFirstFrame]] as const)
      .map(([name, s]) => [name, ms(s.p50), ms(s.p99), ms(s.max), String(s.n)]),
  );
  const markdown = [
    '## 5. Reconnect', '',
    stamp(`npm run bench -- --only reconnect --reconnect-drops ${drops}`, before), '',
    `The simulator (own process) streams 1s bars of ${r.symbols} symbols at ${r.stepsPerSecond} market steps per second (a step every ` +
    `${ms(1000 / r.stepsPerSecond)} ms, so a figure includes up to one step of waiting for data) and cuts every connection without a close frame ` +
    `(the client sees 1006), ${r.drops} times. The session runs without a strategy, with \`reconnect_delay_ms\` = \`reconnect_max_delay_ms\` = 1 ` +
    '(backoff at its minimum). The baseline is a bare `ws` client on the same simulator that reconnects at once, sends the same SUBSCRIBE and ' +
    'waits for its first kline frame.', '',
    detail, '',
    `**Backfill**: one more drop, after which the market moves 60 steps before anyone can reconnect, so every stream misses 60 closed bars (` +
    `${int(r.missedBars)} bars were backfilled, including the steps missed while reconnecting). Drop → all missed bars delivered ` +
    `${ms(r.dropToRecoveredMs)} ms; first frame on the new socket → all delivered ${ms(r.backfillMs)} ms, of which the provider's fixed gap ` +
    `grace is ${r.gapGraceMs} ms and its ${r.backfillRequests} REST requests (\`/api/v3/klines\`, one per stream, concurrent) took ` +
    `${ms(r.backfillRestMs)} ms from the first sent to the last read. Baseline: a bare \`fetch\` of the same 60 bars of every symbol in ` +
    `parallel, ${ms(r.baselineBackfillRestMs)} ms.`,
  ].join('\n');
  return { name: 'reconnect', rows, markdown };
};

// ---------------------------------------------------------------------------------------------------------------
// 6. Start-up

const startupSection = async (runs: number): Promise<Section> => {
  const before = load();
  log(`startup: ${runs} runs per variant`);
  const r = await runChild<StartupResult>(here('./startup.bench.ts'), ['--runs', String(runs)]);
  const rows: Row[] = [
    {
      benchmark: '6. start-up: `argo-realtime record` → first persisted bar, ms (median)', figure: int(r.record.firstDurable),
      baseline: int(r.baseline.firstDurable), ratio: x(r.record.firstDurable / r.baseline.firstDurable), target: '< 500 ms',
      result: verdict(r.record.firstDurable < 500),
    },
    {
      benchmark: '6. start-up: the same with flush_interval_ms 100, ms (median)', figure: int(r.recordFastFlush.firstDurable),
      baseline: int(r.baseline.firstDurable), ratio: x(r.recordFastFlush.firstDurable / r.baseline.firstDurable), target: '< 500 ms',
      result: verdict(r.recordFastFlush.firstDurable < 500),
    },
    {
      benchmark: '6. start-up: `argo-realtime --help` (built package, dist/), ms to exit (median)', figure: r.help.dist === undefined ? 'not built' : int(r.help.dist),
      baseline: `${int(r.help.bareNode)} (\`node -e 0\`)`, ratio: r.help.dist === undefined ? '—' : x(r.help.dist / r.help.bareNode), target: '< 200 ms',
      result: r.help.dist === undefined ? 'info' : verdict(r.help.dist < 200),
    },
    {
      benchmark: '6. start-up: `node src/cli/main.ts --help` (from source, type stripping), ms to exit (median)', figure: int(r.help.src),
      baseline: `${int(r.help.bareNode)} (\`node -e 0\`)`, ratio: x(r.help.src / r.help.bareNode), target: '< 200 ms', result: verdict(r.help.src < 200),
    },
  ];
  const detail = table(
    ['variant', 'JavaScript running (modules loaded)', 'writer open', 'first closed bar received', 'first bar durable', 'all runs: first durable'],
    (['record', 'recordFastFlush', 'baseline'] as const).map((k) => [
      k === 'record' ? 'record (defaults)' : k === 'recordFastFlush' ? 'record, flush_interval_ms 100' : 'baseline (bare program)',
      int(r[k].jsStart), int(r[k].writerOpened), int(r[k].firstBar), `**${int(r[k].firstDurable)}**`, r.all[k].map((x) => int(x.firstDurable)).join(', '),
    ]),
  );
  const markdown = [
    '## 6. Start-up', '',
    stamp(`npm run bench -- --only startup --startup-runs ${runs}`, before), '',
    'The simulator runs in its own process beforehand (a closed 1s bar every 10 ms). Each run spawns a fresh process against a fresh ' +
    `DuckDB file and measures from \`spawn()\` to the first bar durable; medians of ${runs} runs per variant, interleaved. ` +
    '"JavaScript running" is when the preloaded probe\'s body runs, after its imports (the writer and the stream tracker, and so DuckDB, ' +
    'XState and effect) are loaded. Commands (the probe only reports milestones on stderr):', '',
    `- record: \`${r.commands.record}\``,
    `- record with \`storage_config.flush_interval_ms: 100\` from a config file: \`${r.commands.recordFastFlush.replace(/--config \S+/, '--config fast-flush.yaml')}\``,
    `- baseline: \`${r.commands.baseline}\` (bench/support/startup-baseline.ts: DuckDB file and keyed table, \`ws\` SUBSCRIBE, the first closed bar appended and flushed)`,
    '', 'Milestones, ms after spawn (medians):', '', detail, '',
    `\`--help\`, ms from spawn to exit (median of ${runs}; every run): built package \`node dist/src/cli/main.js --help\` ` +
    `${r.help.dist === undefined ? 'not built (npm run build)' : `${int(r.help.dist)} (${r.help.all.dist.map(int).join(', ')})`}; from source ` +
    `\`node src/cli/main.ts --help\` ${int(r.help.src)} (${r.help.all.src.map(int).join(', ')}); \`node -e 0\` ${int(r.help.bareNode)} ` +
    `(${r.help.all.bareNode.map(int).join(', ')}).`,
  ].join('\n');
  return { name: 'startup', rows, markdown };
};

// ---------------------------------------------------------------------------------------------------------------
// 9. Isolation (bench/isolation.bench.ts)

const isolationSection = async (seconds: number): Promise<Section> => {
  const before = load();
  const script = here('./isolation.bench.ts');
  const host = async (strategy: string, misbehaviour?: string): Promise<IsolationHostResult> => {
    log(`isolation: host pace, ${misbehaviour ?? strategy} strategy`);
    return runChild<IsolationHostResult>(script, ['--mode', 'host', '--strategy', strategy, '--seconds', String(seconds), ...(misbehaviour ? ['--misbehaviour', misbehaviour] : [])]);
  };
  // The idle baseline is run at the start, the middle and the end (the machine's load drifts), and its median is used.
  const single = MISBEHAVIOURS.filter((m) => m !== 'all');
  const idles = [await host('idle')];
  const hostile = await host('hostile', 'all');
  const singles: IsolationHostResult[] = [];
  for (const [i, m] of single.entries()) {
    if (i === Math.floor(single.length / 2)) idles.push(await host('idle'));
    singles.push(await host('hostile', m));
  }
  idles.push(await host('idle'));
  const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
  const idle: IsolationHostResult = {
    ...idles[0]!,
    durablePerSecond: median(idles.map((r) => r.durablePerSecond)),
    eventLoopDelay: { p50: median(idles.map((r) => r.eventLoopDelay.p50)), p99: median(idles.map((r) => r.eventLoopDelay.p99)), max: median(idles.map((r) => r.eventLoopDelay.max)) },
    eventLoopUtilization: median(idles.map((r) => r.eventLoopUtilization)),
  };
  const worst = singles.reduce((w, r) => (r.eventLoopDelay.p99 > w.eventLoopDelay.p99 ? r : w));
  const cost = async (isolation: string): Promise<IsolationCostResult> => {
    log(`isolation: runtime cost, ${isolation}`);
    return runChild<IsolationCostResult>(script, ['--mode', 'cost', '--isolation', isolation, '--bars', '5000']);
  };
  const trusted = await cost('trusted');
  const sandbox = await cost('sandbox');
  const latency = async (isolation: string): Promise<LatencyResult> => {
    log(`isolation: pipeline latency, ${isolation}`);
    return runChild<LatencyResult>(here('./latency.bench.ts'), ['--mode', 'pipeline', '--rate', '5000', '--symbols', '10', '--seconds', '10', '--isolation', isolation]);
  };
  const latTrusted = await latency('trusted');
  const latSandbox = await latency('sandbox');
  const durableRatio = hostile.durablePerSecond / idle.durablePerSecond;
  const delayRatio = hostile.eventLoopDelay.p99 / idle.eventLoopDelay.p99;
  const worstRatio = worst.eventLoopDelay.p99 / idle.eventLoopDelay.p99;
  const worstDurable = Math.min(...singles.map((r) => r.durablePerSecond / idle.durablePerSecond));
  const rows: Row[] = [
    {
      benchmark: '9. isolation: bars durable per second, hostile vs idle strategy', figure: int(hostile.durablePerSecond), baseline: int(idle.durablePerSecond),
      ratio: x(durableRatio), target: '≥ 0.90×', result: verdict(durableRatio >= 0.9),
    },
    {
      benchmark: '9. isolation: main-thread event-loop delay p99 ms, hostile vs idle strategy', figure: ms(hostile.eventLoopDelay.p99), baseline: ms(idle.eventLoopDelay.p99),
      ratio: x(delayRatio), target: '≤ 1.10×', result: verdict(delayRatio <= 1.1),
    },
    {
      benchmark: `9. isolation: event-loop delay p99 ms, worst single misbehaviour (${worst.misbehaviour}) vs idle`, figure: ms(worst.eventLoopDelay.p99), baseline: ms(idle.eventLoopDelay.p99),
      ratio: x(worstRatio), target: '≤ 1.10×', result: verdict(worstRatio <= 1.1),
    },
    {
      benchmark: '9. isolation: bars durable per second, worst single misbehaviour vs idle', figure: x(worstDurable), baseline: '1.00×',
      ratio: x(worstDurable), target: '≥ 0.90×', result: verdict(worstDurable >= 0.9),
    },
    {
      benchmark: '9. sandbox cost: frame → processData p99 ms at 5,000 msg/s, sandbox vs trusted', figure: ms(latSandbox.toStrategy.p99), baseline: ms(latTrusted.toStrategy.p99),
      ratio: x(latSandbox.toStrategy.p99 / latTrusted.toStrategy.p99), target: '(measured)', result: 'info',
    },
    {
      benchmark: '9. sandbox cost: ma-cross bars per second through the runtime, sandbox vs trusted', figure: int(sandbox.barsPerSecond), baseline: int(trusted.barsPerSecond),
      ratio: x(sandbox.barsPerSecond / trusted.barsPerSecond), target: '(measured)', result: 'info',
    },
  ];
  const three = (s: { p50: number; p99: number; max: number }): string => `${ms(s.p50)} / ${ms(s.p99)} / ${ms(s.max)}`;
  const markdown = [
    '## 9. Strategy isolation', '',
    stamp(`npm run bench -- --only isolation --isolation-s ${seconds}`, before), '',
    `**Host pace.** A session at 2,000 msg/s (10 symbols, 1s bars: 1,000 closed bars/s), ${seconds} s measured after a 3 s warm-up, ` +
    'with bench/fixtures/noop.strategy.ts and with bench/fixtures/hostile.strategy.ts (`all`), which on every bar it gets does one of: ' +
    'an endless loop, 10,000 orders at once, six slow queries, 1,000 log lines with forged newlines, a heap bomb, a huge query result. ' +
    'Then each misbehaviour alone on every bar (`--misbehaviour`, the config of the hostile strategy), adding a blocking sleep (a 500 ms ' +
    'busy wait), an ArrayBuffer bomb, malformed host calls with huge arguments and log/mark floods (`forged`), and a crash (a throw in ' +
    '`processData` and in a timer) on every bar. All in the default sandbox. Event-loop delay and utilisation are the host\'s main thread ' +
    '(`monitorEventLoopDelay`, 1 ms resolution; `performance.eventLoopUtilization`); durable rows are counted from the writer\'s ' +
    '`writer.flushed` events. The idle strategy ran three times (start, middle, end); the ratios use the median of its figures ' +
    `(idle p99s: ${idles.map((r) => ms(r.eventLoopDelay.p99)).join(', ')} ms).`, '',
    table(['strategy', 'durable rows/s', 'frames/s', 'event-loop delay p50 / p99 / max ms', 'p99 vs idle', 'loop busy', 'bars processed / failed / timed out', 'restarts', 'skipped by the queue'],
      [idle, hostile, ...singles].map((r) => [r.misbehaviour ? `hostile: ${r.misbehaviour}` : 'idle (median)', int(r.durablePerSecond), int(r.framesPerSecond), three(r.eventLoopDelay),
        x(r.eventLoopDelay.p99 / idle.eventLoopDelay.p99), pct(r.eventLoopUtilization),
        `${int(r.strategy_.processed)} / ${int(r.strategy_.failed)} / ${int(r.strategy_.timedOut)}`, int(r.strategy_.restarts), int(r.strategy_.skipped)])),
    '',
    '**What the sandbox costs.** The strategy runtime alone, examples/ma-cross.strategy.ts fed 5,000 bars one after the other after 200 ' +
    'warm-up bars (host-measured round trip, bar sent → outcome), and the latency benchmark\'s pipeline (section 2) with each isolation:', '',
    table(['isolation', 'runtime: bars/s', 'runtime: round trip p50 / p99 / max ms', 'load (import + initialize) ms', 'pipeline: frame → processData p50 / p99 / max ms'],
      [[trusted, latTrusted], [sandbox, latSandbox]].map(([c, l]) => {
        const r = c as IsolationCostResult;
        return [r.isolation, int(r.barsPerSecond), three(r.roundTrip), ms(r.loadMs), three((l as LatencyResult).toStrategy)];
      })),
  ].join('\n');
  return { name: 'isolation', rows, markdown };
};

// ---------------------------------------------------------------------------------------------------------------
// 8. Resident memory before the first message

const rssSection = async (symbols: number): Promise<Section> => {
  const before = load();
  log(`rss: record session, ${symbols} symbols, before the first message`);
  const r = await runChild<RssResult>(here('./rss.bench.ts'), ['--symbols', String(symbols)], ['--expose-gc']);
  const mb1 = (n: number): string => n.toFixed(1);
  const detail = table(
    ['step', 'RSS MB', 'Δ RSS MB', 'heap used MB', 'heap total MB', 'external MB', 'V8 code MB'],
    r.steps.map((s, i) => [s.step, mb1(s.rss), i === 0 ? '—' : `+${mb1(s.rss - r.steps[i - 1]!.rss)}`, mb1(s.heapUsed), mb1(s.heapTotal), mb1(s.external), mb1(s.codeSpace)]),
  );
  const markdown = [
    '## 8. Resident memory before the first message', '',
    stamp(`npm run bench -- --only rss --rss-symbols ${symbols}`, before), '',
    `One fresh process (bench/rss.bench.ts, \`--expose-gc\`, a full GC before each measurement) loads what \`argo-realtime record\` ` +
    `loads, step by step, then opens a DuckDB store on its own (to see DuckDB's share) and starts the record session for ${int(symbols)} ` +
    'symbols against a paused simulator in its own process (connected and subscribed, no message sent). `process.memoryUsage()` and V8\'s ' +
    'code space after each step:', '', detail, '',
    `DuckDB on the session's instance: \`threads\` ${r.duckdb.threads}, \`memory_limit\` ${r.duckdb.memoryLimit}; \`duckdb_memory()\` ` +
    `(MB, non-zero tags): ${Object.entries(r.duckdb.memory).map(([k, v]) => `${k} ${v.toFixed(2)}`).join(', ') || 'none'}; temporary storage ${r.duckdb.temporary.toFixed(1)} MB.`,
  ].join('\n');
  const last = r.steps.at(-1)!;
  return {
    name: 'rss',
    rows: [{ benchmark: `8. memory: RSS of a record session (${int(symbols)} symbols) before its first message, MB`, figure: int(last.rss - (r.steps[5]!.rss - r.steps[4]!.rss)),
      baseline: `${int(r.steps[0]!.rss)} (node + type stripper)`, ratio: x((last.rss - (r.steps[5]!.rss - r.steps[4]!.rss)) / r.steps[0]!.rss), target: '— (reported; the peak targets are in 7.)', result: 'info' }],
    markdown,
  };
};

// ---------------------------------------------------------------------------------------------------------------
// Doc

const SUMMARY_START = '<!-- bench-suite:summary:start (generated by npm run bench; edit bench/run.ts) -->';
const SUMMARY_END = '<!-- bench-suite:summary:end -->';
const sectionStart = (name: Name): string => `<!-- bench-suite:${name}:start (generated by npm run bench) -->`;
const sectionEnd = (name: Name): string => `<!-- bench-suite:${name}:end -->`;
const ROWS_TAG = 'bench-suite-rows:';

const summaryTable = (rows: readonly Row[]): string =>
  table(['benchmark', 'figure', 'baseline (same run)', 'ratio', 'target', 'result'], rows.map((r) => [r.benchmark, r.figure, r.baseline, r.ratio, r.target, r.result === 'FAIL' ? '**FAIL**' : r.result]));

/** Replaces `start…end` in `text`, or inserts the block before `## Writer` (or at the end). */
const upsertBlock = (text: string, start: string, end: string, body: string): string => {
  const block = `${start}\n${body}\n${end}`;
  const key = start.slice(0, start.indexOf(' ('));
  const i = text.indexOf(key);
  const j = text.indexOf(end);
  if (i >= 0 && j > i) return text.slice(0, i) + block + text.slice(j + end.length);
  const writer = text.indexOf('\n## Writer');
  return writer >= 0 ? `${text.slice(0, writer).trimEnd()}\n\n${block}\n${text.slice(writer)}` : `${text.trimEnd()}\n\n${block}\n`;
};

const writeDoc = (sections: readonly Section[]): void => {
  let text = fs.existsSync(DOC) ? fs.readFileSync(DOC, 'utf8') : '# Benchmarks\n';
  for (const name of NAMES) {
    const s = sections.find((x) => x.name === name);
    if (!s) continue;
    text = upsertBlock(text, sectionStart(name), sectionEnd(name), `<!-- ${ROWS_TAG}${JSON.stringify(s.rows)} -->\n${s.markdown}`);
  }
  // The summary gathers the rows of every section in the doc (sections not run this time keep their last figures).
  const rows: Row[] = [];
  for (const name of NAMES) {
    const i = text.indexOf(sectionStart(name));
    if (i < 0) continue;
    const m = text.slice(i).match(new RegExp(`<!-- ${ROWS_TAG}(.*?) -->`));
    if (m) rows.push(...(JSON.parse(m[1]!) as Row[]));
  }
  const summary = [
    '`npm run bench` (bench/run.ts) runs every benchmark below, each in its own processes, against the Binance simulator in its own ' +
    'process; `--only ingest,latency` selects, `--soak-s 300` runs the full memory soak, `--no-docs` only prints; the peer ' +
    'baselines of section 7 (the `binance` SDK, ccxt) are optional: `npm run bench:peers:install` installs them into bench/peers/. The machines are ' +
    '2-core, shared and noisy, so every figure sits next to a **baseline measured in the same run** and the ratio is what travels. ' +
    'Each section below states its own date, machine, load and command. Analysis of the misses: [Findings](#findings).', '',
    summaryTable(rows),
  ].join('\n');
  text = upsertBlock(text, SUMMARY_START, SUMMARY_END, summary);
  // The summary comes first: move it right under the title when it was just appended.
  const s0 = text.indexOf(SUMMARY_START);
  const title = text.indexOf('\n', text.indexOf('# Benchmarks')) + 1;
  const firstSection = Math.min(...NAMES.map((n) => text.indexOf(sectionStart(n))).filter((i) => i >= 0));
  if (s0 > firstSection) {
    const e0 = text.indexOf(SUMMARY_END) + SUMMARY_END.length;
    const block = text.slice(s0, e0);
    text = `${text.slice(0, s0).trimEnd()}\n${text.slice(e0)}`;
    text = `${text.slice(0, title)}\n${block}\n${text.slice(title)}`;
  }
  fs.writeFileSync(DOC, `${text.replace(/\n{3,}/g, '\n\n').trimEnd()}\n`);
};

// ---------------------------------------------------------------------------------------------------------------

const log = (text: string): void => console.error(`[bench ${new Date().toISOString().slice(11, 19)}] ${text}`);
const f = flags(process.argv.slice(2));
const noDocs = f['no-docs'] === 'true';
const only = f.only ? f.only.split(',').map((s) => s.trim()) : [...NAMES];
for (const name of only) if (!(NAMES as readonly string[]).includes(name)) throw new Error(`unknown benchmark ${name}; expected ${NAMES.join(', ')}`);

const runners: Record<Name, () => Promise<Section>> = {
  ingest: () => ingestSection(Number(f['ingest-s'] ?? 5)),
  latency: () => latencySection(Number(f['latency-s'] ?? 10)),
  writer: () => writerSection(),
  memory: () => memorySection(Number(f['soak-s'] ?? 60)),
  reconnect: () => reconnectSection(Number(f['reconnect-drops'] ?? 10)),
  startup: () => startupSection(Number(f['startup-runs'] ?? 5)),
  isolation: () => isolationSection(Number(f['isolation-s'] ?? 20)),
  rss: () => rssSection(Number(f['rss-symbols'] ?? 1000)),
  bus: async () => ({ name: 'bus', ...(await busSection({ script: here('./bus.bench.ts'), bars: Number(f['bus-bars'] ?? 100_000), symbols: Number(f['bus-symbols'] ?? 10), latencyS: Number(f['bus-latency-s'] ?? 10), stamp, before: load(), log, table })) }),
  peers: async () => ({
    name: 'peers',
    ...(await peersSection({
      symbols: (f['peer-symbols'] ?? '10,1000').split(',').map(Number), messages: Number(f['peer-messages'] ?? 200_000),
      runs: Number(f['peer-runs'] ?? 3), script: here('./peers.bench.ts'), stamp, log, table, ...(f['peer-results'] ? { from: f['peer-results'] } : {}),
    })),
  }),
};

const started = performance.now();
const sections: Section[] = [];
for (const name of NAMES) {
  if (!only.includes(name)) continue;
  try {
    sections.push(await runners[name]());
  } catch (e) {
    log(`${name} failed: ${(e as Error).stack ?? String(e)}`);
    process.exitCode = 1;
  }
}
console.log(`\n${summaryTable(sections.flatMap((s) => s.rows))}\n`);
log(`done in ${((performance.now() - started) / 1000).toFixed(0)} s`);
if (!noDocs && sections.length > 0) {
  writeDoc(sections);
  log(`wrote ${path.relative(ROOT, DOC)}`);
}
