/**
 * A strategy's subscriptions inside a real session (Binance simulator → session → sandboxed strategy →
 * DuckDB): an allowed symbol is streamed to it, a symbol outside `risk.allowed_symbols`, a stream past
 * `strategy.max_subscriptions` and a flood of calls are refused with coded errors the strategy catches, each
 * refusal is in `session_events`, and the session streams and persists on.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { decodeSessionConfig } from '../../src/config/session-config.ts';
import { createRealtimeSession } from '../../src/session/index.ts';
import { startBinanceSimulator } from '../../src/sim/binance/index.ts';
import { queryFile as query } from '../support/duckdb-file.ts';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

describe('a strategy\'s subscriptions in a session', () => {
  it('streams an allowed symbol to it and refuses the rest with coded errors, logged, while the session runs on', async () => {
    const sim = await startBinanceSimulator({ tickMs: 20, marketStepMs: 20_000 });
    cleanups.push(() => sim.close());
    const db = join(mkdtempSync(join(tmpdir(), 'argo-subscriber-')), 'subscriber.duckdb');
    const session = createRealtimeSession(decodeSessionConfig({
      session: {
        id: 'subscriber-1', realtime_provider: 'binance-realtime', realtime_provider_config: { ws_url: sim.wsUrl, rest_url: sim.restUrl },
        trading_provider: 'paper', storage_config: { output_path: db, flush_interval_ms: 200 }, symbols: ['BTCUSDT'], interval: '1m',
      },
      strategy: { path: 'test/session/fixtures/subscriber.strategy.ts', budget_ms: 20_000, max_subscriptions: 1, subscriptions_per_minute: 5 },
      risk: { allowed_symbols: ['BTCUSDT', 'ETHUSDT', 'SOLUSDT'] },
    }));
    const marks = new Map<string, unknown>();
    const ethSeen = new Promise<void>((resolve) => {
      session.on('mark', (m) => { marks.set(m.name, m.value); if (m.name === 'seen') resolve(); });
    });
    await session.start();
    // The strategy gets an ETHUSDT bar only through its own subscription.
    await ethSeen;
    const summary = await session.stop();
    expect(summary.state).toBe('stopped');
    const result = marks.get('subscriptions') as { allowed: string; forbidden: string; pastCap: string; flood: string[] };
    expect(result).toMatchObject({ allowed: 'ok', forbidden: 'SUBSCRIPTION_REFUSED', pastCap: 'SUBSCRIPTION_REFUSED' });
    // Five calls a minute: three went before the flood, so two of its twenty pass (BTCUSDT is the session's: nothing added).
    expect(result.flood.filter((c) => c === 'ok')).toHaveLength(2);
    expect(result.flood.filter((c) => c === 'RATE_LIMITED')).toHaveLength(18);
    expect(marks.get('seen')).toMatchObject({ ETHUSDT: expect.any(Number) as unknown });

    const rows = await query(db, `SELECT type, payload::VARCHAR AS p FROM session_events WHERE session_id = 'subscriber-1' AND type LIKE 'strategy:strategy.subscri%' ORDER BY seq`);
    const events = rows.map((r): Record<string, unknown> => ({ type: String(r.type), ...JSON.parse(String(r.p)) as Record<string, unknown> }));
    expect(events[0]).toMatchObject({ type: 'strategy:strategy.subscribed', strategy: 'subscriber', streams: ['ETHUSDT|1m'] });
    const refused = events.filter((e) => e.type === 'strategy:strategy.subscription_refused');
    expect(refused.slice(0, 2)).toMatchObject([
      { reason: 'symbol', code: 'SUBSCRIPTION_REFUSED', message: expect.stringContaining('DOGEUSDT is not an allowed symbol') as unknown },
      { reason: 'streams', code: 'SUBSCRIPTION_REFUSED', message: expect.stringContaining('strategy.max_subscriptions 1') as unknown },
    ]);
    // 18 rate refusals: the event budget (burst 10) logs some one by one and counts the others.
    const rate = refused.filter((e) => e.reason === 'rate');
    expect(rate.length).toBeGreaterThan(0);
    expect(rate.length).toBeLessThan(18);
    // Every bar the session received is durable: the refusals cost it nothing.
    const [{ n }] = await query(db, 'SELECT count(*) AS n FROM realtime_market_data') as [{ n: bigint }];
    expect(Number(n)).toBe(summary.bars);
  }, 90_000);
});
