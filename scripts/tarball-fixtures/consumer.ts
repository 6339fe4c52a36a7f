/**
 * A TypeScript consumer of the installed package, type-checked by the tarball test with a strict NodeNext
 * tsconfig and nothing else: the public API's declarations must be clean for it.
 */
import { createRealtimeSession, decodeSessionConfig, defineStrategy, loadConfigFile, type Bar, type RealtimeSession, type SessionSummary } from 'argo-realtime';
import { intervalMs, type StrategyApi } from 'argo-realtime/strategy';

/** Starts a session from a config file and resolves with its summary after `ms`. */
export const runFor = async (configPath: string, ms: number): Promise<SessionSummary> => {
  const session: RealtimeSession = createRealtimeSession(loadConfigFile(configPath));
  session.on('bar', (bar: Bar) => console.log(bar.symbol, bar.close));
  await session.start();
  await new Promise((resolve) => setTimeout(resolve, ms));
  return session.stop();
};

/** A strategy written inline, typed by `defineStrategy`. */
export const inline = defineStrategy<{ readonly size: number }>({
  name: 'inline',
  initialize(config, api: StrategyApi) {
    api.log('info', `size ${config.size}, bar ${intervalMs('1m')} ms`);
  },
  async processData(bar, api) {
    if (bar.close > bar.open) await api.placeOrder({ symbol: bar.symbol, side: 'buy', type: 'market', quantity: 1 });
  },
});

export const config = decodeSessionConfig({ session: { realtime_provider: 'binance-realtime', symbols: ['BTCUSDT'], interval: '1m' } });
