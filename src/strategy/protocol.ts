/**
 * Messages between the strategy runtime (host) and its worker thread, and how errors cross that boundary.
 * Requests carry ids so replies can overtake one another. Bars travel in batches (every bar the host had for the
 * strategy at once, one message), numbered `first`, `first + 1`, ...; the worker runs them in order and answers
 * each one, so the host knows which bar every answer belongs to, refuses an answer for a bar that is not the
 * one running, and drops the answers of a bar it already gave up on (timeout).
 */
import type { Bar } from '../domain/bar.ts';
import type { JsonSchema } from './config.ts';
import type { NotifyMethod, RequestMethod } from './host-api.ts';

/** An error reduced to structured-cloneable, JSON-serialisable data. */
export interface SerializedError {
  readonly name: string;
  readonly message: string;
  readonly stack?: string;
  /** A stable code when the error had one (e.g. `RealtimeError.code`). */
  readonly code?: string;
  /** A reason when the error had one (e.g. `ReadOnlyQueryError.reason`). */
  readonly reason?: string;
}

/** What the worker is started with (`workerData`). */
export interface WorkerInput {
  /** Absolute path of the strategy module. */
  readonly path: string;
  readonly config: Record<string, unknown>;
  /** Per-bar CPU budget the sandbox enforces with QuickJS's interrupt handler (ms). */
  readonly budgetMs?: number;
  /** Memory limit of the sandbox's QuickJS runtime (bytes). */
  readonly memoryLimitBytes?: number;
  /** `log`/`mark` budgets the sandbox applies before a notification crosses to the host (the gate's defaults when absent). */
  readonly notifyLimits?: NotifyLimits;
  /** Nice value the worker thread gives itself before loading the strategy (see `thread-priority.ts`; 0 = unchanged). */
  readonly nice?: number;
}

/** Budgets of a strategy's `log` and `mark` calls (see `GateLimits`). */
export interface NotifyLimits {
  readonly notifyPerSecond: number;
  readonly notifyBurst: number;
  readonly notifyCharsPerSecond: number;
  readonly notifyBurstChars: number;
}

/** The step of loading that failed. */
export type LoadStage = 'import' | 'export' | 'config' | 'initialize';

/** Host → worker. */
export type HostMessage =
  /** Bars to run in order; `bars[i]` has sequence number `first + i`. */
  | { readonly kind: 'bars'; readonly first: number; readonly bars: readonly Bar[] }
  | { readonly kind: 'reply'; readonly id: number; readonly ok: true; readonly value: unknown }
  | { readonly kind: 'reply'; readonly id: number; readonly ok: false; readonly error: SerializedError };

/** Worker → host. */
export type WorkerMessage =
  | { readonly kind: 'ready'; readonly name: string; readonly configSchema?: JsonSchema; readonly config: Record<string, unknown> }
  | { readonly kind: 'load.failed'; readonly stage: LoadStage; readonly error: SerializedError }
  | { readonly kind: 'bar.done'; readonly seq: number }
  | { readonly kind: 'bar.failed'; readonly seq: number; readonly error: SerializedError }
  | { readonly kind: 'request'; readonly id: number; readonly method: RequestMethod; readonly args: readonly unknown[] }
  | { readonly kind: 'notify'; readonly method: NotifyMethod; readonly args: readonly unknown[] }
  | { readonly kind: 'uncaught'; readonly error: SerializedError }
  /** The sandbox dropped `count` notifications over their budget since its last report (at most one report a second). */
  | { readonly kind: 'dropped'; readonly method: NotifyMethod; readonly count: number; readonly message: string }
  /** The sandbox ran out of memory; the worker exits right after this message. */
  | { readonly kind: 'fatal'; readonly reason: 'oom'; readonly error: SerializedError };

/** Reduces any thrown value to a {@link SerializedError}, keeping its stack, `code` and `reason`. */
export const serializeError = (e: unknown): SerializedError => {
  if (e instanceof Error) {
    const extra = e as Error & { code?: unknown; reason?: unknown; _tag?: unknown };
    return {
      name: typeof extra._tag === 'string' ? extra._tag : e.name,
      message: e.message,
      ...(e.stack ? { stack: e.stack } : {}),
      ...(typeof extra.code === 'string' ? { code: extra.code } : {}),
      ...(typeof extra.reason === 'string' ? { reason: extra.reason } : {}),
    };
  }
  return { name: 'NonError', message: typeof e === 'string' ? e : safeString(e) };
};

/** Rebuilds an `Error` from a {@link SerializedError}, with the original name, stack, `code` and `reason`. */
export const deserializeError = (s: SerializedError): Error => {
  const error = new Error(s.message) as Error & { code?: string; reason?: string };
  error.name = s.name;
  if (s.stack) error.stack = s.stack;
  if (s.code) error.code = s.code;
  if (s.reason) error.reason = s.reason;
  return error;
};

const safeString = (v: unknown): string => {
  try {
    return JSON.stringify(v) ?? String(v);
  } catch {
    return String(v);
  }
};
