/**
 * `--metrics` on every session command, as a user runs it: `record` and `run` against the Binance simulator on
 * loopback, `demo`, and `replay` of the demo's recording. Each scrape is taken once the session has bars (and,
 * with a strategy, strategy latencies), read back by a Prometheus text-format parser, and checked with
 * `promtool check metrics` where it is installed (always in CI).
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import parsePrometheus from 'parse-prometheus-text-format';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startBinanceSimulator, type BinanceSimulator } from '../../src/sim/binance/index.ts';
import { hasPromtool, promtoolCheck } from '../support/promtool.ts';
import { followTrace, type TraceFollower } from '../support/trace-follow.ts';
import { startCli, type CliChild } from './helpers.ts';

const dir = mkdtempSync(join(tmpdir(), 'argo-cli-metrics-'));
const promtool = hasPromtool();

/** A trace file for a child to write, followed from here: its changes say when the session's figures may have moved. */
const traced = (name: string): { args: string[]; trace: TraceFollower } => {
  const path = join(dir, `${name}.trace.jsonl`);
  return { args: ['--trace', path], trace: followTrace(path) };
};

/** Scrapes until `ready` holds for the parsed families (the session fills its stats as bars arrive). */
const scrapeWhen = async (cli: CliChild, trace: TraceFollower, ready: (text: string) => boolean): Promise<string> => {
  await cli.waitFor(/metrics: http:\/\/127\.0\.0\.1:\d+\/metrics/);
  const url = /metrics: (http:\/\/127\.0\.0\.1:\d+\/metrics)/.exec(cli.stdout())![1]!;
  for (;;) {
    const res = await fetch(url).catch(() => undefined);
    if (res?.status === 200) {
      const text = await res.text();
      if (ready(text)) return text;
    }
    // The next scrape follows the session's next figures: the next trace lines (bars, strategy turns) say they moved.
    await Promise.race([cli.exited().then(() => { throw new Error(`exited before the scrape was ready:\n${cli.stdout()}\n${cli.stderr()}`); }), trace.changed()]);
  }
};

const check = async (cli: CliChild, trace: TraceFollower, withStrategy: boolean): Promise<void> => {
  const positive = (name: string) => (text: string) => new RegExp(`^${name}\\{[^}]*\\} [1-9]`, 'm').test(text);
  const text = await scrapeWhen(cli, trace, (t) => positive('argo_bars_received_total')(t) && (!withStrategy || positive('argo_strategy_latency_seconds_count')(t)))
    .finally(() => trace.close());
  const families = new Map(parsePrometheus(text).map((f) => [f.name, f]));
  expect(families.get('argo_bars_received_total')?.type).toBe('COUNTER');
  expect(families.has('argo_strategy_latency_seconds')).toBe(withStrategy);
  if (withStrategy) expect(families.get('argo_strategy_latency_seconds')?.type).toBe('SUMMARY');
  expect(text).not.toMatch(/_avg\{/);
  if (promtool) expect(promtoolCheck(text)).toEqual({ status: 0, problems: '' });
};

describe('--metrics on every session command', () => {
  let sim: BinanceSimulator;
  beforeAll(async () => {
    sim = await startBinanceSimulator({ seed: 11, tickMs: 50, marketStepMs: 20_000, symbols: ['BTCUSDT', 'ETHUSDT'] });
  });
  afterAll(async () => {
    await sim.close();
  });
  const urls = () => ['--ws-url', sim.wsUrl, '--rest-url', sim.restUrl];

  it('serves a promtool-clean scrape during record', async () => {
    const { args, trace } = traced('record');
    const cli = startCli(['record', '--symbols', 'BTCUSDT', '--out', join(dir, 'record.duckdb'), ...urls(), '--metrics', '0', ...args]);
    await check(cli, trace, false);
    cli.child.kill('SIGTERM');
    expect((await cli.exited()).code).toBe(0);
  });

  it('serves a promtool-clean scrape during run, with strategy latency as a summary', async () => {
    const config = join(dir, 'run.yaml');
    writeFileSync(config, [
      'session:',
      '  realtime_provider: binance-realtime',
      `  realtime_provider_config: { ws_url: "${sim.wsUrl}", rest_url: "${sim.restUrl}", backfill_on_start_bars: 10 }`,
      '  trading_provider: paper',
      `  storage_config: { output_path: "${join(dir, 'run.duckdb')}", flush_interval_ms: 200 }`,
      '  symbols: [BTCUSDT, ETHUSDT]',
      'strategy:',
      `  path: ${join(process.cwd(), 'examples/ma-cross.strategy.ts')}`,
      '  config: { fast: 2, slow: 5 }',
    ].join('\n'));
    const { args, trace } = traced('run');
    const cli = startCli(['run', '--config', config, '--metrics', '0', ...args]);
    await check(cli, trace, true);
    cli.child.kill('SIGTERM');
    expect((await cli.exited()).code).toBe(0);
  });

  it('serves a promtool-clean scrape during demo and during a replay of its recording', async () => {
    const db = join(dir, 'demo.duckdb');
    const demoTrace = traced('demo');
    const demo = startCli(['demo', '--duration', '5', '--db', db, '--metrics', '0', ...demoTrace.args]);
    await check(demo, demoTrace.trace, true);
    expect((await demo.exited()).code).toBe(0);
    // At 1x the replay paces the bars as recorded, so it runs for seconds: long enough to be scraped.
    const replayTrace = traced('replay');
    const replay = startCli(['replay', '--db', db, '--strategy', 'examples/ma-cross.strategy.ts', '--strategy-config', '{"fast":2,"slow":5}', '--speed', '1x', '--out', join(dir, 'replay.duckdb'), '--metrics', '0', ...replayTrace.args]);
    await check(replay, replayTrace.trace, true);
    const done = await replay.exited();
    expect(done.code, done.stderr).toBe(0);
  });
}, 120_000);
