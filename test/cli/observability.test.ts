/**
 * The observability and replay commands end to end, as child processes: a demo with --trace and --metrics, the
 * trace summary showing its reconnects, replay determinism from the CLI, and the live-trading guard.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli, startCli } from './helpers.ts';

describe('observability and replay commands', () => {
  it('traces a demo, summarises its reconnects, and replays its recording to the same orders twice', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'argo-cli-obs-'));
    const db = join(dir, 'demo.duckdb');
    const trace = join(dir, 'trace.jsonl');
    const demo = startCli(['demo', '--duration', '5', '--db', db, '--trace', trace, '--metrics', '0']);
    await demo.waitFor(/metrics: http:\/\/127\.0\.0\.1:\d+\/metrics/, 20_000);
    const url = /metrics: (http:\/\/127\.0\.0\.1:\d+\/metrics)/.exec(demo.stdout())![1]!;
    await demo.waitFor(/session running/, 20_000);
    const scrape = await (await fetch(url)).text();
    expect(scrape).toMatch(/^argo_bars_received_total\{session="[^"]+"\} \d+/m);
    const done = await demo.exited();
    expect(done.code, done.stderr).toBe(0);

    const summary = await runCli(['trace', 'summarize', trace]);
    expect(summary.code, summary.stderr).toBe(0);
    expect(summary.stdout).toMatch(/reconnect/i);

    const replays = [];
    for (const out of ['a.duckdb', 'b.duckdb']) {
      const r = await runCli(['replay', '--db', db, '--strategy', 'examples/ma-cross.strategy.ts', '--strategy-config', '{"fast":2,"slow":5}', '--flush-every', '20', '--out', join(dir, out)]);
      expect(r.code, r.stderr).toBe(0);
      replays.push(r.stdout.split('\n').filter((l) => /^\s+(\S+ (BUY|SELL)|orders \d)/.test(l)));
    }
    expect(replays[0]!.length).toBeGreaterThan(1);
    expect(replays[1]).toEqual(replays[0]);
  }, 90_000);

  it('refuses a live trading provider without --live, naming what is missing', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'argo-cli-live-'));
    const config = join(dir, 'live.yaml');
    writeFileSync(config, [
      'session:',
      '  realtime_provider: binance-realtime',
      '  realtime_provider_config: { ws_url: "ws://127.0.0.1:9", rest_url: "http://127.0.0.1:9", validate_symbols: false }',
      '  trading_provider: binance-live',
      '  trading_provider_config: { api_key: "${K}", secret_key: "${S}", live: true, rest_url: "http://127.0.0.1:9" }',
      `  storage_config: { output_path: "${join(dir, 'live.duckdb')}" }`,
      '  symbols: [BTCUSDT]',
      'strategy:',
      '  path: ' + join(process.cwd(), 'examples/ma-cross.strategy.ts'),
    ].join('\n'));
    const r = await runCli(['run', '--config', config, '--duration', '3'], { env: { K: 'key-value-123', S: 'secret-value-456' } });
    expect(r.code).toBe(2);
    expect(r.stdout + r.stderr).toMatch(/--live/);
    expect(r.stdout + r.stderr).not.toContain('secret-value-456');
  }, 30_000);
});
