// A plain JavaScript consumer of the installed package: a short session against the bundled Binance simulator
// on loopback, with the user's TypeScript strategy next to this file and the paper broker. Prints one JSON line.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRealtimeSession, decodeSessionConfig, isRealtimeError, startBinanceSimulator } from 'argo-realtime';
import { defineStrategy, intervalMs } from 'argo-realtime/strategy';

const schemaPath = fileURLToPath(import.meta.resolve('argo-realtime/schema/session-config.schema.json'));
const sim = await startBinanceSimulator({ tickMs: 100, marketStepMs: 20_000 });
try {
  const session = createRealtimeSession(decodeSessionConfig({
    session: {
      realtime_provider: 'binance-realtime',
      realtime_provider_config: { ws_url: sim.wsUrl, rest_url: sim.restUrl },
      trading_provider: 'paper',
      storage_config: { output_path: join(mkdtempSync(join(tmpdir(), 'argo-consumer-')), 'consumer.duckdb') },
      symbols: ['BTCUSDT'],
      interval: '1m',
    },
    strategy: { path: fileURLToPath(new URL('./my.strategy.ts', import.meta.url)), config: { quantity: 0.1 } },
  }));
  const errors = [];
  session.on('error', (e) => errors.push(`${e.code}: ${e.message}`));
  // Five closed bars reach the session (and the strategy, which buys on its third), then it stops.
  const fifthBar = new Promise((resolve) => { let n = 0; session.on('bar', () => { if (++n === 5) resolve(); }); });
  const filled = new Promise((resolve) => session.on('fill', resolve));
  await session.start();
  await Promise.all([fifthBar, filled]);
  const summary = await session.stop();
  console.log(JSON.stringify({
    state: summary.state, bars: summary.bars, fills: summary.fills, errors,
    defineStrategy: typeof defineStrategy, minuteMs: intervalMs('1m'), isRealtimeError: typeof isRealtimeError, schemaPath,
  }));
} finally {
  await sim.close();
}
