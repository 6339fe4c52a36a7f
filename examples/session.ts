/**
 * Programmatic example (docs/session.md): a realtime trading session against the Binance simulator on loopback,
 * with the MA-cross strategy and the paper broker, persisted to a DuckDB file. Runs offline.
 *
 *   node node_modules/argo-realtime/dist/examples/session.js        # installed package, 10 seconds
 *   npx node --conditions=argo-realtime-source examples/session.ts  # in a clone, from sources
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { extname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRealtimeSession, decodeSessionConfig, startBinanceSimulator, type SessionSummary } from 'argo-realtime';

/** Runs the example for `durationMs` and returns the session summary. */
export const main = async (durationMs = 10_000, dbPath = join(mkdtempSync(join(tmpdir(), 'argo-example-')), 'session.duckdb')): Promise<SessionSummary> => {
  // A simulated Binance on 127.0.0.1: one market minute every 600 ms.
  const sim = await startBinanceSimulator({ tickMs: 200, marketStepMs: 20_000 });
  try {
    const config = decodeSessionConfig({
      session: {
        realtime_provider: 'binance-realtime',
        realtime_provider_config: { ws_url: sim.wsUrl, rest_url: sim.restUrl },
        trading_provider: 'paper',
        trading_provider_config: { initial_cash: 10_000 },
        storage_config: { output_path: dbPath },
        symbols: ['BTCUSDT', 'ETHUSDT'],
        interval: '1m',
      },
      // The strategy next to this file: ma-cross.strategy.ts in a clone, the built .js in the installed package.
      strategy: { path: fileURLToPath(new URL(`./ma-cross.strategy${extname(import.meta.url)}`, import.meta.url)), config: { fast: 3, slow: 8, quantity: 0.01 } },
    });
    const session = createRealtimeSession(config);
    session.on('order', (o) => console.log(`order ${o.id} ${o.side} ${o.quantity} ${o.symbol}: ${o.status}`));
    session.on('error', (e) => console.log(`${e.code}: ${e.message}`));
    await session.start();
    await new Promise((r) => setTimeout(r, durationMs));
    console.log('stats', JSON.stringify(session.stats().orders));
    return await session.stop();
  } finally {
    await sim.close();
  }
};

if (import.meta.main) {
  const summary = await main();
  console.log(summary);
}
