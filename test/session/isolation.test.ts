/**
 * A hostile strategy inside a real session (Binance simulator → session → DuckDB): it tries to kill the host,
 * runs out of memory and logs a secret with a forged line. The host keeps streaming and persisting every bar,
 * the failure is an `oom` with a restart, and the secret never reaches `session_events`.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { decodeSessionConfig } from '../../src/config/session-config.ts';
import { registerSecret } from '../../src/secrets.ts';
import { createRealtimeSession } from '../../src/session/index.ts';
import { startBinanceSimulator } from '../../src/sim/binance/index.ts';
import type { StrategyEvent } from '../../src/strategy/events.ts';
import { queryFile as query } from '../support/duckdb-file.ts';

const SECRET = 'SESSIONSECRETm4n5b6v7';
const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

describe('a hostile strategy in a session', () => {
  it('cannot kill the host, runs out of memory alone, and leaves no secret in session_events', async () => {
    registerSecret(SECRET);
    const sim = await startBinanceSimulator({ tickMs: 20, marketStepMs: 20_000 });
    cleanups.push(() => sim.close());
    const db = join(mkdtempSync(join(tmpdir(), 'argo-hostile-')), 'hostile.duckdb');
    const session = createRealtimeSession(decodeSessionConfig({
      session: {
        id: 'hostile-1', realtime_provider: 'binance-realtime', realtime_provider_config: { ws_url: sim.wsUrl, rest_url: sim.restUrl },
        trading_provider: 'paper', storage_config: { output_path: db, flush_interval_ms: 200 }, symbols: ['BTCUSDT'], interval: '1m',
      },
      strategy: { path: 'test/session/fixtures/hostile.strategy.ts', config: { secret: SECRET }, budget_ms: 20_000, memory_mb: 48 },
    }));
    const events: StrategyEvent[] = [];
    let bars = 0;
    const enough = new Promise<void>((resolve) => {
      session.on('bar', () => { bars += 1; if (bars >= 12 && events.some((e) => e.type === 'strategy.restarted')) resolve(); });
      session.on('strategy', (e) => { events.push(e); });
    });
    await session.start();
    await enough;
    const summary = await session.stop();
    expect(summary.state).toBe('stopped');
    console.log(JSON.stringify(events.map((e) => [e.type, (e as { reason?: string }).reason, (e as { message?: string }).message?.slice(0, 80)])));
    expect(events.find((e) => e.type === 'strategy.failed')).toMatchObject({ reason: 'oom' });
    const [{ n }] = await query(db, 'SELECT count(*) AS n FROM realtime_market_data') as [{ n: bigint }];
    expect(Number(n)).toBe(summary.bars);
    const logs = await query(db, `SELECT payload::VARCHAR AS p FROM session_events WHERE session_id = 'hostile-1' AND type = 'strategy:log'`);
    const payloads = logs.map((r) => String(r.p));
    expect(payloads.join('\n')).not.toContain(SECRET);
    expect(payloads.some((p) => p.includes('found ***'))).toBe(true);
    expect(payloads.some((p) => p.includes('kill attempted: undefined'))).toBe(true);
    expect(payloads.every((p) => !JSON.parse(p).message.includes('\n'))).toBe(true);
  }, 90_000);
});
