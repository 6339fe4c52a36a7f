/**
 * A strategy host on the bus: a session reading bars from JetStream through its durable consumers, SIGKILLed
 * mid-stream and started again with the same id. Across both runs the strategy's logged marks hold every bar
 * exactly once; a second host with another id reads the same stream independently.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { DuckDBInstance } from '@duckdb/node-api';
import { afterEach, describe, expect, it } from 'vitest';
import { decodeBusConfig } from '../../src/bus/config.ts';
import { BusPublisher } from '../../src/bus/publisher.ts';
import { decodeSessionConfig } from '../../src/config/session-config.ts';
import type { Bar } from '../../src/domain/bar.ts';
import { createRealtimeSession, SessionEventLog } from '../../src/session/index.ts';
import { until } from '../support/bus-helpers.ts';
import { startNatsServer } from '../support/nats-server.ts';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c().catch(() => undefined);
});

const T0 = Date.UTC(2026, 0, 1);
const SYMBOLS = ['BTCUSDT', 'ETHUSDT'];
const barOf = (symbol: string, i: number): Bar => ({
  provider: 'binance', symbol, interval: '1m', openTime: T0 + i * 60_000, closeTime: T0 + i * 60_000 + 59_999,
  open: 100 + i, high: 101 + i, low: 99 + i, close: 100.5 + i, volume: i + 1, vwap: 100.25 + i, tradeCount: i, final: true, receivedAt: Date.now(),
});

const publishBars = async (url: string, from: number, to: number) => {
  const publisher = await BusPublisher.open(decodeBusConfig({ url, stream: 'BARS' }));
  for (let i = from; i < to; i++) for (const s of SYMBOLS) publisher.publish(barOf(s, i));
  await publisher.flush(20_000);
  await publisher.close();
};

const rawConfig = (url: string, db: string, id: string) => ({
  session: {
    id, realtime_provider: 'binance-realtime', symbols: SYMBOLS, interval: '1m',
    storage_config: { output_path: db, flush_interval_ms: 100 },
  },
  strategy: { path: join(import.meta.dirname, 'fixtures/marks-bars.strategy.ts'), config: { delay_ms: 3 } },
  bus: { url, stream: 'BARS', mode: 'consume' },
});

const marksIn = async (db: string, id: string): Promise<string[]> => {
  const instance = await DuckDBInstance.create(db);
  const conn = await instance.connect();
  try {
    return (await SessionEventLog.read(conn, id)).filter((r) => r.type === 'strategy:mark').map((r) => String(r.payload.value));
  } finally {
    conn.closeSync();
    instance.closeSync();
  }
};

const expected = (n: number) => SYMBOLS.flatMap((s) => Array.from({ length: n }, (_, i) => `${s}|${T0 + i * 60_000}`)).sort();

describe('bus source', () => {
  it('resumes a SIGKILLed strategy host by id so that its strategy sees every bar exactly once', async () => {
    const nats = await startNatsServer();
    cleanups.push(() => nats.stop());
    await publishBars(nats.url, 0, 150);
    const db = join(mkdtempSync(join(tmpdir(), 'argo-bus-src-')), 'host.duckdb');

    // Run 1 in a child process, killed once its strategy has marked 60 bars.
    const child = spawn(process.execPath, [join(import.meta.dirname, 'fixtures/run-session.ts'), JSON.stringify(rawConfig(nats.url, db, 'host-a'))], { stdio: ['ignore', 'pipe', 'inherit'] });
    cleanups.push(async () => { child.kill('SIGKILL'); });
    const exited = new Promise((r) => child.once('exit', r));
    let marks1 = 0;
    await new Promise<void>((resolve, reject) => {
      child.once('exit', (code) => reject(new Error(`child exited early (${code})`)));
      createInterface({ input: child.stdout! }).on('line', (line) => {
        if (line.startsWith('mark ') && ++marks1 === 60) { child.kill('SIGKILL'); resolve(); }
      });
    });
    await exited;
    const persisted = await marksIn(db, 'host-a');
    expect(persisted.length).toBeLessThan(300);

    // Run 2 in this process, same id; more bars arrive while it runs.
    const session = createRealtimeSession(decodeSessionConfig(rawConfig(nats.url, db, 'host-a')));
    const seen2: string[] = [];
    session.on('mark', (m) => seen2.push(String(m.value)));
    await session.start();
    await publishBars(nats.url, 150, 170);
    await until(() => persisted.length + seen2.length >= 340, (wake) => session.on('mark', wake), 'every bar marked', 60_000);
    await session.stop();

    const all = await marksIn(db, 'host-a');
    expect(all.length).toBe(340);
    expect([...all].sort()).toEqual(expected(170));
    expect(new Set(seen2).size).toBe(seen2.length);
  }, 120_000);

  it('lets a second host with another id read the same stream from the start', async () => {
    const nats = await startNatsServer();
    cleanups.push(() => nats.stop());
    await publishBars(nats.url, 0, 30);
    const dir = mkdtempSync(join(tmpdir(), 'argo-bus-src-'));
    for (const id of ['host-x', 'host-y']) {
      const session = createRealtimeSession(decodeSessionConfig(rawConfig(nats.url, join(dir, `${id}.duckdb`), id)));
      const seen: string[] = [];
      session.on('mark', (m) => seen.push(String(m.value)));
      await session.start();
      await until(() => seen.length >= 60, (wake) => session.on('mark', wake), `${id} marked every bar`);
      await session.stop();
      expect([...seen].sort()).toEqual(expected(30));
    }
  }, 60_000);

  it('keeps consuming across a restart of the NATS server', async () => {
    const nats = await startNatsServer();
    cleanups.push(() => nats.stop());
    await publishBars(nats.url, 0, 10);
    const db = join(mkdtempSync(join(tmpdir(), 'argo-bus-src-')), 'host.duckdb');
    const session = createRealtimeSession(decodeSessionConfig(rawConfig(nats.url, db, 'host-r')));
    const seen: string[] = [];
    session.on('mark', (m) => seen.push(String(m.value)));
    await session.start();
    await until(() => seen.length >= 20, (wake) => session.on('mark', wake), 'the first bars');
    await nats.kill();
    await nats.restart();
    await publishBars(nats.url, 10, 20);
    await until(() => seen.length >= 40, (wake) => session.on('mark', wake), 'bars published after the restart', 60_000);
    await session.stop();
    expect([...seen].sort()).toEqual(expected(20));
  }, 90_000);
});
