/**
 * `argo-realtime export --source nats://…` as a child process against a real nats-server: the bus's bars,
 * a correction among them, written as Hive-partitioned Parquet that DuckDB reads back as each bar exactly once
 * with the correction's values.
 */
import { mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { afterEach, describe, expect, it } from 'vitest';
import { decodeBusConfig } from '../../src/bus/config.ts';
import { BusPublisher } from '../../src/bus/publisher.ts';
import type { Bar } from '../../src/domain/bar.ts';
import { runCli } from '../cli/helpers.ts';
import { freePort, NatsServer, startNatsServer } from '../support/nats-server.ts';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c().catch(() => undefined);
});

const T0 = Date.UTC(2026, 2, 1, 23, 55);
const bar = (symbol: string, i: number): Bar => ({
  provider: 'binance', symbol, interval: '1m', openTime: T0 + i * 60_000, closeTime: T0 + i * 60_000 + 59_999,
  open: 100 + i, high: 101 + i, low: 99 + i, close: 100.5 + i, volume: 2 + i, vwap: 100.25 + i, tradeCount: 10 + i, final: true, receivedAt: 0,
});

const readBack = async (dir: string) => {
  const instance = await DuckDBInstance.create(':memory:');
  const conn = await instance.connect();
  try {
    return (await conn.runAndReadAll(`SELECT date::VARCHAR AS date, provider, "interval", symbol, epoch_ms("timestamp")::DOUBLE AS t, open, high, low, close, volume, vwap,
      trade_count::DOUBLE AS trade_count, correction FROM read_parquet('${dir}/**/*.parquet', hive_partitioning = true) ORDER BY symbol, t`)).getRowObjectsJS();
  } finally {
    conn.closeSync();
    instance.closeSync();
  }
};

describe('export --source', () => {
  it('writes the bus\'s bars once each, the correction winning, in the date=/provider=/interval= layout', async () => {
    const nats = await startNatsServer();
    cleanups.push(() => nats.stop());
    const publisher = await BusPublisher.open(decodeBusConfig({ url: nats.url, stream: 'HIST', subject_prefix: 'h.bars' }));
    const published: Bar[] = [];
    for (let i = 0; i < 10; i++) for (const s of ['BTCUSDT', 'ETHUSDT']) { publisher.publish(bar(s, i)); published.push(bar(s, i)); }
    publisher.publish(bar('BTCUSDT', 3)); // a repeat: a duplicate on the bus
    const corrected: Bar = { ...bar('ETHUSDT', 7), close: 42.5, volume: 9, correction: true };
    publisher.publish(corrected);
    await publisher.flush(20_000);
    await publisher.close();

    const out = join(mkdtempSync(join(tmpdir(), 'argo-bus-export-')), 'parquet');
    const r = await runCli(['export', '--source', nats.url, '--bus-stream', 'HIST', '--subject-prefix', 'h.bars', '--out', out]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('20 bars (from 21 messages) into 2 partition(s)');
    expect(r.stdout).toContain('date=2026-03-01/provider=binance/interval=1m: 10 rows');
    expect(readdirSync(out).sort()).toEqual(['date=2026-03-01', 'date=2026-03-02']);
    expect(readdirSync(join(out, 'date=2026-03-02'))).toEqual(['provider=binance']);

    const expected = published.map((b) => (b.symbol === corrected.symbol && b.openTime === corrected.openTime ? corrected : b))
      .sort((a, b) => a.symbol.localeCompare(b.symbol) || a.openTime - b.openTime)
      .map((b) => ({
        date: new Date(b.openTime).toISOString().slice(0, 10), provider: b.provider, interval: b.interval, symbol: b.symbol, t: b.openTime,
        open: b.open, high: b.high, low: b.low, close: b.close, volume: b.volume, vwap: b.vwap, trade_count: b.tradeCount, correction: b.correction === true,
      }));
    expect(await readBack(out)).toEqual(expected);

    // A window: [from, to) by open time, into a fresh directory.
    const part = join(mkdtempSync(join(tmpdir(), 'argo-bus-export-')), 'p');
    const w = await runCli(['export', '--source', nats.url, '--bus-stream', 'HIST', '--subject-prefix', 'h.bars', '--out', part, '--from', '2026-03-02', '--to', '2026-03-02T00:03:00Z', '--json']);
    expect(w.code).toBe(0);
    expect(JSON.parse(w.stdout)).toMatchObject({ stream: 'HIST', rows: 6, partitions: [{ date: '2026-03-02', provider: 'binance', interval: '1m', rows: 6 }] });
    expect((await readBack(part)).map((row) => row.t)).toEqual([5, 6, 7, 5, 6, 7].map((i) => T0 + i * 60_000));
  }, 60_000);

  it('takes the credentials of a server that needs them from a config file\'s bus section, the secret from the environment', async () => {
    const secret = 'pw-export-7f3a91';
    const nats = new NatsServer(await freePort(), `argo-auth-${process.pid}`, ['--user', 'argo', '--pass', secret]);
    await nats.start();
    cleanups.push(() => nats.stop());
    const publisher = await BusPublisher.open(decodeBusConfig({ url: nats.url, stream: 'AUTHED', subject_prefix: 'a.bars', user: 'argo', password: secret }));
    for (let i = 0; i < 3; i++) publisher.publish(bar('BTCUSDT', i));
    await publisher.flush(20_000);
    await publisher.close();

    const dir = mkdtempSync(join(tmpdir(), 'argo-bus-export-'));
    const configPath = join(dir, 'argo.yaml');
    writeFileSync(configPath, [
      'session:', '  realtime_provider: binance-realtime', '  symbols: [BTCUSDT]', '  interval: 1m',
      'bus:', `  url: ${nats.url}`, '  stream: AUTHED', '  subject_prefix: a.bars', '  user: argo', '  password: ${NATS_PASSWORD}', '',
    ].join('\n'));
    const refused = await runCli(['export', '--source', nats.url, '--bus-stream', 'AUTHED', '--subject-prefix', 'a.bars', '--out', join(dir, 'no')]);
    expect(refused.code).not.toBe(0);
    const r = await runCli(['export', '--source', nats.url, '--config', configPath, '--out', join(dir, 'out'), '--json'], { env: { NATS_PASSWORD: secret } });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ stream: 'AUTHED', rows: 3 });
    expect(`${r.stdout}${r.stderr}${refused.stdout}${refused.stderr}`).not.toContain(secret);
  }, 60_000);

  it('exits 2 naming the flags for --db with --source, a --db filter with --source, and a missing stream', async () => {
    const nats = await startNatsServer();
    cleanups.push(() => nats.stop());
    const out = mkdtempSync(join(tmpdir(), 'argo-bus-export-bad-'));
    const both = await runCli(['export', '--db', join(out, 'x.duckdb'), '--source', nats.url, '--out', out]);
    expect(both.code).toBe(2);
    expect(both.stderr + both.stdout).toContain('either --db');
    const filtered = await runCli(['export', '--source', nats.url, '--symbols', 'BTCUSDT', '--out', out]);
    expect(filtered.code).toBe(2);
    expect(filtered.stderr + filtered.stdout).toContain('--symbols apply to --db exports only');
    const missing = await runCli(['export', '--source', nats.url, '--bus-stream', 'NOPE', '--out', out]);
    expect(missing.code).toBe(2);
    expect(missing.stderr + missing.stdout).toContain('bus stream NOPE: no such stream');
  }, 60_000);
});
