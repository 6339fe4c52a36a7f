/**
 * Worker-thread entry of the sandboxed strategy runtime (the default isolation). The strategy does not run
 * in this thread's V8: it runs inside QuickJS compiled to WebAssembly, in a context whose only globals are
 * ECMAScript's own plus what `sandbox-prelude.ts` builds from the host functions below, so it has no
 * `process`, no `require`, no `fetch`, no file system, no sockets and no way to reach this thread's message
 * port. CPU is bounded by QuickJS's interrupt handler (the per-bar budget, also for timer callbacks), memory
 * by the QuickJS runtime's limit (heap, strings and ArrayBuffers alike: they all live in the WebAssembly
 * memory). Host calls are capped in flight and in size here, `log`/`mark` by their budgets (calls and
 * characters per second) before they cross to the host thread, and everything is validated again by the host.
 * Speaks the same protocol as `worker.ts` (`protocol.ts`) plus `fatal` for out of memory and `dropped` for notifications over budget.
 */
import releaseSync from '@jitl/quickjs-wasmfile-release-sync';
import { newQuickJSWASMModuleFromVariant, newVariant, type QuickJSDeferredPromise, type QuickJSHandle, type QuickJSSyncVariant } from 'quickjs-emscripten-core';
import { parentPort, workerData } from 'node:worker_threads';
import { resolveConfig } from './config.ts';
import { isNotifyMethod, isRequestMethod } from './host-api.ts';
import type { Bar } from '../domain/bar.ts';
import type { HostMessage, LoadStage, SerializedError, WorkerInput, WorkerMessage } from './protocol.ts';
import { SANDBOX_PRELUDE } from './sandbox-prelude.ts';
import { sandboxModules } from './sandbox-modules.ts';
import { strategyProblem } from './strategy.ts';
import { TokenBucket } from './token-bucket.ts';
import { DEFAULT_STRATEGY_NICE, lowerThreadPriority } from './thread-priority.ts';
import { DEFAULT_GATE_LIMITS } from './message-gate.ts';

/** Host calls a sandboxed strategy may have awaiting an answer at once; more are refused at once. */
export const MAX_IN_FLIGHT = 64;
/** Longest JSON text of one host call's arguments (characters). */
export const MAX_CALL_CHARS = 256 * 1024;
/** Timers a sandboxed strategy may have pending. */
export const MAX_TIMERS = 1_000;
const LOAD_BUDGET_MS = 10_000;

if (!parentPort) throw new Error('src/strategy/sandbox-worker.ts must be started as a worker thread');
const port = parentPort;
const input = workerData as WorkerInput;
// Before QuickJS loads: a restart (loading the engine keeps a core busy for a moment) yields to the host too.
lowerThreadPriority(input.nice ?? DEFAULT_STRATEGY_NICE);
const budgetMs = input.budgetMs ?? 1_000;
const post = (message: WorkerMessage): void => port.postMessage(message);

const isTagged = (x: unknown, key: string): x is Record<string, unknown> =>
  typeof x === 'object' && x !== null && !Array.isArray(x) && Object.keys(x).length === 1 && key in x;
const encode = (v: unknown): string => JSON.stringify(v, (_k, x: unknown) =>
  typeof x === 'bigint' ? { $bigint: String(x) } : x instanceof Uint8Array ? { $bytes: Array.from(x) } : x) ?? 'null';
const decode = (s: string): unknown => JSON.parse(s, (_k, x: unknown) =>
  isTagged(x, '$bigint') ? BigInt(String(x.$bigint)) : isTagged(x, '$bytes') ? new Uint8Array(x.$bytes as number[]) : x);

const memoryLimitBytes = input.memoryLimitBytes ?? 256 * 1024 * 1024;
// QuickJS's own limit does not count every allocation (a string built by `repeat` escaped it and grew the
// WebAssembly memory to 2 GB): the WebAssembly memory itself gets a maximum, the limit plus the engine's
// 16 MB start, so that malloc fails there whatever allocates.
const PAGE = 64 * 1024;
const START_PAGES = 256;
// This project's `lib` has no WebAssembly types; the global exists in every Node.
type WasmMemory = { readonly buffer: ArrayBuffer };
const { Memory } = (globalThis as unknown as { WebAssembly: { Memory: new (d: { initial: number; maximum: number }) => WasmMemory } }).WebAssembly;
const wasmMemory = new Memory({ initial: START_PAGES, maximum: START_PAGES + Math.ceil(memoryLimitBytes / PAGE) });
// The package's types describe its CommonJS build; imported as ESM, the default export is the variant itself.
const qjs = await newQuickJSWASMModuleFromVariant(newVariant(releaseSync as unknown as QuickJSSyncVariant, { wasmMemory: wasmMemory as never }));
const runtime = qjs.newRuntime({ memoryLimitBytes, maxStackSizeBytes: 1024 * 1024 });
const ctx = runtime.newContext();
const modules = sandboxModules(input.path);
runtime.setModuleLoader(
  (name) => { try { return modules.load(name); } catch (e) { return { error: e as Error }; } },
  (base, requested) => { try { return modules.normalize(base, requested); } catch (e) { return { error: e as Error }; } },
);

let deadline = Date.now() + LOAD_BUDGET_MS;
let barDeadline: number | undefined;
let dead = false;
// Also stops a strategy that keeps allocating after catching `out of memory`; `checkMemory` then reports oom.
// A bar interrupted at its deadline is the host's timeout, whatever the strategy does after it (an interrupt
// that crosses an `await` becomes a catchable rejection, so the strategy could otherwise finish "in time").
let barInterrupted = false;
runtime.setInterruptHandler(() => {
  const over = Date.now() > deadline || wasmMemory.buffer.byteLength >= memoryLimitBytes;
  if (over && barDeadline !== undefined) barInterrupted = true;
  return over;
});

const pending = new Map<number, QuickJSDeferredPromise>();
const timers = new Map<number, NodeJS.Timeout>();
let nextRequestId = 1;
let loaded: { name: string; configSchema: unknown; config: Record<string, unknown> } | undefined;

const asSerialized = (v: unknown): SerializedError => {
  const o = (typeof v === 'object' && v !== null ? v : { message: String(v) }) as Record<string, unknown>;
  return {
    name: typeof o.name === 'string' ? o.name : 'Error',
    message: typeof o.message === 'string' ? o.message : String(v),
    ...(typeof o.stack === 'string' ? { stack: o.stack } : {}),
    ...(typeof o.code === 'string' ? { code: o.code } : {}),
    ...(typeof o.reason === 'string' ? { reason: o.reason } : {}),
  };
};

const isOom = (e: SerializedError): boolean => e.name === 'InternalError' && e.message === 'out of memory';

/** Out of memory leaves the sandbox unusable: say so once and let the host end this worker. */
const fatalIfOom = (e: SerializedError): boolean => {
  if (!isOom(e)) return false;
  if (!dead) post({ kind: 'fatal', reason: 'oom', error: e });
  dead = true;
  return true;
};

const errorOf = (handle: QuickJSHandle): SerializedError => {
  const e = asSerialized(ctx.dump(handle));
  handle.dispose();
  return e.name === 'InternalError' && e.message === 'interrupted'
    ? { ...e, message: `interrupted: the strategy ran longer than its ${budgetMs} ms budget` }
    : e;
};

const isInterrupt = (e: SerializedError): boolean => e.name === 'InternalError' && e.message.startsWith('interrupted');

const onEscaped = (e: SerializedError): void => {
  // A bar interrupted at its deadline never settles: the host's budget timer reports it as a timeout.
  if (barDeadline !== undefined && isInterrupt(e)) return;
  if (!fatalIfOom(e)) post({ kind: 'uncaught', error: e });
};

/**
 * WebAssembly memory only grows: once it has reached the limit, the strategy hit the limit (even if it caught
 * the `out of memory` error), and only a fresh worker gives that memory back to the host.
 */
const checkMemory = (): void => {
  if (!dead && wasmMemory.buffer.byteLength >= memoryLimitBytes) {
    fatalIfOom({ name: 'InternalError', message: 'out of memory' });
  }
};

/** Runs pending QuickJS jobs (promise reactions) under the current deadline. */
const pump = (): void => {
  for (;;) {
    const result = runtime.executePendingJobs();
    if (result.error) { onEscaped(errorOf(result.error)); continue; }
    if (result.value === 0 || dead) return;
  }
};

// Bars of every batch the host sent, in order, not started yet.
const queue: { seq: number; bar: Bar }[] = [];
let driving = false;

/** Enters the sandbox: the bar's deadline while a bar is in hand, else a fresh budget for this callback; then the next bar. */
const enter = (fn: () => void): void => {
  if (dead) return;
  deadline = barDeadline ?? Date.now() + budgetMs;
  try {
    fn();
    if (!dead) pump();
    checkMemory();
  } finally {
    if (barDeadline === undefined) deadline = Date.now() + budgetMs;
  }
  drive();
};

/**
 * Starts queued bars one after another while none is in hand: a bar that does not await the host ends inside its
 * own `enter`, so a batch of such bars runs in one go. After a bar interrupted at its deadline nothing more starts:
 * the host times that bar out and ends this worker, and the rest of the batch goes to a fresh one (or nowhere).
 */
const drive = (): void => {
  if (driving) return;
  driving = true;
  try {
    for (;;) {
      if (dead || barDeadline !== undefined || barInterrupted) return;
      const next = queue.shift();
      if (!next) return;
      barDeadline = Date.now() + budgetMs;
      enter(() => callGlobal('__bar', [ctx.newNumber(next.seq), ctx.newString(encode(next.bar))]));
    }
  } finally {
    driving = false;
  }
};

const callGlobal = (name: string, args: QuickJSHandle[]): void => {
  const fn = ctx.getProp(ctx.global, name);
  const result = ctx.callFunction(fn, ctx.undefined, ...args);
  fn.dispose();
  args.forEach((a) => a.dispose());
  if (result.error) onEscaped(errorOf(result.error));
  else result.value.dispose();
};

const boundedText = (handle: QuickJSHandle, what: string): string => {
  const length = ctx.getProp(handle, 'length');
  const n = ctx.typeof(length) === 'number' ? ctx.getNumber(length) : Number.NaN;
  length.dispose();
  if (!(n <= MAX_CALL_CHARS)) throw new RangeError(`${what}: arguments exceed ${MAX_CALL_CHARS} characters of JSON`);
  return ctx.getString(handle);
};

const rejection = (error: SerializedError): QuickJSHandle => {
  const handle = ctx.newError({ name: error.name, message: error.message });
  for (const key of ['code', 'reason'] as const) {
    const v = error[key];
    if (v !== undefined) ctx.setProp(handle, key, ctx.newString(v));
  }
  return handle;
};

const failLoad = (stage: LoadStage, error: SerializedError): void => {
  if (!fatalIfOom(error)) post({ kind: 'load.failed', stage, error });
  dead = true;
};

const host = ctx.newObject();
const define = (name: string, fn: (...args: QuickJSHandle[]) => QuickJSHandle | void): void => {
  const handle = ctx.newFunction(name, fn);
  ctx.setProp(host, name, handle);
  handle.dispose();
};

define('request', (methodH, jsonH) => {
  const method = ctx.getString(methodH);
  const deferred = ctx.newPromise();
  const refuse = (error: SerializedError): QuickJSHandle => {
    const e = rejection(error);
    deferred.reject(e);
    e.dispose();
    const handle = deferred.handle.dup();
    deferred.dispose();
    return handle;
  };
  if (!isRequestMethod(method)) return refuse({ name: 'TypeError', message: `unknown host method ${method}`, code: 'INVALID_MESSAGE' });
  if (pending.size >= MAX_IN_FLIGHT) {
    return refuse({ name: 'RateLimited', code: 'RATE_LIMITED', message: `${method}: more than ${MAX_IN_FLIGHT} host calls awaiting an answer; await them` });
  }
  let args: unknown;
  try {
    args = decode(boundedText(jsonH, method));
  } catch (e) {
    return refuse({ name: 'RangeError', code: 'INVALID_MESSAGE', message: (e as Error).message });
  }
  const id = nextRequestId++;
  pending.set(id, deferred);
  post({ kind: 'request', id, method, args: Array.isArray(args) ? args : [] });
  return deferred.handle.dup();
});

// A log flood is dropped here, before it costs the host thread anything; the host is told once a second.
const notifyLimits = input.notifyLimits ?? DEFAULT_GATE_LIMITS;
const notifyCalls = new TokenBucket(notifyLimits.notifyPerSecond, notifyLimits.notifyBurst, Date.now);
const notifyChars = new TokenBucket(notifyLimits.notifyCharsPerSecond, notifyLimits.notifyBurstChars, Date.now);
let droppedNotifies = { count: 0, reportedAt: Number.NEGATIVE_INFINITY, message: '' };
const dropNotify = (method: 'log' | 'mark', message: string): void => {
  droppedNotifies.count += 1;
  droppedNotifies.message = message;
  const now = Date.now();
  if (now - droppedNotifies.reportedAt < 1_000) return;
  post({ kind: 'dropped', method, count: droppedNotifies.count, message: droppedNotifies.message });
  droppedNotifies = { count: 0, reportedAt: now, message: '' };
};

define('notify', (methodH, jsonH) => {
  const method = ctx.getString(methodH);
  if (!isNotifyMethod(method)) return;
  if (!notifyCalls.take()) return dropNotify(method, `${method}: more than ${notifyLimits.notifyPerSecond} log and mark calls per second`);
  const json = boundedText(jsonH, method);
  if (!notifyChars.take(json.length)) return dropNotify(method, `${method}: more than ${notifyLimits.notifyCharsPerSecond} characters of log and mark per second`);
  const args = decode(json);
  post({ kind: 'notify', method, args: Array.isArray(args) ? args : [] });
});

define('timer', (idH, msH) => {
  const id = ctx.getNumber(idH);
  if (timers.size >= MAX_TIMERS) throw new RangeError(`more than ${MAX_TIMERS} pending timers`);
  timers.set(id, setTimeout(() => {
    timers.delete(id);
    enter(() => callGlobal('__fire', [ctx.newNumber(id)]));
  }, Math.min(ctx.getNumber(msH), 2 ** 31 - 1)));
});

define('timeOrigin', () => ctx.newNumber(performance.timeOrigin));
define('now', () => ctx.newNumber(performance.now()));

define('clearTimer', (idH) => {
  const id = ctx.getNumber(idH);
  clearTimeout(timers.get(id));
  timers.delete(id);
});

define('described', (jsonH) => {
  const shape = decode(ctx.getString(jsonH)) as { name?: unknown; initialize?: string; processData?: string; configSchema?: unknown } | null;
  // strategyProblem checks a value's shape; stand-in functions carry what `typeof` said inside the sandbox.
  const fn = (): void => undefined;
  const candidate = shape === null ? undefined : {
    name: shape.name, configSchema: shape.configSchema === 'invalid' ? 'invalid' : shape.configSchema,
    initialize: shape.initialize === 'function' ? fn : undefined, processData: shape.processData === 'function' ? fn : undefined,
  };
  const problem = strategyProblem(candidate);
  if (problem) return failLoad('export', { name: 'TypeError', message: problem });
  const schema = shape!.configSchema as Parameters<typeof resolveConfig>[0];
  const resolved = resolveConfig(schema, input.config);
  if (!resolved.ok) return failLoad('config', { name: 'TypeError', message: resolved.problems.join('; ') });
  loaded = { name: String(shape!.name), configSchema: schema, config: resolved.config };
  const json = ctx.newString(encode(resolved.config));
  callGlobal('__init', [json]);
});

define('loadFailed', (stageH, jsonH) => {
  const stage = ctx.getString(stageH) === 'initialize' ? 'initialize' : 'import';
  failLoad(stage, asSerialized(decode(ctx.getString(jsonH))));
});

define('ready', () => {
  if (!loaded) return;
  deadline = Date.now() + budgetMs;
  const { name, config, configSchema } = loaded;
  post({ kind: 'ready', name, config, ...(configSchema ? { configSchema: configSchema as object } : {}) });
});

define('done', (seqH) => {
  barDeadline = undefined;
  checkMemory();
  if (!dead && !barInterrupted) post({ kind: 'bar.done', seq: ctx.getNumber(seqH) });
});

define('failed', (seqH, jsonH) => {
  const error = asSerialized(decode(boundedText(jsonH, 'error')));
  barDeadline = undefined;
  if (isInterrupt(error)) barInterrupted = true;
  if (fatalIfOom(error) || barInterrupted) return;
  post({ kind: 'bar.failed', seq: ctx.getNumber(seqH), error });
});

define('uncaught', (jsonH) => onEscaped(asSerialized(decode(boundedText(jsonH, 'error')))));

ctx.setProp(ctx.global, '__host', host);
host.dispose();

const onHostMessage = (message: HostMessage): void => {
  if (dead) return;
  if (message.kind === 'bars') {
    message.bars.forEach((bar, i) => queue.push({ seq: message.first + i, bar }));
    drive();
    return;
  }
  const deferred = pending.get(message.id);
  if (!deferred) return;
  pending.delete(message.id);
  enter(() => {
    if (message.ok) {
      const value = ctx.newString(encode(message.value));
      deferred.resolve(value);
      value.dispose();
    } else {
      const e = rejection(message.error);
      deferred.reject(e);
      e.dispose();
    }
    deferred.dispose();
  });
};

const load = (): void => {
  const prelude = ctx.evalCode(SANDBOX_PRELUDE, 'argo-realtime:prelude');
  if (prelude.error) return failLoad('import', errorOf(prelude.error));
  prelude.value.dispose();
  let source: string;
  try {
    source = modules.load(input.path);
  } catch (e) {
    return failLoad('import', asSerialized(e));
  }
  const evaluated = ctx.evalCode(source, input.path, { type: 'module' });
  if (evaluated.error) return failLoad('import', errorOf(evaluated.error));
  ctx.setProp(ctx.global, '__module', evaluated.value);
  evaluated.value.dispose();
  callGlobal('__describe', []);
};

port.on('message', onHostMessage);
enter(load);
