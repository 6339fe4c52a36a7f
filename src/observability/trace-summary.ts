/**
 * `trace summarize <file>`: reads a trace written by {@link createTraceWriter} and tells, per actor, how its state
 * changed over time (reconnects show as `open → backoff → connecting → open` of a `connection` actor, flushes as
 * `flushing` entries of the `writer` actor), followed by the session's facts (orders, fills, errors). Times are
 * relative to the first line. Lines that are not valid trace JSON are counted and skipped, so a trace cut short
 * by a crash still summarises. Lines are read by `readTrace` (trace-reader.ts).
 */
import { readTrace } from './trace-reader.ts';
import type { TraceValue } from './sanitize.ts';

/** A change of an actor's state. */
export interface TraceTransition {
  readonly t: number;
  readonly from?: string;
  readonly to: string;
  /** The event that caused it. */
  readonly event: string;
  /** Why, when the actor's context says so (`lastReason`, `failure.message`). */
  readonly reason?: string;
}

/** One actor's timeline. */
export interface ActorTimeline {
  readonly actor: string;
  readonly systemId?: string;
  readonly transitions: TraceTransition[];
  /** Entries per top-level state (`backoff: 2`). */
  readonly entered: Record<string, number>;
  /** Events delivered to it. */
  events: number;
}

/** What {@link summarizeTrace} found, plus the rendered text. */
export interface TraceSummary {
  readonly path: string;
  readonly lines: number;
  readonly malformed: number;
  readonly start: number | undefined;
  readonly end: number | undefined;
  readonly actors: readonly ActorTimeline[];
  readonly facts: readonly { readonly t: number; readonly fact: string; readonly data: TraceValue }[];
  /** Entries into `backoff` of connection actors. */
  readonly reconnects: number;
  /** Entries into a `flushing` state of writer actors. */
  readonly flushes: number;
  /** Distinct order ids seen in `order` facts. */
  readonly orders: number;
  readonly fills: number;
  readonly text: string;
}

/** Options of {@link summarizeTrace}. */
export interface TraceSummaryOptions {
  /** Transitions listed per actor before the middle ones are elided (default 60). */
  readonly maxTransitions?: number;
  /** Facts listed before the rest is elided (default 200). */
  readonly maxFacts?: number;
}

const reasonOf = (ctx: Record<string, TraceValue> | undefined, to: string): string | undefined => {
  if (!ctx) return undefined;
  const failure = ctx.failure as { message?: unknown } | null | undefined;
  if (typeof failure?.message === 'string' && /fail/.test(to)) return failure.message;
  return typeof ctx.lastReason === 'string' && /backoff|fail/.test(to) ? ctx.lastReason : undefined;
};

const lastSegmentIs = (state: string, name: string): boolean => state.split(/[.(), ]+/).includes(name);

/** Reads a trace file and summarises it per actor; `text` is what `trace summarize` prints. */
export const summarizeTrace = async (path: string, options: TraceSummaryOptions = {}): Promise<TraceSummary> => {
  const actors = new Map<string, ActorTimeline>();
  const current = new Map<string, string | undefined>();
  const facts: { t: number; fact: string; data: TraceValue }[] = [];
  let lines = 0;
  let malformed = 0;
  let start: number | undefined;
  let end: number | undefined;
  const timeline = (actor: string): ActorTimeline => {
    let a = actors.get(actor);
    if (!a) actors.set(actor, (a = { actor, transitions: [], entered: {}, events: 0 }));
    return a;
  };

  for await (const line of readTrace(path, { onMalformed: () => { lines++; malformed++; } })) {
    lines++;
    start = Math.min(start ?? line.t, line.t);
    end = Math.max(end ?? line.t, line.t);
    if (line.kind === 'actor') {
      const a = timeline(line.actor);
      if (line.systemId && !a.systemId) actors.set(line.actor, { ...a, systemId: line.systemId });
    } else if (line.kind === 'event') {
      timeline(line.actor).events++;
    } else if (line.kind === 'snapshot') {
      const a = timeline(line.actor);
      const from = current.get(line.actor);
      if (line.state === undefined || line.state === from) continue;
      current.set(line.actor, line.state);
      const reason = reasonOf(line.ctx, line.state);
      a.transitions.push({ t: line.t, ...(from !== undefined ? { from } : {}), to: line.state, event: line.event, ...(reason ? { reason } : {}) });
      const top = line.state.split('.')[0]!;
      a.entered[top] = (a.entered[top] ?? 0) + 1;
    } else {
      facts.push({ t: line.t, fact: line.fact, data: line.data });
    }
  }

  const list = [...actors.values()];
  const count = (match: (a: ActorTimeline) => boolean, state: string) =>
    list.filter(match).reduce((n, a) => n + a.transitions.filter((tr) => lastSegmentIs(tr.to, state)).length, 0);
  const reconnects = count((a) => /^connection(#\d+)?$/.test(a.actor), 'backoff');
  const flushes = count((a) => /^writer(#\d+)?$/.test(a.actor), 'flushing');
  const orderIds = new Set(facts.filter((f) => f.fact === 'order').map((f) => String((f.data as { id?: unknown } | null)?.id)));
  const fills = facts.filter((f) => f.fact === 'fill').length;
  const base = { path, lines, malformed, start, end, actors: list, facts, reconnects, flushes, orders: orderIds.size, fills };
  return { ...base, text: renderTraceSummary(base, options) };
};

const rel = (t: number, start: number): string => `+${((t - start) / 1000).toFixed(3)}s`.padStart(10);

const describeFact = (fact: string, data: TraceValue): string => {
  const d = (typeof data === 'object' && data !== null && !Array.isArray(data) ? data : {}) as Record<string, TraceValue>;
  switch (fact) {
    case 'order':
      return `order ${d.id} ${d.symbol} ${d.side} ${d.type} ${d.quantity} → ${d.status}${d.filledQuantity ? ` (filled ${d.filledQuantity} @ ${d.averagePrice})` : ''}${d.rejectReason ? ` (${d.rejectReason})` : ''}`;
    case 'fill':
      return `fill ${d.orderId} ${d.symbol} ${d.side} ${d.quantity} @ ${d.price} fee ${d.fee}`;
    case 'error':
      return `error ${d.code ?? ''} ${d.message ?? JSON.stringify(data)}`;
    case 'state':
    case 'connection':
      return `${fact} ${d.state}${d.reason ? ` (${d.reason})` : ''}`;
    default:
      return `${fact} ${JSON.stringify(data)}`;
  }
};

const elide = <T>(items: readonly T[], max: number): (T | number)[] =>
  items.length <= max ? [...items] : [...items.slice(0, Math.ceil(max / 2)), items.length - max, ...items.slice(items.length - Math.floor(max / 2))];

/** Renders a summary as the text `trace summarize` prints. */
export const renderTraceSummary = (s: Omit<TraceSummary, 'text'>, options: TraceSummaryOptions = {}): string => {
  const start = s.start ?? 0;
  const out: string[] = [];
  const span = s.start !== undefined && s.end !== undefined
    ? `${new Date(s.start).toISOString()} → ${new Date(s.end).toISOString()} (${((s.end - s.start) / 1000).toFixed(3)} s)`
    : 'empty';
  out.push(`trace ${s.path}: ${s.lines} lines${s.malformed ? ` (${s.malformed} unreadable)` : ''}, ${span}`);
  out.push(`${s.actors.length} actors · ${s.reconnects} reconnects · ${s.flushes} flushes · ${s.orders} orders · ${s.fills} fills`);
  for (const a of s.actors) {
    const entered = Object.entries(a.entered).map(([state, n]) => `${state} ×${n}`).join(', ');
    out.push('', `${a.actor}${a.systemId ? ` (systemId ${a.systemId})` : ''}: ${a.transitions.length} transitions, ${a.events} events${entered ? `; entered ${entered}` : ''}`);
    for (const tr of elide(a.transitions, options.maxTransitions ?? 60)) {
      if (typeof tr === 'number') out.push(`  … ${tr} more transitions …`);
      else out.push(`  ${rel(tr.t, start)}  ${tr.from ?? '∅'} → ${tr.to}  [${tr.event}]${tr.reason ? ` (${tr.reason})` : ''}`);
    }
  }
  if (s.facts.length > 0) {
    out.push('', `session facts: ${s.facts.length}`);
    for (const f of elide(s.facts, options.maxFacts ?? 200)) {
      out.push(typeof f === 'number' ? `  … ${f} more facts …` : `  ${rel(f.t, start)}  ${describeFact(f.fact, f.data)}`);
    }
  }
  return out.join('\n');
};
