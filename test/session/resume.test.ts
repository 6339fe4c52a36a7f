/** The resume query and plan over a real DuckDB file holding several providers and intervals of one symbol. */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { Bar } from '../../src/domain/bar.ts';
import { intervalMs, type Interval } from '../../src/domain/interval.ts';
import { SessionEventLog } from '../../src/session/event-log.ts';
import { applyResume, barProviderOf, readOpenGaps, readResumePoints, StoredBars, type StreamId } from '../../src/session/resume.ts';
import { DuckDBRealtimeWriter } from '../../src/storage/duckdb-writer.ts';
import { barProviderFor, createRealtimeProvider } from '../../src/providers/registry.ts';

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
});

const T0 = Date.UTC(2026, 5, 1, 12, 0);

const bar = (provider: string, interval: Interval, openTime: number, close: number): Bar => ({
  provider, symbol: 'BTCUSDT', interval, openTime, closeTime: openTime + intervalMs(interval) - 1,
  open: close, high: close + 1, low: close - 1, close, volume: 2, vwap: null, tradeCount: 3, final: true, receivedAt: openTime + 10,
});

/** A file with `count` bars per stream of two providers × two intervals, each stream ending at a different time. */
const fileWithStreams = async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'resume-'));
  dirs.push(dir);
  const writer = await DuckDBRealtimeWriter.open({ output_path: path.join(dir, 'bars.duckdb'), flush_interval_ms: 0 });
  const ends: Record<string, number> = {};
  const streams: [string, Interval, number][] = [['binance', '1m', 10], ['binance', '1s', 90], ['polygon', '1m', 4], ['polygon', '1s', 7]];
  for (const [provider, interval, count] of streams) {
    const bars = Array.from({ length: count }, (_, i) => bar(provider, interval, T0 + i * intervalMs(interval), 100 + i));
    writer.writeBatch(bars);
    ends[`${provider}|${interval}`] = bars.at(-1)!.openTime;
  }
  await writer.flush();
  const conn = await writer.connect();
  return { writer, conn, ends, close: async () => { conn.closeSync(); await writer.close(); } };
};

describe('readResumePoints', () => {
  it('reads the newest bar of every stream, keyed by provider, symbol and interval, in one query', async () => {
    const f = await fileWithStreams();
    try {
      const wanted: StreamId[] = [
        { provider: 'binance', symbol: 'btcusdt', interval: '1m' }, { provider: 'binance', symbol: 'BTCUSDT', interval: '1s' },
        { provider: 'polygon', symbol: 'BTCUSDT', interval: '1m' }, { provider: 'polygon', symbol: 'BTCUSDT', interval: '1s' },
      ];
      const points = await readResumePoints(f.conn, 'realtime_market_data', wanted, 5);
      const byKey = Object.fromEntries(points.map((p) => [`${p.provider}|${p.interval}`, p]));
      expect(Object.keys(byKey).sort()).toEqual(['binance|1m', 'binance|1s', 'polygon|1m', 'polygon|1s']);
      for (const [key, end] of Object.entries(f.ends)) {
        expect(byKey[key]!.lastOpenTime).toBe(end);
        expect(byKey[key]!.symbol).toBe('BTCUSDT');
      }
      // At most the requested number of recent rows, the newest ones, with their stored values.
      expect(byKey['binance|1s']!.recent.size).toBe(5);
      expect(byKey['polygon|1m']!.recent.size).toBe(4);
      expect(byKey['binance|1s']!.recent.get(f.ends['binance|1s']!)).toMatchObject({ close: 189, high: 190, tradeCount: 3 });
    } finally {
      await f.close();
    }
  });

  it('returns only the streams asked for, and nothing for a stream the file does not hold', async () => {
    const f = await fileWithStreams();
    try {
      const points = await readResumePoints(f.conn, 'realtime_market_data', [
        { provider: 'polygon', symbol: 'BTCUSDT', interval: '1m' }, { provider: 'binance', symbol: 'ETHUSDT', interval: '1m' },
        { provider: 'polygon', symbol: 'BTCUSDT', interval: '5m' },
      ]);
      expect(points.map((p) => [p.provider, p.symbol, p.interval, p.lastOpenTime])).toEqual([['polygon', 'BTCUSDT', '1m', f.ends['polygon|1m']]]);
    } finally {
      await f.close();
    }
  });
});

describe('readOpenGaps', () => {
  it('returns the gaps earlier processes opened and never closed, ending at the first bar stored after them', async () => {
    const f = await fileWithStreams();
    try {
      // A hole of ten seconds in the Binance 1 s bars, where an earlier process could not take bars.
      await f.conn.run(`DELETE FROM realtime_market_data WHERE provider = 'binance' AND "interval" = '1s'
        AND "timestamp" >= make_timestamp(${(T0 + 20_000) * 1000}) AND "timestamp" < make_timestamp(${(T0 + 30_000) * 1000})`);
      const log = await SessionEventLog.open(f.conn, 'earlier');
      const opened = (gap: string, provider: string, interval: string, from: number) =>
        log.append('durability:gap.opened', { gap, provider, symbol: 'BTCUSDT', interval, from }, T0);
      opened('a-1', 'binance', '1s', T0 + 20_000);
      opened('a-2', 'binance', '1m', T0 + 2 * 60_000);
      log.append('durability:gap.closed', { gap: 'a-2' }, T0);
      // After the newest stored bar: the resume from the file covers it.
      opened('a-3', 'polygon', '1s', T0 + 60_000);
      opened('a-4', 'polygon', '1m', T0);
      await log.flush();
      const streams: StreamId[] = [
        { provider: 'binance', symbol: 'BTCUSDT', interval: '1s' }, { provider: 'binance', symbol: 'BTCUSDT', interval: '1m' },
        { provider: 'polygon', symbol: 'BTCUSDT', interval: '1s' },
      ];
      // a-2 is closed, a-3 is after the newest stored bar, a-4's stream is not wanted.
      expect(await readOpenGaps(f.conn, 'realtime_market_data', streams)).toEqual([
        { gap: 'a-1', provider: 'binance', symbol: 'BTCUSDT', interval: '1s', from: T0 + 20_000, to: T0 + 30_000 },
      ]);
    } finally {
      await f.close();
    }
  });
});

describe('applyResume', () => {
  const point = (lastOpenTime: number) => ({ provider: 'binance', symbol: 'BTCUSDT', interval: '1m' as const, lastOpenTime, recent: new Map<number, Bar>() });

  it('tells the provider the newest stored bar of each configured stream, with the lookback bound', () => {
    const calls: unknown[][] = [];
    const resumed = applyResume({ resumeAfter: (...a) => calls.push(a) }, [point(T0)],
      [{ provider: 'binance', symbol: 'btcusdt', interval: '1m' }, { provider: 'binance', symbol: 'ETHUSDT', interval: '1m' }], 86_400_000);
    expect(calls).toEqual([['btcusdt', '1m', T0, 86_400_000]]);
    expect(resumed).toEqual([{ provider: 'binance', symbol: 'BTCUSDT', interval: '1m', after: T0 }]);
  });
});

describe('StoredBars', () => {
  it('tells a re-read bar equal to the stored one from a corrected one and from a new one', () => {
    const stored = bar('polygon', '1m', T0, 100);
    const bars = new StoredBars([{ provider: 'polygon', symbol: 'BTCUSDT', interval: '1m', lastOpenTime: T0, recent: new Map([[T0, stored]]) }]);
    expect(bars.match({ ...stored, receivedAt: T0 + 99_999 })).toBe('duplicate');
    expect(bars.match({ ...stored, high: 105 })).toBe('correction');
    expect(bars.match({ ...stored, high: 105 })).toBe('duplicate');
    expect(bars.match(bar('polygon', '1m', T0 + 60_000, 101))).toBe('new');
    expect(bars.match(bar('binance', '1m', T0, 100))).toBe('new');
  });
});

describe('barProviderOf', () => {
  it('keys each Binance feed by the provider its bars are stored under, so spot and futures never resume from each other', () => {
    const of = (feed: string) => barProviderOf(createRealtimeProvider('binance-realtime', { feed }));
    expect([of('spot'), of('usdm'), of('coinm')]).toEqual(['binance', 'binance-usdm', 'binance-coinm']);
    expect(barProviderOf(createRealtimeProvider('polygon-realtime', { api_key: 'pk_test_123456' }))).toBe('polygon');
  });
});

describe('barProviderFor', () => {
  it('names the same bar provider from a config as barProviderOf does from the built provider, without a venue key', () => {
    for (const feed of ['spot', 'usdm', 'coinm']) {
      expect(barProviderFor('binance-realtime', { feed })).toBe(barProviderOf(createRealtimeProvider('binance-realtime', { feed })));
    }
    expect(barProviderFor('binance-realtime', {})).toBe('binance');
    expect(barProviderFor('polygon-realtime', {})).toBe('polygon');
  });
});
