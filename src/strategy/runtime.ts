/**
 * The strategy runtime: runs a strategy module off the host's thread, by default inside a QuickJS sandbox
 * (`isolation: 'sandbox'`, see `sandbox-worker.ts`: no environment, files, network, processes or host
 * internals), or for the user's own code in a plain worker thread (`isolation: 'trusted'`), so that a strategy
 * that throws, loops forever or leaks memory cannot take the host down, and hands it bars in batches (one
 * message for every bar waiting, run one after another in the worker) under a time budget per bar.
 *
 * Failures and policy are per bar, also inside a batch. Every failure is a `strategy.failed` event (reason `threw`, `timeout`, `oom`,
 * `exited` or `load_failed`) on `onEvent` and, for a bar, in that bar's outcome. Then, with `onError: 'skip'`
 * (the default) the runner carries on with the next bar: after a throw the same worker keeps its state; after
 * a timeout (the worker is terminated), out-of-memory or exit, a fresh worker is started and the strategy is
 * initialised again with the same config, so its in-memory state is lost (`strategy.restarted`). With
 * `onError: 'stop'` the runner halts (`strategy.halted`) and refuses every further bar, which tells the
 * session to stop. Inside a batch, the bars after a timeout or a lost worker go to the restarted worker under
 * `skip` and are refused under `stop`; after a throw they run on under `skip` and are refused under `stop`
 * (the worker is ended, and nothing it sends after the failure is served). Host service calls a strategy makes count towards its budget, and a call already on its
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
import { StrategyWorker, type BarRun, type Isolation, type WorkerDeath } from './worker-host.ts';
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
  /** Per-bar time budget in ms, measured by the host from the bar's start (its batch sent, or the bar before it answered) to its outcome (default 1000). */
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
  /** Stopwatch of the per-bar latency, in ms (default `performance.now`); tests drive it to check the figures exactly. */
  readonly stopwatch?: () => number;
  /** Wait before the n-th restart in a row without a bar done in between (default: none for the first, then 250 ms doubling up to 30 s). */
  readonly restartDelayMs?: (consecutive: number) => number;
}

/** The default {@link StrategyRunnerOptions.restartDelayMs}: a crash loop restarts less and less often. */
export const restartBackoff = (consecutive: number): number => (consecutive <= 1 ? 0 : Math.min(30_000, 250 * 2 ** (consecutive - 2)));

const deathMessage = (death: WorkerDeath, heapMb: number): string =>
  death.reason === 'oom'
    ? `the strategy ran out of memory (limit ${heapMb} MB): ${death.error.message}`
    : death.error.message;

/** A loaded strategy in its worker, fed batches of bars that it runs one at a time. */
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
  #counts = { barsProcessed: 0, barsFailed: 0, barsTimedOut: 0, barsRefused: 0, batches: 0, failures: 0, restarts: 0 };
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
    return this.processBars([bar]).then((outcomes) => outcomes[0]!);
  }

  /**
   * Hands `bars` to the strategy in one message (after any bars before them); `onOutcome` hears each bar's outcome,
   * in order, as soon as it is known, and the promise resolves with all of them; never rejects.
   */
  processBars(bars: readonly Bar[], onOutcome?: (outcome: BarOutcome, index: number) => void): Promise<BarOutcome[]> {
    const outcomes = this.#tail.then(() => this.#processBatch(bars, onOutcome));
    this.#tail = outcomes.catch(() => undefined);
    return outcomes;
  }

  /** Counters and host-measured per-bar latency. */
  stats(): StrategyStats {
    return { state: this.#state, ...this.#counts, latencyMs: this.#latency.summary() };
  }

  /** Refuses new bars, lets the batch in hand finish (each bar bounded by the budget), then terminates the worker. */
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

  async #processBatch(bars: readonly Bar[], onOutcome: ((outcome: BarOutcome, index: number) => void) | undefined): Promise<BarOutcome[]> {
    const outcomes: BarOutcome[] = [];
    const settle = (outcome: BarOutcome): void => {
      outcomes.push(outcome);
      try {
        onOutcome?.(outcome, outcomes.length - 1);
      } catch {
        // The caller's bookkeeping must not change what happens to the rest of the batch.
      }
    };
    while (outcomes.length < bars.length) {
      await this.#restarting;
      const worker = this.#worker;
      if (this.#state !== 'running' || !worker) {
        const reason = this.#state === 'halted' ? 'halted' : 'stopped';
        for (const bar of bars.slice(outcomes.length)) {
          this.#counts.barsRefused += 1;
          settle({ status: 'refused', barKey: barKey(bar), reason });
        }
        break;
      }
      // Returns when the batch's rest is run, or cut short (a lost worker: the loop sends the rest to the next one).
      await this.#runOn(worker, bars.slice(outcomes.length), settle);
    }
    return outcomes;
  }

  /**
   * Runs `bars` on `worker`, each under its own budget, which starts when the bar before it is answered (the
   * worker starts it then). Settles bars in order; resolves after the last one, or early when a bar cut the
   * batch short: a timeout or a lost worker, or, with the runner halted or under policy `stop`, any failure.
   */
  #runOn(worker: StrategyWorker, bars: readonly Bar[], settle: (outcome: BarOutcome) => void): Promise<void> {
    return new Promise<void>((resolve) => {
      const stopwatch = this.#options.stopwatch ?? (() => performance.now());
      let index = 0;
      let startedAt = 0;
      let timer: NodeJS.Timeout | undefined;
      const key = (): string => barKey(bars[index]!);
      const start = (): void => {
        this.#inFlight = key();
        this.#counts.barsProcessed += 1;
        startedAt = stopwatch();
        timer = setTimeout(overrun, this.#budgetMs);
      };
      const end = (): void => {
        this.#inFlight = undefined;
        resolve();
      };
      const overrun = (): void => {
        // A timer may fire a fraction of a millisecond early by the stopwatch; a timeout counts as the budget.
        const latencyMs = Math.max(this.#budgetMs, stopwatch() - startedAt);
        const barKeyOf = key();
        this.#latency.record(latencyMs);
        this.#inFlight = undefined;
        this.#counts.barsFailed += 1;
        this.#counts.barsTimedOut += 1;
        worker.abandon();
        void worker.terminate().then(() => {
          const failure = this.#fail('timeout', `processData exceeded the ${this.#budgetMs} ms budget`, undefined, barKeyOf);
          this.#applyPolicy(failure, true);
          if (this.state === 'halted') this.#terminateWorker();
          settle({ status: 'failed', barKey: barKeyOf, latencyMs, failure });
          end();
        });
      };
      const onRun = (at: number, run: BarRun): void => {
        clearTimeout(timer);
        const latencyMs = stopwatch() - startedAt;
        const barKeyOf = key();
        this.#latency.record(latencyMs);
        this.#inFlight = undefined;
        let failure: StrategyFailed | undefined;
        if (run.kind === 'done') {
          this.#losses = 0;
          settle({ status: 'ok', barKey: barKeyOf, latencyMs });
        } else {
          this.#counts.barsFailed += 1;
          failure = run.kind === 'threw'
            ? this.#fail('threw', run.error.message, run.error.stack, barKeyOf)
            : this.#fail(run.death.reason, deathMessage(run.death, this.#memoryMb), run.death.error.stack, barKeyOf);
          this.#applyPolicy(failure, run.kind === 'died');
          settle({ status: 'failed', barKey: barKeyOf, latencyMs, failure });
        }
        index = at + 1;
        // An uncaught error under policy `stop` may have halted the runner while this bar was in hand. Under `stop`
        // the bars after a failure are not run even while the runner stops; the worker is ended at once, so what it
        // does with the next bar before it ends is neither served nor counted.
        const cut = this.state === 'halted' || (failure !== undefined && this.#options.onError === 'stop');
        if (cut) {
          worker.abandon();
          this.#terminateWorker();
        }
        if (cut || run.kind === 'died' || index >= bars.length) return end();
        start();
      };
      this.#counts.batches += 1;
      start();
      worker.send(bars, onRun);
    });
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
