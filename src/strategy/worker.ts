/**
 * Worker-thread entry of the strategy runtime: imports the strategy module given in `workerData`, resolves
 * its config, runs `initialize`, reports `ready` (or `load.failed` with the stage and stack), then runs
 * `processData` for each bar the host sends, one after another from a queue (bars come in batches), and answers
 * `bar.done` / `bar.failed` for each. The {@link StrategyApi} handed to the strategy turns every call into a
 * message to the host. Errors that escape the strategy
 * outside a bar (a throw in a timer, an unhandled rejection) are reported as `uncaught` and the worker
 * keeps running, like after a bar that threw.
 */
import { pathToFileURL } from 'node:url';
import { parentPort, workerData } from 'node:worker_threads';
import type { Bar } from '../domain/bar.ts';
import type { AccountInfo, Order, Position } from '../trading/types.ts';
import { resolveConfig } from './config.ts';
import type { NotifyMethod, RequestMethod, SqlRow, StrategyApi } from './host-api.ts';
import { deserializeError, serializeError, type HostMessage, type LoadStage, type WorkerInput, type WorkerMessage } from './protocol.ts';
import { strategyExport, strategyProblem, type Strategy } from './strategy.ts';
import { DEFAULT_STRATEGY_NICE, lowerThreadPriority } from './thread-priority.ts';

if (!parentPort) throw new Error('src/strategy/worker.ts must be started as a worker thread');
const port = parentPort;
const input = workerData as WorkerInput;
// Before the strategy is imported, so none of its code runs at the host's priority.
lowerThreadPriority(input.nice ?? DEFAULT_STRATEGY_NICE);
const post = (message: WorkerMessage): void => port.postMessage(message);

const pending = new Map<number, { resolve: (value: unknown) => void; reject: (error: Error) => void }>();
let nextRequestId = 1;

const request = <T>(method: RequestMethod, args: readonly unknown[]): Promise<T> =>
  new Promise<T>((resolve, reject) => {
    const id = nextRequestId++;
    pending.set(id, { resolve: resolve as (value: unknown) => void, reject });
    try {
      post({ kind: 'request', id, method, args });
    } catch (e) {
      // Arguments that cannot be cloned (functions, class instances with private state) fail here.
      pending.delete(id);
      reject(e instanceof Error ? e : new Error(String(e)));
    }
  });

// Structured clone first; then JSON, which drops functions and symbols; text as a last resort.
const cloneable = (value: unknown): unknown => {
  try {
    structuredClone(value);
    return value;
  } catch {
    try {
      return JSON.parse(JSON.stringify(value)) as unknown;
    } catch {
      return String(value);
    }
  }
};

const notify = (method: NotifyMethod, args: readonly unknown[]): void => {
  try {
    post({ kind: 'notify', method, args });
  } catch {
    // log/mark promise never to throw into the strategy: degrade what cannot be cloned.
    post({ kind: 'notify', method, args: args.map(cloneable) });
  }
};

const api: StrategyApi = Object.freeze({
  getRange: (...args: Parameters<StrategyApi['getRange']>) => request<Bar[]>('getRange', args),
  readLastData: (...args: Parameters<StrategyApi['readLastData']>) => request<Bar | undefined>('readLastData', args),
  executeSQL: (...args: Parameters<StrategyApi['executeSQL']>) => request<SqlRow[]>('executeSQL', args),
  subscribeRealtime: (...args: Parameters<StrategyApi['subscribeRealtime']>) => request<void>('subscribeRealtime', args),
  placeOrder: (...args: Parameters<StrategyApi['placeOrder']>) => request<Order>('placeOrder', args),
  getPositions: () => request<Position[]>('getPositions', []),
  cancelOrder: (...args: Parameters<StrategyApi['cancelOrder']>) => request<Order>('cancelOrder', args),
  getAccountInfo: () => request<AccountInfo>('getAccountInfo', []),
  getOpenOrders: () => request<Order[]>('getOpenOrders', []),
  getOrderStatus: (...args: Parameters<StrategyApi['getOrderStatus']>) => request<Order | undefined>('getOrderStatus', args),
  log: (...args: Parameters<StrategyApi['log']>) => notify('log', args),
  mark: (...args: Parameters<StrategyApi['mark']>) => notify('mark', args),
});

let strategy: Strategy | undefined;

const runBar = async (seq: number, bar: Bar): Promise<void> => {
  try {
    if (!strategy) throw new Error('bar received before the strategy was initialised');
    await strategy.processData(bar, api);
    post({ kind: 'bar.done', seq });
  } catch (e) {
    post({ kind: 'bar.failed', seq, error: serializeError(e) });
  }
};

// Bars of every batch, in order; the next one starts as soon as the one before it is answered.
const queue: { seq: number; bar: Bar }[] = [];
let draining = false;

const drain = async (): Promise<void> => {
  draining = true;
  try {
    for (let next = queue.shift(); next; next = queue.shift()) await runBar(next.seq, next.bar);
  } finally {
    draining = false;
  }
};

port.on('message', (message: HostMessage) => {
  if (message.kind === 'bars') {
    message.bars.forEach((bar, i) => queue.push({ seq: message.first + i, bar }));
    if (!draining) void drain();
    return;
  }
  const waiter = pending.get(message.id);
  if (!waiter) return;
  pending.delete(message.id);
  if (message.ok) waiter.resolve(message.value);
  else waiter.reject(deserializeError(message.error));
});

process.on('uncaughtException', (e) => post({ kind: 'uncaught', error: serializeError(e) }));
process.on('unhandledRejection', (e) => post({ kind: 'uncaught', error: serializeError(e) }));

const fail = (stage: LoadStage, e: unknown): void => post({ kind: 'load.failed', stage, error: serializeError(e) });

const load = async (): Promise<void> => {
  let module: Record<string, unknown>;
  try {
    module = (await import(pathToFileURL(input.path).href)) as Record<string, unknown>;
  } catch (e) {
    return fail('import', e);
  }
  const candidate = strategyExport(module);
  const problem = strategyProblem(candidate);
  if (problem) return fail('export', new TypeError(problem));
  const loaded = candidate as Strategy;
  const resolved = resolveConfig(loaded.configSchema, input.config);
  if (!resolved.ok) return fail('config', new TypeError(resolved.problems.join('; ')));
  try {
    await loaded.initialize(resolved.config, api);
  } catch (e) {
    return fail('initialize', e);
  }
  strategy = loaded;
  const configSchema = cloneable(loaded.configSchema) === loaded.configSchema ? loaded.configSchema : undefined;
  post({ kind: 'ready', name: loaded.name, config: resolved.config, ...(configSchema ? { configSchema } : {}) });
};

void load();
