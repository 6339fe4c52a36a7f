/**
 * A user's TypeScript strategy, outside node_modules, importing the package by name as its docs show: the
 * tarball test runs it with Node's type stripping (replay and the `.mjs` consumer) and type-checks it.
 */
import { defineStrategy, intervalMs, type Bar, type StrategyApi } from 'argo-realtime/strategy';

/** Config after defaults. */
interface Config {
  readonly quantity: number;
}

let seen = 0;

export default defineStrategy<Config>({
  name: 'buy-on-third-bar',
  configSchema: { type: 'object', properties: { quantity: { type: 'number', exclusiveMinimum: 0, default: 0.1 } } },
  initialize(config: Config, api: StrategyApi) {
    api.log('info', `quantity ${config.quantity}, 1m = ${intervalMs('1m')} ms`);
  },
  async processData(bar: Bar, api: StrategyApi) {
    seen += 1;
    if (seen === 3) await api.placeOrder({ symbol: bar.symbol, side: 'buy', type: 'market', quantity: 0.1 });
  },
});
