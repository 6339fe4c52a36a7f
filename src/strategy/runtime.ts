/**
 * The strategy runtime: runs a strategy module off the host's thread, by default inside a QuickJS sandbox
 * (`isolation: 'sandbox'`, see `sandbox-worker.ts`: no environment, files, network, processes or host
 * internals), or for the user's own code in a plain worker thread (`isolation: 'trusted'`), so that a strategy
 * that throws, loops forever or leaks memory cannot take the host down, and hands it bars one at a time under
 * a time budget.
 *
 * Failures and policy. Every failure is a `strategy.failed` event (reason `threw`, `timeout`, `oom`,
 * `exited` or `load_failed`) on `onEvent` and, for a bar, in that bar's outcome. Then, with `onError: 'skip'`
 * (the default) the runner carries on with the next bar: after a throw the same worker keeps its state; after
 * a timeout (the worker is terminated), out-of-memory or exit, a fresh worker is started and the strategy is
 * initialised again with the same config, so its in-memory state is lost (`strategy.restarted`). With
 * `onError: 'stop'` the runner halts (`strategy.halted`) and refuses every further bar, which tells the
 * session to stop. Host service calls a strategy makes count towards its budget, and a call already on its
 * way to the host (e.g. `placeOrder`) still completes when the worker is terminated. A strategy that fails on
 * every bar would make every bar an event-log row: past `failureEvents` per second, failures are counted in
 * the stats and the bar outcomes but reported as one, on the next failure reported (`repeated`); and restarts
 * in a row (no bar done in between) back off (`restartDelayMs`), so a crash loop does not keep a core busy.
 */
import { access } from 'node:fs/promises';
import { resolve as resolvePath } from 'node:path';
import { performance } from 'node:perf_hooks';
import { barKey, type Bar } from '../domain/bar.ts';
import type { JsonSchema } from './config.ts';
import { StrategyLoadError } from './errors.ts';
import type { BarOutcome, RunnerState, StrategyEvent, StrategyFailed, StrategyFailureReason, StrategyStats } from './events.ts';
import type { StrategyHostServices } from './host-api.ts';
import { LatencyRecorder } from './latency.ts';
import type { SerializedError } from './protocol.ts';
import type { GateLimits } from './message-gate.ts';
import { StrategyWorker, type Isolation, type WorkerDeath } from './worker-host.ts';
import { TokenBucket } from './token-bucket.ts';

// QuickJS's WebAssembly memory starts at about 16 MB; a limit near that would count the engine's own pages as the strategy's.
const MIN_SANDBOX_MB = 32;

/** What to do after a strategy failure: carry on with the next bar, or halt and refuse further bars. */
export type FailurePolicy = 'skip' | 'stop';

/** Options of {@link startStrategy}. */
export interface StrategyRunnerOptions {
  /** The host API implementation (data, trading, log, mark). */
  readonly services: StrategyHostServices;
  /** Config given to `initialize`, after the schema's defaults fill it. */
  readonly config?: Record<string, unknown>;
  /** Per-bar time budget in ms, measured by the host from sending the bar to its outcome (default 1000). */
  readonly budgetMs?: number;
  /** Policy after a failure (default `skip`). */
  readonly onError?: FailurePolicy;
  /** `sandbox` (default): QuickJS in WebAssembly, nothing reachable but the host API; `trusted`: a plain worker thread. */
  readonly isolation?: Isolation;
  /** Memory limit of the sandbox in MB (default 256, at least 32): heap and ArrayBuffers; reaching it is an `oom` failure. */
  readonly sandboxMemoryMb?: number;
  /** Limits on the messages (host calls) the strategy sends. */
  readonly gate?: Partial<GateLimits>;
  /** Nice value of the strategy's thread on Linux (default 10; 0 = the host's priority): a busy strategy yields the CPU to the host. */
  readonly nice?: number;
  /** V8 old-generation heap limit of the worker in MB (default 256); exceeding it is an `oom` failure. */
  readonly maxOldGenerationSizeMb?: number;
  /** V8 young-generation heap limit of the worker in MB (default: V8's). */
  readonly maxYoungGenerationSizeMb?: number;
  /** Time allowed for importing the module and `initialize` (default 10 000 ms). */
  readonly initTimeoutMs?: number;
  /** Restarts allowed before the runner halts (default 100). */
  readonly maxRestarts?: number;
  /** Recent samples kept for latency percentiles (default 4096). */
  readonly latencyWindow?: number;
  /** Receives every {@link StrategyEvent}; a listener that throws does not affect the runner. */
  readonly onEvent?: (event: StrategyEvent) => void;
  /** `strategy.failed` events reported per second at most, with a burst of twice as many (default 10); the rest are counted. */
  readonly failureEvents?: number;
  /** Clock of the failure event budget (default `Date.now`). */
  readonly now?: () => number;
  /** Wait before the n-th restart in a row without a bar done in between (default: none for the first, then 250 ms doubling up to 30 s). */
  readonly restartDelayMs?: (consecutive: number) => number;
}

/** The default {@link StrategyRunnerOptions.restartDelayMs}: a crash loop restarts less and less often. */
export const restartBackoff = (consecutive: number): number => (consecutive <= 1 ? 0 : Math.min(30_000, 250 * 2 ** (consecutive - 2)));

const deathMessage = (death: WorkerDeath, heapMb: number): string =>
  death.reason === 'oom'
    ? `the strategy ran out of memory (limit ${heapMb} MB): ${death.error.message}`
    : death.error.message;

/** A loaded strategy in its worker, fed one bar at a time. */
export class StrategyRunner {
  /** Absolute path of the strategy module. */
  readonly path: string;
  readonly #options: StrategyRunnerOptions;
  readonly #budgetMs: number;
  readonly #heapMb: number;
  readonly #latency: LatencyRecorder;
  #worker: StrategyWorker | undefined;
  // The limit an `oom` message names: the sandbox's, or the trusted worker's V8 heap.
  get #memoryMb(): number {
    return this.#options.isolation === 'trusted' ? this.#heapMb : Math.max(MIN_SANDBOX_MB, this.#options.sandboxMemoryMb ?? 256);
  }

  #loaded: { name: string; config: Record<string, unknown>; configSchema: JsonSchema | undefined } = { name: '', config: {}, configSchema: undefined };
  #generation = 0;
  #state: RunnerState = 'running';
  #tail: Promise<unknown> = Promise.resolve();
  #restarting: Promise<void> | undefined;
  #losses = 0;
  #cancelBackoff: (() => void) | undefined;
  #terminating: Promise<void> | undefined;
  #inFlight: string | undefined;
  #counts = { barsProcessed: 0, barsFailed: 0, barsTimedOut: 0, barsRefused: 0, failures: 0, restarts: 0 };
  readonly #failureBudget: TokenBucket;
  #unreported = 0;

  private constructor(path: string, options: StrategyRunnerOptions) {
    this.path = path;
    this.#options = options;
    this.#budgetMs = options.budgetMs ?? 1000;
    this.#heapMb = options.maxOldGenerationSizeMb ?? 256;
    this.#latency = new LatencyRecorder(options.latencyWindow);
    const perSecond = options.failureEvents ?? 10;
    this.#failureBudget = new TokenBucket(perSecond, 2 * perSecond, options.now ?? Date.now);
  }

  /** Loads the strategy at `path` in a worker and initialises it; rejects with a {@link StrategyLoadError} naming the path. */
  static async start(path: string, options: StrategyRunnerOptions): Promise<StrategyRunner> {
    const absolute = resolvePath(path);
    try {
      await access(absolute);
    } catch {
      throw new StrategyLoadError({ path: absolute, stage: 'not_found', message: `strategy ${absolute}: file not found` });
    }
    const runner = new StrategyRunner(absolute, options);
    const worker = await runner.#spawn();
    runner.#worker = worker;
    runner.#loaded = { name: worker.name, config: worker.config, configSchema: worker.configSchema };
    return runner;
  }

  /** The strategy's `name`. */
  get name(): string {
    return this.#loaded.name;
  }

  /** The config `initialize` received (defaults filled). */
  get config(): Record<string, unknown> {
    return this.#loaded.config;
  }

  /** The strategy's `configSchema`, when it has one. */
  get configSchema(): JsonSchema | undefined {
    return this.#loaded.configSchema;
  }

  /** Current lifecycle state. */
  get state(): RunnerState {
    return this.#state;
  }

  /** Hands one bar to the strategy (after any bar before it) and resolves with what became of it; never rejects. */
  processBar(bar: Bar): Promise<BarOutcome> {
    const outcome = this.#tail.then(() => this.#process(bar));
    this.#tail = outcome.catch(() => undefined);
    return outcome;
  }

  /** Counters and host-measured per-bar latency. */
  stats(): StrategyStats {
    return { state: this.#state, ...this.#counts, latencyMs: this.#latency.summary() };
  }

  /** Refuses new bars, lets the bar in hand finish (bounded by the budget), then terminates the worker. */
  async stop(): Promise<void> {
    if (this.#state === 'stopped') return;
    this.#state = 'stopping';
    // A restart waiting out its backoff is not started at all.
    this.#cancelBackoff?.();
    await this.#tail;
    await this.#restarting;
    await this.#terminating;
    await this.#worker?.terminate();
    this.#state = 'stopped';
  }

  async #process(bar: Bar): Promise<BarOutcome> {
    const key = barKey(bar);
    await this.#restarting;
    const worker = this.#worker;
    if (this.#state !== 'running' || !worker) {
      this.#counts.barsRefused += 1;
      return { status: 'refused', barKey: key, reason: this.#state === 'halted' ? 'halted' : 'stopped' };
    }
    this.#inFlight = key;
    this.#counts.barsProcessed += 1;
    const sentAt = performance.now();
    let timer: NodeJS.Timeout | undefined;
    const overrun = new Promise<'timeout'>((resolve) => { timer = setTimeout(() => resolve('timeout'), this.#budgetMs); });
    const run = await Promise.race([worker.run(bar), overrun]);
    clearTimeout(timer);
    // A timer may fire a fraction of a millisecond early by performance.now(); a timeout counts as the budget.
    const latencyMs = run === 'timeout' ? Math.max(this.#budgetMs, performance.now() - sentAt) : performance.now() - sentAt;
    this.#latency.record(latencyMs);
    this.#inFlight = undefined;
    if (run !== 'timeout' && run.kind === 'done') {
      // An uncaught error under policy `stop` may have halted the runner while this bar was in hand.
      if (this.state === 'halted') this.#terminateWorker();
      this.#losses = 0;
      return { status: 'ok', barKey: key, latencyMs };
    }
    this.#counts.barsFailed += 1;
    let failure: StrategyFailed;
    if (run === 'timeout') {
      this.#counts.barsTimedOut += 1;
      await worker.terminate();
      failure = this.#fail('timeout', `processData exceeded the ${this.#budgetMs} ms budget`, undefined, key);
    } else if (run.kind === 'threw') {
      failure = this.#fail('threw', run.error.message, run.error.stack, key);
    } else {
      failure = this.#fail(run.death.reason, deathMessage(run.death, this.#memoryMb), run.death.error.stack, key);
    }
    this.#applyPolicy(failure, run === 'timeout' || run.kind === 'died');
    if (this.state === 'halted') this.#terminateWorker();
    return { status: 'failed', barKey: key, latencyMs, failure };
  }

  #spawn(): Promise<StrategyWorker> {
    const generation = ++this.#generation;
    const current = (): boolean => generation === this.#generation;
    const { maxYoungGenerationSizeMb, isolation, gate, nice } = this.#options;
    return StrategyWorker.spawn({
      path: this.path,
      config: this.#options.config ?? {},
      services: this.#options.services,
      isolation: isolation ?? 'sandbox',
      budgetMs: this.#budgetMs,
      memoryLimitBytes: this.#memoryMb * 1024 * 1024,
      ...(gate ? { gate } : {}),
      ...(nice !== undefined ? { nice } : {}),
      resourceLimits: { maxOldGenerationSizeMb: this.#heapMb, ...(maxYoungGenerationSizeMb ? { maxYoungGenerationSizeMb } : {}) },
      initTimeoutMs: this.#options.initTimeoutMs ?? 10_000,
      onUncaught: (error) => { if (current()) this.#onUncaught(error); },
      onDeath: (death) => { if (current()) this.#onIdleDeath(death); },
      onServiceError: (method, e) => {
        if (!current()) return;
        this.#emit({ type: 'strategy.service_failed', strategy: this.name, method, message: e instanceof Error ? e.message : String(e) });
      },
    });
  }

  #onUncaught(error: SerializedError): void {
    const failure = this.#fail('threw', `uncaught: ${error.message}`, error.stack, this.#inFlight);
    this.#applyPolicy(failure, false);
  }

  #onIdleDeath(death: WorkerDeath): void {
    const failure = this.#fail(death.reason, deathMessage(death, this.#memoryMb), death.error.stack);
    this.#applyPolicy(failure, true);
  }

  #applyPolicy(failure: StrategyFailed, workerLost: boolean): void {
    if (this.#state !== 'running') return;
    if (this.#options.onError === 'stop') return this.#halt(failure.reason, failure.message);
    if (workerLost) this.#restart(failure.reason);
  }

  #restart(after: StrategyFailureReason): void {
    const max = this.#options.maxRestarts ?? 100;
    if (this.#counts.restarts >= max) return this.#halt(after, `gave up after ${max} restarts (last failure: ${after})`);
    this.#state = 'restarting';
    // Each restart costs a core for a moment (a new thread loads QuickJS): a strategy that dies on every bar must
    // not keep one busy, on a machine whose other core ingests and persists.
    const delay = (this.#options.restartDelayMs ?? restartBackoff)(++this.#losses);
    const waited = delay > 0 ? new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, delay);
      this.#cancelBackoff = () => { clearTimeout(timer); resolve(); };
    }) : Promise.resolve();
    this.#restarting = waited.then(() => (this.#state === 'restarting' ? this.#spawn() : undefined)).then(
      (worker) => {
        if (!worker) return;
        this.#worker = worker;
        this.#counts.restarts += 1;
        if (this.#state === 'restarting') this.#state = 'running';
        this.#emit({ type: 'strategy.restarted', strategy: this.name, restarts: this.#counts.restarts, after });
      },
      (e: unknown) => {
        const error = e instanceof StrategyLoadError ? e : undefined;
        const failure = this.#fail('load_failed', error?.message ?? String(e), error?.causeStack);
        this.#worker = undefined;
        this.#halt(failure.reason, `restart failed: ${failure.message}`);
      },
    ).finally(() => { this.#restarting = undefined; this.#cancelBackoff = undefined; });
  }

  #halt(reason: StrategyFailureReason, message: string): void {
    if (this.#state !== 'running' && this.#state !== 'restarting') return;
    this.#state = 'halted';
    this.#emit({ type: 'strategy.halted', strategy: this.name, reason, message });
    if (this.#inFlight === undefined) this.#terminateWorker();
  }

  #terminateWorker(): void {
    const worker = this.#worker;
    if (worker?.alive) this.#terminating = worker.terminate();
  }

  #fail(reason: StrategyFailureReason, message: string, stack: string | undefined, key?: string): StrategyFailed {
    this.#counts.failures += 1;
    const event: StrategyFailed = {
      type: 'strategy.failed', strategy: this.name, reason, message,
      ...(stack ? { stack } : {}), ...(key ? { barKey: key } : {}),
    };
    // Load failures and halts are rare and always told; a failure on every bar is told a few times a second.
    if (reason !== 'load_failed' && !this.#failureBudget.take()) {
      this.#unreported += 1;
      return event;
    }
    const repeated = this.#unreported;
    this.#unreported = 0;
    this.#emit(repeated > 0 ? { ...event, repeated } : event);
    return event;
  }

  #emit(event: StrategyEvent): void {
    try {
      this.#options.onEvent?.(event);
    } catch {
      // A listener's bug must not change what happens to the strategy or the bars.
    }
  }
}

/** Loads and initialises the strategy module at `path` in a worker thread; see {@link StrategyRunner}. */
export const startStrategy = (path: string, options: StrategyRunnerOptions): Promise<StrategyRunner> =>
  StrategyRunner.start(path, options);
