/**
 * `argo-realtime record` against the Massive (formerly Polygon) simulator started as a user starts it, with its
 * defaults (`node src/sim/polygon/main.ts`): bars are stored, equal to the simulator's. Started with a clock in
 * the past, the recording says why it stores nothing.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { DuckDBInstance } from '@duckdb/node-api';
import { afterEach, describe, expect, it } from 'vitest';
import { runCli } from './helpers.ts';

const dir = mkdtempSync(join(tmpdir(), 'argo-cli-massive-'));
const SIM = new URL('../../src/sim/polygon/main.ts', import.meta.url).pathname;
const children: ChildProcess[] = [];
afterEach(async () => {
  for (const c of children.splice(0)) {
    if (c.exitCode !== null) continue;
    c.kill('SIGTERM');
    await once(c, 'exit');
  }
});

/** Starts the simulator's command line and reads the URLs it prints. */
const startSimulator = async (args: readonly string[] = []) => {
  const child = spawn(process.execPath, [SIM, ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
  children.push(child);
  const [line] = (await once(createInterface({ input: child.stdout! }), 'line')) as [string];
  return JSON.parse(line) as { wsUrl: string; restUrl: string; apiKeys: string[]; startTime: string };
};

const recordConfig = (name: string, sim: { wsUrl: string; restUrl: string }) => {
  const db = join(dir, `${name}.duckdb`);
  const config = join(dir, `${name}.yaml`);
  writeFileSync(config, [
    'session:',
    '  realtime_provider: polygon-realtime',
    '  realtime_provider_config:',
    '    api_key: ${POLYGON_API_KEY}',
    `    ws_url: ${sim.wsUrl}`,
    `    rest_url: ${sim.restUrl}`,
    '  storage_config:',
    `    output_path: ${db}`,
    '    flush_interval_ms: 200',
    '  symbols: [AAPL]',
    '  interval: 1s',
  ].join('\n'));
  return { db, config };
};

const stored = async (db: string) => {
  const instance = await DuckDBInstance.create(db, { access_mode: 'READ_ONLY' });
  const connection = await instance.connect();
  try {
    const sql = `SELECT epoch_ms("timestamp")::DOUBLE AS t, open, high, low, close, volume FROM realtime_market_data WHERE symbol = 'AAPL' ORDER BY "timestamp"`;
    return (await connection.runAndReadAll(sql)).getRowObjectsJS().map((r) => [Number(r.t), r.open, r.high, r.low, r.close, r.volume]);
  } finally {
    connection.closeSync();
    instance.closeSync();
  }
};

describe('argo-realtime record against the Massive simulator', () => {
  it('stores the simulator\'s bars when the simulator runs with its defaults', async () => {
    const sim = await startSimulator();
    expect(Math.abs(Date.parse(sim.startTime) - Date.now())).toBeLessThan(60_000);
    const { db, config } = recordConfig('defaults', sim);
    const r = await runCli(['record', '--config', config, '--duration', '4'], { env: { POLYGON_API_KEY: sim.apiKeys[0]! } });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const rows = await stored(db);
    expect(rows.length).toBeGreaterThan(0);
    const first = rows[0]![0] as number;
    const last = rows.at(-1)![0] as number;
    const truth = (await (await fetch(`${sim.restUrl}/v2/aggs/ticker/AAPL/range/1/second/${first}/${last}?apiKey=${sim.apiKeys[0]}`)).json()) as { results: { t: number; o: number; h: number; l: number; c: number; v: number }[] };
    expect(rows).toEqual(truth.results.map((b) => [b.t, b.o, b.h, b.l, b.c, b.v]));
  });

  it('says why it stores nothing when the simulator\'s clock is far in the past', async () => {
    const sim = await startSimulator(['--start-time', '2026-01-05T14:30:00Z']);
    const { config } = recordConfig('past', sim);
    const r = await runCli(['record', '--config', config, '--duration', '3'], { env: { POLYGON_API_KEY: sim.apiKeys[0]! } });
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/A\.AAPL: bars open \d+ min before the subscription .* the feed's clock is behind, so its bars are not recorded/);
  });
});
