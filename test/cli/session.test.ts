import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startBinanceSimulator, type BinanceSimulator } from '../../src/sim/binance/index.ts';
import { followTrace } from '../support/trace-follow.ts';
import { runCli, startCli } from './helpers.ts';

const dir = mkdtempSync(join(tmpdir(), 'argo-cli-session-'));

const rows = async (db: string, sql: string): Promise<Record<string, unknown>[]> => {
  const instance = await DuckDBInstance.create(db, { access_mode: 'READ_ONLY' });
  const connection = await instance.connect();
  try {
    return (await connection.runAndReadAll(sql)).getRowObjectsJS().map((r) =>
      Object.fromEntries(Object.entries(r).map(([k, v]) => [k, typeof v === 'bigint' ? Number(v) : v])));
  } finally {
    connection.closeSync();
    instance.closeSync();
  }
};

/** Stored bars of one symbol against the simulator's closed bars from the first stored one on. */
const compareWithSimulator = async (sim: BinanceSimulator, db: string, symbol: string) => {
  const stored = await rows(db, `SELECT epoch_ms("timestamp")::DOUBLE AS t, open, high, low, close, volume FROM realtime_market_data WHERE symbol = '${symbol}' ORDER BY "timestamp"`);
  const truth = stored.length ? sim.closedBars(symbol, '1m', Number(stored[0]!.t)) : [];
  return {
    stored: stored.map((r) => [Number(r.t), r.open, r.high, r.low, r.close, r.volume]),
    truth: truth.map((k) => [k.t, Number(k.o), Number(k.h), Number(k.l), Number(k.c), Number(k.v)]),
  };
};

describe('argo-realtime demo', () => {
  it('streams from the simulator, trades with the paper broker and leaves bars and orders in DuckDB', async () => {
    const db = join(dir, 'demo.duckdb');
    const r = await runCli(['demo', '--duration', '6', '--db', db]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('every closed bar of the simulator is in the file exactly once');
    expect(r.stdout).toMatch(/orders\s+[1-9]\d* placed/);
    expect(r.stdout).toContain(`argo-realtime query --db ${db}`);
    const bars = await rows(db, 'SELECT symbol, count(*) AS n FROM realtime_market_data GROUP BY symbol ORDER BY symbol');
    expect(bars.map((b) => b.symbol)).toEqual(['BTCUSDT', 'ETHUSDT', 'SOLUSDT']);
    expect(bars.every((b) => Number(b.n) >= 10)).toBe(true);
    const orders = await rows(db, "SELECT count(*) AS n FROM session_events WHERE type = 'broker:broker.order.place'");
    expect(Number(orders[0]!.n)).toBeGreaterThan(0);
    // The summary's sample query runs as printed.
    const sample = /argo-realtime query --db \S+ '([^']+)'/.exec(r.stdout)![1]!;
    const q = await runCli(['query', '--db', db, sample]);
    expect(q.code).toBe(0);
    expect(q.stdout).toMatch(/BTCUSDT\s+\d+/);
  });
});

describe('argo-realtime record', () => {
  let sim: BinanceSimulator;
  beforeAll(async () => {
    // One market minute every 150 ms: each symbol closes several 1m bars a second.
    sim = await startBinanceSimulator({ seed: 7, tickMs: 50, marketStepMs: 20_000, symbols: ['BTCUSDT', 'ETHUSDT', 'SOLUSDT'] });
  });
  afterAll(async () => {
    await sim.close();
  });

  it('writes exactly the simulator\'s closed bars and stops cleanly on SIGTERM', async () => {
    const db = join(dir, 'record.duckdb');
    const config = join(dir, 'record.yaml');
    writeFileSync(config, [
      'session:',
      '  realtime_provider: binance-realtime',
      '  realtime_provider_config:',
      '    ws_url: ${SIM_WS_URL}',
      '    rest_url: ${SIM_REST_URL}',
      '  storage_config:',
      `    output_path: ${db}`,
      '    flush_interval_ms: 200',
      '  symbols: [BTCUSDT, ETHUSDT]',
      '  interval: 1m',
    ].join('\n'));
    sim.resume();
    // The child's trace tells which bars its session received: the waits below end on them, not on time.
    const tracePath = join(dir, 'record.trace.jsonl');
    const trace = followTrace(tracePath);
    const cli = startCli(['record', '--config', config, '--trace', tracePath], { env: { SIM_WS_URL: sim.wsUrl, SIM_REST_URL: sim.restUrl } });
    await cli.waitFor(/session running/);
    await trace.until(() => trace.bars('BTCUSDT') >= 8 && trace.bars('ETHUSDT') >= 8, 'eight bars of each symbol');
    // Stop the market and let the last closed bars arrive: then the file must hold every one of them.
    sim.pause();
    const last = (symbol: string) => sim.closedBars(symbol, '1m', sim.now() - 10 * 60_000).at(-1)!.t;
    await trace.until(() => trace.newest('BTCUSDT') >= last('BTCUSDT') && trace.newest('ETHUSDT') >= last('ETHUSDT'), 'the last closed bars');
    trace.close();
    cli.child.kill('SIGTERM');
    const result = await cli.exited();
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('stopping (SIGTERM)');
    expect(result.stdout).toContain('session stopped');
    for (const symbol of ['BTCUSDT', 'ETHUSDT']) {
      const { stored, truth } = await compareWithSimulator(sim, db, symbol);
      expect(stored.length).toBeGreaterThan(5);
      expect(stored).toEqual(truth);
    }
    expect(await rows(db, 'SELECT DISTINCT symbol FROM realtime_market_data ORDER BY symbol')).toEqual([{ symbol: 'BTCUSDT' }, { symbol: 'ETHUSDT' }]);
  });

  it('records from flags for a given duration', async () => {
    const db = join(dir, 'flags.duckdb');
    sim.resume();
    const r = await runCli(['record', '--provider', 'binance-realtime', '--symbols', 'SOLUSDT', '--interval', '1m', '--out', db,
      '--ws-url', sim.wsUrl, '--rest-url', sim.restUrl, '--duration', '2']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('stopping (--duration 2s elapsed)');
    expect(r.stdout).toMatch(/table realtime_market_data: \d+ rows/);
    const { stored, truth } = await compareWithSimulator(sim, db, 'SOLUSDT');
    expect(stored.length).toBeGreaterThan(3);
    // The market kept running after the stop: every bar up to the last stored one is there, once, in order.
    expect(stored).toEqual(truth.slice(0, stored.length));
  });
});
