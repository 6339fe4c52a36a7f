/**
 * A gap an earlier process recorded and never closed (its REST fetch failed, or the process ended first) is
 * fetched by the next session on the file, whatever its id, and closed in the log.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { decodeSessionConfig } from '../../src/config/session-config.ts';
import { createRealtimeSession } from '../../src/session/index.ts';
import { SessionEventLog } from '../../src/session/event-log.ts';
import { startBinanceSimulator, type BinanceSimulator } from '../../src/sim/binance/index.ts';
import { binanceTruth, loggedEvents, storedRows } from './support/recording.ts';

let sim: BinanceSimulator;
let dir: string;
beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'open-gaps-'));
  sim = await startBinanceSimulator({ seed: 31, symbols: ['BTCUSDT'], startTime: Math.floor(Date.now() / 1000) * 1000, tickMs: 50, marketStepMs: 1_000 });
});
afterAll(async () => {
  await sim.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

const sessionOn = (file: string) => createRealtimeSession(decodeSessionConfig({
  session: {
    realtime_provider: 'binance-realtime', realtime_provider_config: { ws_url: sim.wsUrl, rest_url: sim.restUrl },
    storage_config: { output_path: file, flush_interval_ms: 100 }, symbols: ['BTCUSDT'], interval: '1s',
  },
}));

it('fetches a gap an earlier process left open, from its start to the first bar stored after it', async () => {
  const file = path.join(dir, 'bars.duckdb');
  const first = sessionOn(file);
  let received = 0;
  const enough = new Promise<void>((resolve) => first.on('bar', () => { if (++received === 40) resolve(); }));
  await first.start();
  await enough;
  await first.stop();

  // What a process that could not take bars for ten seconds, and never fetched them, leaves behind.
  const { rows } = await storedRows(file, 'BTCUSDT');
  const from = rows[10]!.t;
  const to = rows[20]!.t;
  const instance = await DuckDBInstance.create(file);
  const conn = await instance.connect();
  await conn.run(`DELETE FROM realtime_market_data WHERE "timestamp" >= make_timestamp(${from * 1000}) AND "timestamp" < make_timestamp(${to * 1000})`);
  const log = await SessionEventLog.open(conn, 'crashed-run');
  log.append('durability:gap.opened', { gap: 'old-1', provider: 'binance', symbol: 'BTCUSDT', interval: '1s', from }, Date.now());
  await log.flush();
  conn.closeSync();
  instance.closeSync();

  const second = sessionOn(file);
  const closed = new Promise<Record<string, unknown>>((resolve) => second.on('durability', (e) => { if (e.type === 'gap.closed') resolve(e); }));
  await second.start();
  expect(await closed).toMatchObject({ gap: 'old-1', from, to, fetched: 10 });
  await second.stop();

  const after = await storedRows(file, 'BTCUSDT');
  expect(after.rows).toEqual(binanceTruth(sim, 'BTCUSDT', after.rows[0]!.t, after.rows.at(-1)!.t));
  expect((await loggedEvents(file, 'durability:gap.closed')).map((e) => e.payload.gap)).toEqual(['old-1']);
}, 60_000);
