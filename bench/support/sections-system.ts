/**
 * Sections 5, 6, 8 and 9 of `npm run bench`: reconnect, start-up, resident memory before the first message and
 * strategy isolation; each runs its benchmark in child processes and renders its summary rows and doc section.
 */
import type { IsolationCostResult, IsolationHostResult } from '../isolation.bench.ts';
import type { LatencyResult } from '../latency.bench.ts';
import type { ReconnectResult } from '../reconnect.bench.ts';
import type { RssResult } from '../rss.bench.ts';
import type { StartupResult } from '../startup.bench.ts';
import { MISBEHAVIOURS } from '../fixtures/hostile.strategy.ts';
import { runChild } from './common.ts';
import { here, int, load, log, ms, pct, stamp, table, verdict, x, type Row, type Section } from './report.ts';

// ---------------------------------------------------------------------------------------------------------------
// 5. Reconnect

export const reconnectSection = async (drops: number): Promise<Section> => {
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

export const startupSection = async (runs: number): Promise<Section> => {
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

export const isolationSection = async (seconds: number): Promise<Section> => {
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

export const rssSection = async (symbols: number): Promise<Section> => {
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
