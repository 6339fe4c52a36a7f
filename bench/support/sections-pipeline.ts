/**
 * Sections 1–4 of `npm run bench`: ingest, latency, writer (run as its own benchmark) and the memory soak; each
 * runs its benchmark in child processes and renders its summary rows and doc section.
 */
import type { IngestResult } from '../ingest.bench.ts';
import type { LatencyResult } from '../latency.bench.ts';
import type { MemoryResult } from '../memory.bench.ts';
import { runChild } from './common.ts';
import { MIXES } from './mix.ts';
import { here, int, load, log, ms, pct, ROOT, stamp, table, verdict, x, type Row, type Section } from './report.ts';

// ---------------------------------------------------------------------------------------------------------------
// 1. Ingest

export const ingestSection = async (seconds: number): Promise<Section> => {
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

export const latencySection = async (seconds: number): Promise<Section> => {
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
    pipe.strategyRoundTrip ? `Host-measured strategy round trip per bar (the bar's start, its batch sent or the bar before it answered → outcome back): p50 ${ms(pipe.strategyRoundTrip.p50)} ms, ` +
      `p99 ${ms(pipe.strategyRoundTrip.p99)} ms, max ${ms(pipe.strategyRoundTrip.max)} ms; bars skipped by the strategy queue: ${int(pipe.skipped ?? 0)}` +
      `${pipe.batchSize !== undefined ? `; bars per message to the worker (batch size, mean over the run): ${pipe.batchSize}` : ''}.` : '',
  ].join('\n');
  return { name: 'latency', rows, markdown };
};

// ---------------------------------------------------------------------------------------------------------------
// 3. Writer (bench/writer.bench.ts, owned by the writer; it rewrites its own section)

export const writerSection = async (noDocs: boolean): Promise<Section> => {
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

export const memorySection = async (soakS: number): Promise<Section> => {
  const before = load();
  log(`memory: ${soakS} s soak at 20,000 msg/s`);
  const args = ['--rate', '20000', '--symbols', '1000', '--soak-s', String(soakS), '--mix', 'updates'];
  // (the heap start is measured after the session started, so module loading is not in the growth)
  const r = await runChild<MemoryResult>(here('./memory.bench.ts'), args);
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
    `**updates** mix (${MIXES.updates.description}), i.e. ≈ 645 closed bars/s. The process exposes \`gc\` to itself (\`v8.setFlagsFromString('--expose-gc')\`). RSS: median of the five ` +
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
