/**
 * The host's check of every message a strategy worker sends: its shape (a known `kind` with fields of the
 * right types), its size (arguments of one call as JSON), and its rate (host calls awaiting an answer, calls
 * per second, and for `log`/`mark`, which end up in the event log, calls and characters per second, each from
 * a token bucket). The cheap checks (counts) come before the costly one (the JSON size), so a flood is refused
 * before the host does work for it. A message that fails the shape check is dropped and counted; a call over
 * the limits is answered with a `RATE_LIMITED` or `INVALID_MESSAGE` error instead of being served.
 * Log text is made safe for a terminal here too: control characters escaped, length capped, secrets redacted.
 */
import { redact } from '../secrets.ts';
import { isNotifyMethod, isRequestMethod, type LogLevel } from './host-api.ts';
import type { SerializedError, WorkerMessage } from './protocol.ts';
import { TokenBucket } from './token-bucket.ts';

/** Limits of a {@link MessageGate}. */
export interface GateLimits {
  /** Host calls that may await an answer at once (default 64). */
  readonly maxInFlight: number;
  /** Sustained host calls per second (default 2000). */
  readonly callsPerSecond: number;
  /** Calls allowed in a burst above the sustained rate (default 2000). */
  readonly burst: number;
  /** Longest JSON text of one call's arguments (default 262 144 characters). */
  readonly maxArgsChars: number;
  /** Longest log message kept; the rest is cut and marked (default 4096). */
  readonly maxLogChars: number;
  /** Sustained `log` and `mark` calls per second (default 200): each one is an event log row. */
  readonly notifyPerSecond: number;
  /** `log` and `mark` calls allowed in a burst (default 1000). */
  readonly notifyBurst: number;
  /** Sustained characters of `log` and `mark` arguments (as JSON) per second (default 65 536). */
  readonly notifyCharsPerSecond: number;
  /** Characters of `log` and `mark` arguments allowed in a burst (default 262 144). */
  readonly notifyBurstChars: number;
}

/** The default {@link GateLimits}. */
export const DEFAULT_GATE_LIMITS: GateLimits = {
  maxInFlight: 64, callsPerSecond: 2000, burst: 2000, maxArgsChars: 256 * 1024, maxLogChars: 4096,
  notifyPerSecond: 200, notifyBurst: 1000, notifyCharsPerSecond: 64 * 1024, notifyBurstChars: 256 * 1024,
};

const KINDS = new Set(['ready', 'load.failed', 'bar.done', 'bar.failed', 'request', 'notify', 'uncaught', 'dropped', 'fatal']);
const LEVELS: ReadonlySet<string> = new Set<LogLevel>(['debug', 'info', 'warn', 'error']);

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const isSeq = (v: unknown): boolean => Number.isSafeInteger(v) && (v as number) > 0;
const isError = (v: unknown): boolean => isRecord(v) && typeof v.name === 'string' && typeof v.message === 'string';

/** Why `m` is not a well-formed {@link WorkerMessage}, or undefined when it is one. */
export const messageProblem = (m: unknown): string | undefined => {
  if (!isRecord(m) || typeof m.kind !== 'string' || !KINDS.has(m.kind)) return 'not a message of a known kind';
  switch (m.kind) {
    case 'ready': return typeof m.name === 'string' && isRecord(m.config) ? undefined : 'ready without name or config';
    case 'load.failed': return isError(m.error) ? undefined : 'load.failed without an error';
    case 'bar.done': return isSeq(m.seq) ? undefined : 'bar.done without a sequence number';
    case 'bar.failed': return isSeq(m.seq) && isError(m.error) ? undefined : 'bar.failed without a sequence number or error';
    case 'request':
      return isSeq(m.id) && isRequestMethod(m.method) && Array.isArray(m.args) ? undefined : 'request without id, known method or args';
    case 'notify': return isNotifyMethod(m.method) && Array.isArray(m.args) ? undefined : 'notify without a known method or args';
    case 'uncaught': return isError(m.error) ? undefined : 'uncaught without an error';
    case 'dropped':
      return isNotifyMethod(m.method) && Number.isSafeInteger(m.count) && (m.count as number) > 0 && typeof m.message === 'string'
        ? undefined : 'dropped without a known method, count or message';
    case 'fatal': return m.reason === 'oom' && isError(m.error) ? undefined : 'fatal without reason or error';
  }
  return undefined;
};

const jsonLength = (v: unknown): number => {
  try {
    return (JSON.stringify(v, (_k, x: unknown) => (typeof x === 'bigint' ? String(x) : x)) ?? '').length;
  } catch {
    return Number.POSITIVE_INFINITY;
  }
};

/** Escapes control characters (newlines, escape sequences) so one log call prints as one line, and redacts secrets. */
export const safeLogText = (text: unknown, maxChars: number = DEFAULT_GATE_LIMITS.maxLogChars): string => {
  const s = typeof text === 'string' ? text : String(text);
  const cut = s.length > maxChars ? `${s.slice(0, maxChars)}… (${s.length - maxChars} more characters)` : s;
  // eslint-disable-next-line no-control-regex
  const escaped = cut.replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g, (c) =>
    c === '\n' ? '\\n' : c === '\r' ? '\\r' : c === '\t' ? '\\t' : `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
  return redact(escaped);
};

/** A valid log level, `info` for anything else. */
export const safeLogLevel = (level: unknown): LogLevel => (typeof level === 'string' && LEVELS.has(level) ? (level as LogLevel) : 'info');

/** Shape, size and rate check of one worker's messages. */
export class MessageGate {
  readonly #limits: GateLimits;
  readonly #calls: TokenBucket;
  readonly #notifies: TokenBucket;
  readonly #notifyChars: TokenBucket;
  #inFlight = 0;
  /** Messages dropped because they were malformed. */
  dropped = 0;
  /** Calls answered with an error because of a limit. */
  refused = 0;

  constructor(limits: Partial<GateLimits> = {}, now: () => number = Date.now) {
    this.#limits = { ...DEFAULT_GATE_LIMITS, ...limits };
    const l = this.#limits;
    this.#calls = new TokenBucket(l.callsPerSecond, l.burst, now);
    this.#notifies = new TokenBucket(l.notifyPerSecond, l.notifyBurst, now);
    this.#notifyChars = new TokenBucket(l.notifyCharsPerSecond, l.notifyBurstChars, now);
  }

  /** The limits in force. */
  get limits(): GateLimits {
    return this.#limits;
  }

  /** The message when it is well-formed, else undefined (and it is counted as dropped). */
  accept(m: unknown): WorkerMessage | undefined {
    if (messageProblem(m) === undefined) return m as WorkerMessage;
    this.dropped += 1;
    return undefined;
  }

  /** Takes a slot for one host call (request or notification), or says why the call is refused. */
  admit(method: string, args: readonly unknown[], awaited: boolean): SerializedError | undefined {
    const refuse = (code: string, message: string): SerializedError => { this.refused += 1; return { name: 'StrategyCallRefused', code, message }; };
    const l = this.#limits;
    // Counts first: a flood is refused before its arguments are measured.
    if (awaited && this.#inFlight >= l.maxInFlight) return refuse('RATE_LIMITED', `${method}: more than ${l.maxInFlight} host calls awaiting an answer`);
    if (!awaited && !this.#notifies.take()) return refuse('RATE_LIMITED', `${method}: more than ${l.notifyPerSecond} log and mark calls per second`);
    if (!this.#calls.take()) return refuse('RATE_LIMITED', `${method}: more than ${l.callsPerSecond} host calls per second`);
    const chars = jsonLength(args);
    if (chars > l.maxArgsChars) return refuse('INVALID_MESSAGE', `${method}: arguments exceed ${l.maxArgsChars} characters of JSON`);
    if (!awaited && !this.#notifyChars.take(chars)) return refuse('RATE_LIMITED', `${method}: more than ${l.notifyCharsPerSecond} characters of log and mark per second`);
    if (awaited) this.#inFlight += 1;
    return undefined;
  }

  /** Gives back the slot of an awaited call once it is answered. */
  release(): void {
    this.#inFlight = Math.max(0, this.#inFlight - 1);
  }
}
