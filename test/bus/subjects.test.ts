/** Subjects, message ids and the bar's JSON form on the bus. */
import { describe, expect, it } from 'vitest';
import { decodeBar, encodeBar } from '../../src/bus/bar-message.ts';
import { barSubject, messageIdOf, safeName } from '../../src/bus/subjects.ts';
import type { Bar } from '../../src/domain/bar.ts';

const bar: Bar = {
  provider: 'polygon', symbol: 'BRK.B', interval: '1m', openTime: 1_767_225_600_000, closeTime: 1_767_225_659_999,
  open: 1.1, high: 1.3, low: 1, close: 1.2, volume: 10, vwap: 1.15, tradeCount: 3, final: true, receivedAt: 5,
};

describe('bus names', () => {
  it('percent-encodes characters a subject token cannot hold', () => {
    expect(barSubject('argo.bars', 'polygon', '1m', 'BRK.B')).toBe('argo.bars.polygon.1m.BRK%2EB');
    expect(barSubject('p', 'polygon', '1m', 'X:BTCUSD')).toBe('p.polygon.1m.X:BTCUSD');
  });

  it('gives a bar its key as message id and a correction a distinct id per set of values', () => {
    expect(messageIdOf(bar)).toBe('polygon|BRK.B|1m|1767225600000');
    const c1 = messageIdOf({ ...bar, correction: true });
    const c2 = messageIdOf({ ...bar, correction: true, close: 1.25 });
    expect(c1).not.toBe(messageIdOf(bar));
    expect(c1).not.toBe(c2);
    expect(messageIdOf({ ...bar, correction: true })).toBe(c1);
  });

  it('builds consumer names from letters, digits, dashes and underscores only', () => {
    expect(safeName('host-1', 'polygon', '1m', 'X:BTC.USD')).toMatch(/^[A-Za-z0-9_-]+$/);
  });
});

describe('bar messages', () => {
  it('round-trips a bar exactly', () => {
    const d = decodeBar(encodeBar({ ...bar, correction: true }));
    expect(d).toEqual({ bar: { ...bar, correction: true } });
  });

  it('reports a damaged message instead of decoding it', () => {
    expect(decodeBar(new TextEncoder().encode('{"provider":"x"'))).toEqual({ problem: 'not JSON' });
    const wrong = JSON.parse(new TextDecoder().decode(encodeBar(bar))) as Record<string, unknown>;
    wrong.high = 'up';
    expect(decodeBar(new TextEncoder().encode(JSON.stringify(wrong)))).toEqual({ problem: 'high is not a number' });
  });
});

describe('bus metrics and status', () => {
  it('renders a recorder\'s held bars, lag, repaired gaps and leases as Prometheus families and status words', async () => {
    const { renderMetrics } = await import('../../src/observability/metrics.ts');
    const { busStatusText } = await import('../../src/bus/status-text.ts');
    const bus = {
      role: 'publish' as const, connected: false, published: 10, duplicates: 2, held: 7, refused: 0, retries: 3, lagMs: 1_500, oldestHeldMs: 2_000, gaps: [],
      repaired: { gaps: 1, bars: 12, failures: 0 },
      leases: { fleet: 'f', recorder: 'r', held: ['a', 'b'], liveRecorders: 3, takeovers: 4, released: 1 },
    };
    const stats = {
      id: 's1', state: 'running' as const, connection: 'connected' as const, barsReceived: 0, barsPerSecond: 0, lastBars: {},
      writer: { totalWrites: 0, bufferedWrites: 0, flushCount: 0, lastFlushTime: 0, averageFlushTime: 0, errorCount: 0, rejectedInvalid: 0, overflowCount: 0 },
      provider: null, positions: [], account: null, orders: { placed: 0, filled: 0, rejected: 0, cancelled: 0 }, strategy: null, eventsPending: 0, bus,
    };
    const text = await renderMetrics(stats);
    expect(text).toContain('argo_bus_held_bars{session="s1"} 7');
    expect(text).toContain('argo_bus_ack_lag_seconds{session="s1"} 1.5');
    expect(text).toContain('argo_bus_leases_held{session="s1"} 2');
    expect(text).toContain('argo_bus_connected{session="s1"} 0');
    expect(text).toContain('argo_bus_gaps_repaired_total{session="s1"} 1');
    expect(text).toContain('argo_bus_gap_bars_repaired_total{session="s1"} 12');
    expect(busStatusText(bus)).toBe('bus DOWN published=10 duplicates=2 held=7 ack_lag_ms=1500 leases=2 recorders=3');
  });
});
