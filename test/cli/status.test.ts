import { describe, expect, it } from 'vitest';
import type { Output } from '../../src/cli/output.ts';
import { printSummary } from '../../src/cli/summary.ts';
import { LISTED_SYMBOLS, renderStatus, statusLine, visibleLength } from '../../src/cli/status.ts';
import type { SessionStats } from '../../src/session/index.ts';

const stats: SessionStats = {
  id: 's1', state: 'running', connection: 'connected', barsReceived: 120, barsPerSecond: 2.5,
  lastBars: { BTCUSDT: { openTime: Date.UTC(2026, 0, 1, 0, 42), close: 93012.5, ageMs: 1_200 }, ETHUSDT: { openTime: Date.UTC(2026, 0, 1, 0, 42), close: 3301.25, ageMs: 900 } },
  writer: { totalWrites: 120, bufferedWrites: 4, flushCount: 30, lastFlushTime: 0, averageFlushTime: 2, errorCount: 0, rejectedInvalid: 0, overflowCount: 0 },
  provider: { connections: 1, framesReceived: 900, barsEmitted: 120, barsBackfilled: 6, malformedFrames: 2, duplicatesDropped: 1, reconnects: 1, reconnectReasons: {}, controlMessagesSent: 3 },
  positions: [{ symbol: 'BTCUSDT', quantity: 0.5, averagePrice: 92000, realizedPnl: 0, unrealizedPnl: 506.25, lastPrice: 93012.5 }],
  account: { currency: 'USDT', cash: 54000, equity: 100460.25, realizedPnl: 0, unrealizedPnl: 506.25, fees: 46 },
  orders: { placed: 1, filled: 1, rejected: 0, cancelled: 0 },
  strategy: { state: 'running', barsProcessed: 118, barsFailed: 0, barsTimedOut: 0, barsRefused: 0, batches: 100, failures: 0, restarts: 0, latencyMs: { count: 118, sum: 80, p50: 0.4, p99: 3.2, max: 5 }, queued: 2, skipped: 0 },
  eventsPending: 0,
};

const plain = (lines: string[]) => lines.map((l) => l.replace(/\x1b\[[0-9;]*m/g, ''));

describe('live status', () => {
  it('shows connection, rates, storage, the last bar per symbol, positions and P&L', () => {
    const lines = plain(renderStatus(stats, 12_000));
    expect(lines[0]).toBe('● running 12 s  connection connected  bars 120 (2.5/s)  reconnects 1  backfilled 6');
    expect(lines[1]).toBe('  storage  persisted 116  buffered 4  flushes 30');
    expect(lines[2]).toBe('  BTCUSDT    2026-01-01 00:42  close 93012.50  1.2 s ago  position 0.5 @ 92000.00  unrealized +506.25');
    expect(lines[3]).toBe('  ETHUSDT    2026-01-01 00:42  close 3301.25  900 ms ago');
    expect(lines[4]).toBe('  account  equity 100460.25 USDT  cash 54000.00  P&L +460.25 USDT net of fees (realized +0.00, unrealized +506.25, fees 46.00)');
    expect(lines[5]).toContain('strategy running  bars 118  queued 2  latency p50 0.4 ms p99 3.2 ms  orders 1 placed 1 filled');
  });

  it('fits a plain log line for non-terminal output', () => {
    expect(statusLine(stats, 5_000)).toBe(
      '[  5.0s] status running connection=connected bars=120 bars_per_s=2.5 persisted=116 buffered=4 reconnects=1 backfilled=6 ' +
      'last=BTCUSDT@00:42=93012.50,ETHUSDT@00:42=3301.25 positions=BTCUSDT:0.5 equity=100460.25 pnl_net_of_fees=+460.25 orders=1 fills=1');
  });

  it('says when writes fail, bars are not taken, gaps are open and corrections were applied', () => {
    const failing: SessionStats = { ...stats, durability: {
      writeFailing: true, failingForMs: 12_400, lastWriteError: 'No space left on device', holding: true,
      openGaps: [{ provider: 'binance', symbol: 'BTCUSDT', interval: '1s', from: 1_000, to: 9_000, bars: 8 }],
      gapsOpened: 1, gapsClosed: 0, barsRefetched: 0, corrections: 2, duplicatesSkipped: 0, rangesBackfilled: 0, uncovered: [], fatal: null,
    } };
    expect(plain(renderStatus(failing, 12_000))[1]).toBe(
      '  storage  persisted 116  buffered 4  flushes 30  writes failing 12 s  not taking bars (cap)  gaps BTCUSDT 8  corrections 2');
    expect(statusLine(failing, 5_000)).toContain('backfilled=6 write_failing=12s taking=no gaps=1 corrections=2 last=');
    expect(statusLine({ ...failing, durability: { ...failing.durability!, fatal: 'gone', writeFailing: false, holding: false, openGaps: [], corrections: 0 } }, 5_000))
      .toContain('backfilled=6 storage=lost last=');
  });

  it('measures width without colour codes', () => {
    expect(visibleLength('\x1b[32mok\x1b[39m')).toBe(2);
  });

  it('shows the same P&L, net of fees and labelled so, in the status, the status line and the summary', async () => {
    const printed: string[] = [];
    const out: Output = { line: (t = '') => void printed.push(t), error: (t) => void printed.push(t), raw: (t) => void printed.push(t), isTTY: false, columns: () => 200 };
    await printSummary(out, {
      id: 's1', state: 'stopped', bars: 120, orders: 1, fills: 1, account: stats.account, positions: stats.positions, dbPath: ':memory:', table: 't', resumed: false,
    });
    const summary = printed.find((l) => /P&L/.test(l))!.replace(/\x1b\[[0-9;]*m/g, '');
    // 0 realised + 506.25 unrealised - 46 fees = 460.25 = equity 100460.25 - starting cash 100000.
    expect(summary).toContain('P&L        +460.25 USDT net of fees (realized +0.00, unrealized +506.25, fees 46.00)');
    expect(plain(renderStatus(stats, 1_000)).join('\n')).toContain('P&L +460.25 USDT net of fees (realized +0.00, unrealized +506.25, fees 46.00)');
    expect(statusLine(stats, 1_000)).toContain('pnl_net_of_fees=+460.25');
  });

  it('summarises the symbols instead of listing them at 1,000 symbols', () => {
    const many: SessionStats = {
      ...stats,
      lastBars: Object.fromEntries(Array.from({ length: 1_000 }, (_, i) => [`SYM${String(i).padStart(4, '0')}USDT`, { openTime: Date.UTC(2026, 0, 1, 0, 40 + (i % 3)), close: 1 + i, ageMs: 500 + i }])),
      positions: Array.from({ length: 20 }, (_, i) => ({ symbol: `SYM${String(i).padStart(4, '0')}USDT`, quantity: 1, averagePrice: 1, realizedPnl: 0, unrealizedPnl: 0, lastPrice: 1 })),
    };
    const line = statusLine(many, 5_000);
    expect(line).toContain(' symbols=1000 last_bars=00:40..00:42 oldest_bar_age=1.5s positions=20 ');
    expect(line).not.toContain('SYM0000USDT');
    expect(line.length).toBeLessThan(300);
    const lines = plain(renderStatus(many, 5_000));
    expect(lines.filter((l) => l.includes('SYM'))).toHaveLength(LISTED_SYMBOLS);
    expect(lines).toContain(`  … and ${1_000 - LISTED_SYMBOLS} more symbols: last bars 2026-01-01 00:40 → 2026-01-01 00:42, oldest 1.5 s ago; 20 open positions in all`);
  });
});
