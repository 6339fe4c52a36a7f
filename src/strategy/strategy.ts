/**
 * The strategy module shape (the seed's TradingStrategy). A strategy is a TypeScript or JavaScript ES module
 * whose default export, or named export `strategy`, is a {@link Strategy}:
 *
 * ```ts
 * import { defineStrategy } from 'argo-realtime/strategy';
 * export default defineStrategy({
 *   name: 'buy-the-dip',
 *   configSchema: { type: 'object', properties: { quantity: { type: 'number', default: 1 } } },
 *   initialize(config, api) { api.log('info', 'ready', config); },
 *   async processData(bar, api) { if (bar.close < bar.open) await api.placeOrder({ ... }); },
 * });
 * ```
 *
 * The runtime loads the module in a worker thread, fills the config's defaults from `configSchema` and
 * checks it, calls `initialize` once, then `processData` once per closed bar, one bar at a time: the next
 * bar is delivered only after the promise returned for the previous one has settled. Module state lives as
 * long as the worker: after a timeout, out-of-memory or exit the worker is replaced by a fresh one and
 * `initialize` runs again with the same config, so anything kept in memory is lost and should be rebuilt
 * from `api.getRange` / `api.getPositions`. TypeScript strategies must use erasable syntax only (no enums,
 * namespaces or parameter properties), as Node strips types without compiling.
 */
import type { Bar } from '../domain/bar.ts';
import type { JsonSchema } from './config.ts';
import type { StrategyApi } from './host-api.ts';

/** The shape a strategy module exports; `Config` is the resolved config `initialize` receives. */
export interface Strategy<Config = Record<string, unknown>> {
  /** Name used in logs and events; non-empty. */
  readonly name: string;
  /** JSON Schema (the subset in `config.ts`) of the config; its property defaults fill missing values. */
  readonly configSchema?: JsonSchema;
  /** Called once per worker, before the first bar, with the config after defaults and checks. */
  initialize(config: Config, api: StrategyApi): void | Promise<void>;
  /** Called once per closed bar; a throw or rejection is a `strategy.failed` event for that bar. */
  processData(bar: Bar, api: StrategyApi): void | Promise<void>;
}

/** Identity function that types a strategy literal (and its config) without a cast. */
export const defineStrategy = <Config = Record<string, unknown>>(strategy: Strategy<Config>): Strategy<Config> =>
  strategy;

/** Why a module export is not a {@link Strategy}, or undefined when it is one. */
export const strategyProblem = (candidate: unknown): string | undefined => {
  if (typeof candidate !== 'object' || candidate === null) {
    return 'the module has no default export or `strategy` export that is an object';
  }
  const s = candidate as Record<string, unknown>;
  if (typeof s.name !== 'string' || s.name.length === 0) return '`name` must be a non-empty string';
  if (typeof s.initialize !== 'function') return '`initialize` must be a function';
  if (typeof s.processData !== 'function') return '`processData` must be a function';
  if (s.configSchema !== undefined && (typeof s.configSchema !== 'object' || s.configSchema === null)) {
    return '`configSchema` must be a JSON Schema object';
  }
  return undefined;
};

/** Picks the strategy out of an imported module namespace: the default export, else the `strategy` export. */
export const strategyExport = (module: Record<string, unknown>): unknown => module.default ?? module.strategy;
