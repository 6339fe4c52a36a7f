/**
 * Host side of one strategy worker thread: spawns `sandbox-worker.ts` (QuickJS sandbox, the default) or
 * `worker.ts` (trusted: the strategy runs in the thread's own V8) with V8 heap limits and an empty
 * environment, waits for the strategy to load, serves its host API requests from {@link StrategyHostServices}
 * after the {@link MessageGate} checked their shape, size and rate, sends bars in batches and reports each
 * bar's end in order (an answer for any bar but the one running is refused), and tells how the worker died
 * (out of memory, exited, uncaught error). Budgets and policy live in `runtime.ts`; this file only knows one
 * worker's life.
 */
import { extname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker, type ResourceLimits } from 'node:worker_threads';
import type { Bar } from '../domain/bar.ts';
import { StrategyLoadError } from './errors.ts';
import type { JsonSchema } from './config.ts';
import { isNotifyMethod, isRequestMethod, type StrategyHostServices } from './host-api.ts';
import { workerExecArgv } from '../module-url.ts';
import { serializeError, type HostMessage, type NotifyLimits, type SerializedError } from './protocol.ts';

import { DEFAULT_GATE_LIMITS, MessageGate, safeLogLevel, safeLogText, type GateLimits } from './message-gate.ts';

/** How a strategy is isolated: `sandbox` (QuickJS in WebAssembly, the default) or `trusted` (a plain worker thread). */
export type Isolation = 'sandbox' | 'trusted';

// `.ts` when run from source, `.js` from a build: the worker entries sit beside this module either way.
const EXT = extname(fileURLToPath(import.meta.url));
const ENTRIES: Record<Isolation, URL> = {
  sandbox: new URL(`./sandbox-worker${EXT}`, import.meta.url),
  trusted: new URL(`./worker${EXT}`, import.meta.url),
};
// Workers started from sources resolve `argo-realtime/strategy` to the sources too (the package's source condition).
const WORKER_EXEC_ARGV = workerExecArgv(import.meta.url);

/** How a worker ended without the host asking it to. */
export interface WorkerDeath {
  readonly reason: 'oom' | 'exited' | 'threw';
  readonly error: SerializedError;
}

/** What became of one bar in the worker. */
export type BarRun =
  | { readonly kind: 'done' }
  | { readonly kind: 'threw'; readonly error: SerializedError }
  | { readonly kind: 'died'; readonly death: WorkerDeath };

/** Options of {@link StrategyWorker.spawn}. */
export interface SpawnOptions {
  /** Absolute path of the strategy module. */
  readonly path: string;
  readonly config: Record<string, unknown>;
  readonly services: StrategyHostServices;
  readonly resourceLimits: ResourceLimits;
  /** How the strategy is isolated (default `sandbox`). */
  readonly isolation?: Isolation;
  /** Per-bar budget, enforced inside the sandbox too (ms). */
  readonly budgetMs?: number;
  /** Memory limit of the sandbox (bytes). */
  readonly memoryLimitBytes?: number;
  /** Nice value of the worker thread (see `thread-priority.ts`). */
  readonly nice?: number;
  /** Limits on the messages the worker sends. */
  readonly gate?: Partial<GateLimits>;
  /** Time allowed for import + `initialize`. */
  readonly initTimeoutMs: number;
  /** An error escaped the strategy outside `processData`'s promise; the worker lives on. */
  readonly onUncaught: (error: SerializedError) => void;
  /** The worker died while no bar was in flight and the host had not asked it to stop. */
  readonly onDeath: (death: WorkerDeath) => void;
  /** A one-way service (`log`, `mark`) threw. */
  readonly onServiceError: (method: string, error: unknown) => void;
}

const notifyLimitsOf = (l: GateLimits): NotifyLimits => ({
  notifyPerSecond: l.notifyPerSecond, notifyBurst: l.notifyBurst, notifyCharsPerSecond: l.notifyCharsPerSecond, notifyBurstChars: l.notifyBurstChars,
});

const deathOf = (error: Error | undefined, exitCode: number): WorkerDeath => {
  if (error && (error as { code?: unknown }).code === 'ERR_WORKER_OUT_OF_MEMORY') {
    return { reason: 'oom', error: serializeError(error) };
  }
  if (error) return { reason: 'threw', error: serializeError(error) };
  return { reason: 'exited', error: { name: 'WorkerExit', message: `the strategy's worker exited with code ${exitCode}` } };
};

/** One live strategy worker thread. */
export class StrategyWorker {
  /** The strategy's `name`. */
  name = '';
  /** The strategy's `configSchema`, when it has one. */
  configSchema: JsonSchema | undefined;
  /** The config after defaults, as `initialize` received it. */
  config: Record<string, unknown> = {};

  readonly #options: SpawnOptions;
  readonly #worker: Worker;
  #loading: { resolve: () => void; reject: (e: StrategyLoadError) => void } | undefined;
  // The batch in the worker's hands: `next` is the sequence number of the bar running, `end` one past the last.
  #batch: { next: number; end: number; first: number; onRun: (index: number, run: BarRun) => void } | undefined;
  #abandoned = false;
  #seq = 0;
  #lastError: Error | undefined;
  #fatal: WorkerDeath | undefined;
  readonly #gate: MessageGate;
  #exited = false;
  #terminating = false;
  readonly #exit: Promise<void>;

  private constructor(options: SpawnOptions) {
    this.#options = options;
    this.#gate = new MessageGate(options.gate);
    this.#worker = new Worker(ENTRIES[options.isolation ?? 'sandbox'], {
      workerData: {
        path: options.path, config: options.config,
        ...(options.budgetMs !== undefined ? { budgetMs: options.budgetMs } : {}),
        ...(options.memoryLimitBytes !== undefined ? { memoryLimitBytes: options.memoryLimitBytes } : {}),
        ...(options.nice !== undefined ? { nice: options.nice } : {}),
        notifyLimits: notifyLimitsOf({ ...DEFAULT_GATE_LIMITS, ...options.gate }),
      },
      resourceLimits: options.resourceLimits,
      ...(WORKER_EXEC_ARGV ? { execArgv: WORKER_EXEC_ARGV } : {}),
      // A worker thread shares process.env unless given its own: the strategy's thread gets none.
      env: {},
      stdout: true,
      stderr: true,
    });
    // The thread's own stdout/stderr are not the terminal's: drain them so output neither blocks nor reaches it.
    this.#worker.stdout.resume();
    this.#worker.stderr.resume();
    this.#worker.on('message', (m: unknown) => this.#onMessage(m));
    this.#worker.on('error', (e: Error) => { this.#lastError = e; });
    this.#exit = new Promise((resolve) => this.#worker.once('exit', (code: number) => { this.#onExit(code); resolve(); }));
  }

  /** Starts a worker and resolves once the strategy is imported and initialised; rejects with a {@link StrategyLoadError}. */
  static async spawn(options: SpawnOptions): Promise<StrategyWorker> {
    const worker = new StrategyWorker(options);
    let timer: NodeJS.Timeout | undefined;
    try {
      await new Promise<void>((resolve, reject) => {
        worker.#loading = { resolve, reject };
        timer = setTimeout(() => {
          reject(worker.#loadError('timeout', `import and initialize took longer than ${options.initTimeoutMs} ms`));
        }, options.initTimeoutMs);
      });
      return worker;
    } catch (e) {
      await worker.terminate();
      throw e;
    } finally {
      clearTimeout(timer);
      worker.#loading = undefined;
    }
  }

  /** True until the worker thread has exited. */
  get alive(): boolean {
    return !this.#exited;
  }

  /**
   * Sends `bars` in one message; `onRun(i, run)` is called, in order and synchronously from the worker's answer,
   * when `bars[i]` is done, threw, or the worker died with it in hand (then no later bar is reported). One batch at a time.
   */
  send(bars: readonly Bar[], onRun: (index: number, run: BarRun) => void): void {
    if (this.#batch) throw new Error('a batch of bars is already in flight');
    if (this.#abandoned) throw new Error('the worker was abandoned');
    if (bars.length === 0) return;
    if (this.#exited) return onRun(0, { kind: 'died', death: this.#fatal ?? deathOf(this.#lastError, 1) });
    const first = this.#seq + 1;
    this.#seq += bars.length;
    this.#batch = { first, next: first, end: first + bars.length, onRun };
    try {
      this.#worker.postMessage({ kind: 'bars', first, bars } satisfies HostMessage);
    } catch (e) {
      // Nothing reached the worker: every bar of the batch failed the same way.
      const error = serializeError(e);
      for (let seq = first; seq < first + bars.length; seq++) this.#settle(seq, { kind: 'threw', error });
    }
  }

  /**
   * Gives up on the batch in hand (a timeout, a halt): its remaining bars are not reported, and nothing the worker
   * sends from now on is served, because it belongs to bars the host no longer counts as run. The caller terminates it.
   */
  abandon(): void {
    this.#abandoned = true;
    this.#batch = undefined;
  }

  /** Stops the thread at once (a running bar is abandoned) and resolves when it has exited. */
  async terminate(): Promise<void> {
    this.#terminating = true;
    if (!this.#exited) await this.#worker.terminate();
    await this.#exit;
  }

  #loadError(stage: StrategyLoadError['stage'], message: string, causeStack?: string): StrategyLoadError {
    const path = this.#options.path;
    return new StrategyLoadError({ path, stage, message: `strategy ${path}: ${message}`, ...(causeStack ? { causeStack } : {}) });
  }

  #settle(seq: number, run: BarRun): void {
    const batch = this.#batch;
    // Only the bar running may end: an answer for a later bar of the batch (not run yet) or an earlier one is forged.
    if (!batch || seq !== batch.next) {
      this.#gate.dropped += 1;
      return;
    }
    batch.next += 1;
    if (batch.next === batch.end) this.#batch = undefined;
    batch.onRun(seq - batch.first, run);
  }

  /** Messages the gate dropped as malformed, and calls it refused over a limit. */
  get gateCounts(): { dropped: number; refused: number } {
    return { dropped: this.#gate.dropped, refused: this.#gate.refused };
  }

  #onMessage(raw: unknown): void {
    if (this.#abandoned) return;
    const m = this.#gate.accept(raw);
    if (!m) return;
    switch (m.kind) {
      case 'ready':
        this.name = m.name;
        this.configSchema = m.configSchema;
        this.config = m.config;
        this.#loading?.resolve();
        return;
      case 'load.failed': {
        const what = m.stage === 'import' ? 'cannot import the module' : m.stage === 'export' ? 'no valid strategy export' :
          m.stage === 'config' ? 'invalid config' : 'initialize threw';
        this.#loading?.reject(this.#loadError(m.stage, `${what}: ${m.error.message}`, m.error.stack));
        return;
      }
      case 'bar.done':
        return this.#settle(m.seq, { kind: 'done' });
      case 'bar.failed':
        return this.#settle(m.seq, { kind: 'threw', error: m.error });
      case 'request':
        return void this.#serve(m.id, m.method, m.args);
      case 'notify':
        return void this.#notify(m.method, m.args);
      case 'uncaught':
        return this.#options.onUncaught(m.error);
      case 'dropped':
        return this.#reportDropped(m.method, m.message, m.count);
      case 'fatal':
        this.#fatal = { reason: 'oom', error: m.error };
        return void this.#worker.terminate();
    }
  }

  async #serve(id: number, method: string, args: readonly unknown[]): Promise<void> {
    let reply: HostMessage;
    const refused = this.#gate.admit(method, args, true);
    if (refused) {
      reply = { kind: 'reply', id, ok: false, error: refused };
    } else {
      try {
        if (!isRequestMethod(method)) throw new TypeError(`unknown host method ${method}`);
        const fn = this.#options.services[method] as (...a: readonly unknown[]) => Promise<unknown>;
        reply = { kind: 'reply', id, ok: true, value: await fn.apply(this.#options.services, [...args]) };
      } catch (e) {
        reply = { kind: 'reply', id, ok: false, error: serializeError(e) };
      } finally {
        this.#gate.release();
      }
    }
    if (this.#exited) return;
    try {
      this.#worker.postMessage(reply);
    } catch (e) {
      // The service returned something that cannot cross threads (e.g. an object with methods).
      this.#worker.postMessage({ kind: 'reply', id, ok: false, error: serializeError(e) } satisfies HostMessage);
    }
  }

  async #notify(method: string, args: readonly unknown[]): Promise<void> {
    try {
      if (!isNotifyMethod(method)) throw new TypeError(`unknown host notification ${method}`);
      const refused = this.#gate.admit(method, args, false);
      if (refused) return this.#reportDropped(method, refused.message);
      if (method === 'log') {
        const [level, message, data] = args;
        const safe = data === undefined ? [] : [data];
        await this.#options.services.log(safeLogLevel(level), safeLogText(message, this.#gate.limits.maxLogChars), ...safe);
        return;
      }
      const fn = this.#options.services[method] as (...a: readonly unknown[]) => Promise<void>;
      await fn.apply(this.#options.services, [...args]);
    } catch (e) {
      this.#options.onServiceError(method, e);
    }
  }

  // One report per second at most: a strategy flooding `log` must not flood the event log with reports instead.
  #dropped = { count: 0, reportedAt: Number.NEGATIVE_INFINITY };

  #reportDropped(method: string, message: string, calls = 1): void {
    this.#dropped.count += calls;
    const now = performance.now();
    if (now - this.#dropped.reportedAt < 1_000) return;
    const count = this.#dropped.count;
    this.#dropped = { count: 0, reportedAt: now };
    this.#options.onServiceError(method, new RangeError(`${count} call${count === 1 ? '' : 's'} dropped (latest: ${message})`));
  }

  #onExit(code: number): void {
    this.#exited = true;
    const death = this.#fatal ?? deathOf(this.#lastError, code);
    if (this.#loading) {
      const why = death.reason === 'oom' ? 'ran out of memory' : `worker ${death.reason}: ${death.error.message}`;
      this.#loading.reject(this.#loadError('worker', `${why} while loading`, death.error.stack));
    } else if (this.#batch) {
      const { next } = this.#batch;
      // The bar in hand died with the worker; the rest of the batch is the caller's to send again or refuse.
      this.#batch = { ...this.#batch, end: next + 1 };
      this.#settle(next, { kind: 'died', death });
    } else if (!this.#terminating) {
      this.#options.onDeath(death);
    }
  }
}
